"""Helpers for flow tests: write flow files into a temporary flows directory, load and run them."""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from ivr.flows.loader import LoadResult, load_flows
from ivr.flows.runner import FlowRunner, Outcome
from ivr.flows.simulator import ScriptedPort

SCHEDULES = """
office:
  timezone: Europe/Paris
  hours:
    mon-fri: ["09:00-17:00"]
  holidays: ["2026-12-25"]
"""


class FlowDir:
    SCHEDULES = SCHEDULES

    def __init__(self, root: Path):
        self.root = root

    def write(self, name: str, text: str) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"))
        return path

    def load(self, **kwargs) -> LoadResult:
        return load_flows(self.root, **kwargs)

    def problems(self, **kwargs) -> list[str]:
        """Problems as printed, with the temporary directory shown as `flows/`."""
        return [str(p).replace(str(self.root), "flows") for p in self.load(**kwargs).problems]

    async def run(self, text: str, inputs=(), *, flow: str = "test", node: str | None = None,
                  variables=None, **port_args) -> tuple[Outcome, ScriptedPort]:
        self.write(f"{flow}.yaml", text)
        result = self.load()
        assert not result.has_errors, [str(p) for p in result.problems]
        port = ScriptedPort(inputs, **port_args)
        outcome = await FlowRunner(result, port, variables=variables).run(flow, node)
        return outcome, port


@pytest.fixture
def flow_dir(tmp_path: Path) -> FlowDir:
    directory = tmp_path / "flows"
    directory.mkdir()
    return FlowDir(directory)


@pytest.fixture
def heard():
    """What the caller heard on a ScriptedPort: say text, or [sound] for play."""
    return lambda port:  [prompt.say if prompt.say is not None else f"[{prompt.play}]" for prompt, _ in port.heard]
