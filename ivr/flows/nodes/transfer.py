"""`transfer`: send the call to an endpoint (`agent1`) or a number; the flow ends.

    operator: {transfer: agent1}
    callback: {transfer: "{callback_number}"}
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..model import End, Next, Node, ParseContext
from ..problems import FlowRuntimeError
from ..values import Value
from . import register
from .common import node_schema

# What may reach the PBX as a destination: an endpoint name or a number, never dial syntax.
SAFE_DESTINATION = re.compile(r"[A-Za-z0-9+_.-]{1,64}")


@register
@dataclass
class Transfer(Node):
    kind = "transfer"
    ends_flow = True
    id: str
    destination: Value

    @classmethod
    def schema(cls) -> dict:
        return node_schema("transfer", {"type": "string", "pattern": r"^([A-Za-z0-9+_.-]+|.*\{.*)$",
                                        "x-expected": "an endpoint name or a number (or a {template})"})

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Transfer | None:
        destination = at.attempt(at.path("transfer"), lambda: Value.parse(raw["transfer"]))
        return cls(node_id, destination) if destination else None

    async def run(self, ctx: RunContext) -> Next:
        destination = str(self.destination.get(ctx.lookup))
        if not SAFE_DESTINATION.fullmatch(destination):
            raise FlowRuntimeError(f"refusing to transfer to {destination!r}: not an endpoint name or number",
                                   "flow.bad-destination")
        ctx.note(f"transfer to {destination}")
        await ctx.port.transfer(destination)
        return End("transferred", transfer_to=destination)
