"""The YAML flow language (docs/flows.md): loaded and validated by `loader.load_flows`, run on a
`CallPort` (`port.py`) by `runner.FlowRunner`. Nothing here knows ARI; `ivr.live` runs flows on
real calls."""
