"""The ACD: a pure routing core (model, rules, router, explain), its configuration, state store,
statistics and simulator. See docs/routing.md."""
