"""`set`: assign call variables, then go on.

    remember:
      set:
        tries: 0                          # a literal
        greeting: "Hello {caller}"        # a template
        vip: '=startswith(caller, "+1555")'   # an expression (text starting with '=')
        account.tier: gold                # dotted names build nested mappings
        language: fr                      # switches the call's language
      next: menu
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import READ_ONLY, RunContext
from ..languages import is_known_language
from ..model import Next, Node, ParseContext, Target
from ..values import Value
from . import register
from .common import TARGET, VARIABLE_PATTERN, node_schema


@register
@dataclass
class SetVariables(Node):
    kind = "set"
    id: str
    values: dict[str, Value]
    next: str

    @classmethod
    def schema(cls) -> dict:
        assignments = {"type": "object", "minProperties": 1,
                       "propertyNames": {"pattern": VARIABLE_PATTERN, "x-expected": "a variable name"}}
        return node_schema("set", assignments, {"next": TARGET}, required=("next",))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> SetVariables | None:
        values: dict[str, Value] = {}
        ok = True
        for name, source in raw["set"].items():
            path = at.path("set", name)
            if name.split(".")[0] in READ_ONLY:
                at.error(path, "flow.read-only", f"'{name.split('.')[0]}' is read-only")
                ok = False
                continue
            if name == "language" and isinstance(source, str) and not source.startswith("=") \
                    and "{" not in source and not is_known_language(source):
                at.error(path, "flow.unknown-language", f"unknown language code '{source}'")
                ok = False
                continue
            value = at.attempt(path, lambda: Value.parse(source))
            if value is None:
                ok = False
            else:
                values[name] = value
        return cls(node_id, values, raw["next"]) if ok else None

    def targets(self) -> list[Target]:
        return [Target(self.next, ("nodes", self.id, "next"))]

    async def run(self, ctx: RunContext) -> Next:
        for name, value in self.values.items():
            result = value.get(ctx.lookup)
            ctx.assign(name, result)
            ctx.note(f"{name} = {result!r}")
        return self.next
