"""`transfer`: send the call to an endpoint (`agent1`) or a number; the flow ends.

    operator: {transfer: agent1}
    callback: {transfer: "{callback_number}"}
    desk: {transfer: agent2, timeout: 20, failed: voicemail}

`timeout`: seconds the destination rings (default 30). When nobody answers, or the line is
busy or unreachable, the call comes back to `failed` in this flow, with the variables it had
(`transfer_status` says why: NOANSWER, BUSY, CONGESTION, CHANUNAVAIL). Without `failed` the
caller hears that nobody could take the call, and the call ends.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from ivr.errors import FlowRuntimeError

from ..context import RunContext
from ..model import End, Next, Node, ParseContext, Target
from ..port import FlowPosition, TransferRequest
from ..values import Value
from . import register
from .common import SECONDS, TARGET, node_schema

# What may reach the PBX as a destination: an endpoint name or a number, never dial syntax.
# The one definition: the schema, this node and the live call port all use it.
DESTINATION_PATTERN = r"[A-Za-z0-9+][A-Za-z0-9+_.-]{0,63}"
SAFE_DESTINATION = re.compile(DESTINATION_PATTERN)
DEFAULT_TIMEOUT_S = 30.0


@register
@dataclass
class Transfer(Node):
    kind = "transfer"
    ends_flow = True
    id: str
    destination: Value
    timeout_s: float = DEFAULT_TIMEOUT_S
    failed: str | None = None

    @classmethod
    def schema(cls) -> dict:
        return node_schema("transfer", {"type": "string", "pattern": rf"^({DESTINATION_PATTERN}|.*\{{.*)$",
                                        "x-expected": "an endpoint name or a number (or a {template})"},
                           {"timeout": SECONDS, "failed": TARGET})

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Transfer | None:
        destination = at.attempt(at.path("transfer"), lambda: Value.parse(raw["transfer"]))
        if not destination:
            return None
        return cls(node_id, destination, float(raw.get("timeout", DEFAULT_TIMEOUT_S)), raw.get("failed"))

    def targets(self) -> list[Target]:
        return [Target(self.failed, ("nodes", self.id, "failed"))] if self.failed else []

    async def run(self, ctx: RunContext) -> Next:
        destination = str(self.destination.get(ctx.lookup))
        if not SAFE_DESTINATION.fullmatch(destination):
            raise FlowRuntimeError(f"refusing to transfer to {destination!r}: not an endpoint name or number",
                                   "flow.bad-destination")
        ctx.note(f"transfer to {destination}")
        back = FlowPosition(ctx.flow.name, self.failed, copy.deepcopy(ctx.variables), ctx.port.language) \
            if self.failed else None
        await ctx.port.transfer(TransferRequest(destination, self.timeout_s, back))
        return End("transferred", transfer_to=destination)
