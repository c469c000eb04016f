"""`goto`: continue in another flow (a sub-flow), at its start or at a given node.

    after_hours: {goto: after-hours}
    leave_message: {goto: after-hours, node: message}

The call does not come back: for this flow, a goto is a way out like hangup.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..model import Jump, Next, Node, ParseContext, Reference
from . import register
from .common import FLOW_NAME_PATTERN, NODE_ID_PATTERN, node_schema


@register
@dataclass
class Goto(Node):
    kind = "goto"
    ends_flow = True
    id: str
    flow: str
    node: str | None = None

    @classmethod
    def schema(cls) -> dict:
        return node_schema("goto", {"type": "string", "pattern": FLOW_NAME_PATTERN, "x-expected": "a flow name"},
                           {"node": {"type": "string", "pattern": NODE_ID_PATTERN, "x-expected": "a node id"}})

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Goto:
        return cls(node_id, raw["goto"], raw.get("node"))

    def references(self) -> list[Reference]:
        return [Reference("flow", self.flow, ("nodes", self.id, "goto"), node=self.node)]

    async def run(self, ctx: RunContext) -> Next:
        return Jump(self.flow, self.node)
