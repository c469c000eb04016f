"""`say`: speak text (templated, optionally per language), then go on.

    greet: {say: "Thank you for calling, {customer.name}.", next: menu}
    greet: {say: {en: "Hello", fr: "Bonjour"}, next: menu}
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..model import Next, Node, ParseContext, Target
from ..prompt_specs import SAY_SCHEMA, PromptSpec, parse_say
from . import register
from .common import TARGET, node_schema


@register
@dataclass
class Say(Node):
    kind = "say"
    id: str
    text: PromptSpec
    next: str

    @classmethod
    def schema(cls) -> dict:
        return node_schema("say", SAY_SCHEMA, {"next": TARGET}, required=("next",))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Say | None:
        text = at.attempt(at.path("say"), lambda: parse_say(raw["say"], at.path("say")))
        return cls(node_id, text, raw["next"]) if text else None

    def targets(self) -> list[Target]:
        return [Target(self.next, ("nodes", self.id, "next"))]

    async def run(self, ctx: RunContext) -> Next:
        await ctx.prompt([self.text])
        return self.next
