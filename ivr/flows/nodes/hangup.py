"""`hangup`: end the call.

    bye: {hangup: true}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..model import End, Next, Node, ParseContext
from . import register
from .common import node_schema


@register
@dataclass
class Hangup(Node):
    kind = "hangup"
    ends_flow = True
    id: str

    @classmethod
    def schema(cls) -> dict:
        return node_schema("hangup", {"const": True, "x-expected": "true"})

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Hangup:
        return cls(node_id)

    async def run(self, ctx: RunContext) -> Next:
        await ctx.port.hangup()
        return End("hangup")
