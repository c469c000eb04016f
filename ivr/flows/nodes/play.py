"""`play`: play a recorded sound, then go on.

    hello: {play: hello-world, next: menu}          # an Asterisk sound, in the call's language
    jingle: {play: sounds/jingle.wav, next: menu}   # a file, relative to the flows directory
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..model import Next, Node, ParseContext, Reference, Target
from ..prompt_specs import PLAY_SCHEMA, PromptSpec
from . import register
from .common import TARGET, node_schema


@register
@dataclass
class Play(Node):
    kind = "play"
    id: str
    sound: PromptSpec
    next: str

    @classmethod
    def schema(cls) -> dict:
        return node_schema("play", PLAY_SCHEMA, {"next": TARGET}, required=("next",))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Play:
        return cls(node_id, PromptSpec(play=raw["play"], path=at.path("play")), raw["next"])

    def targets(self) -> list[Target]:
        return [Target(self.next, ("nodes", self.id, "next"))]

    def references(self) -> list[Reference]:
        return self.sound.references()

    async def run(self, ctx: RunContext) -> Next:
        await ctx.prompt([self.sound])
        return self.next
