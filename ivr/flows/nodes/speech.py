"""`speech`: ask an open question and keep what the caller says (free recognition).

    reason:
      speech:
        prompt: {say: "In a few words, why are you calling?"}
        variable: reason     # the transcript goes here (default `speech`)
        timeout: 5           # seconds to wait for the caller to start speaking
        confidence: 0.4      # a transcript with less mean confidence counts as nothing said
        next: route
        no_input: menu       # when nothing was understood (default: next)

Starting to speak stops the prompt. A key pressed instead is kept in `digits` and counts as
nothing said. Without a speech model for the call's language the node plays the prompt and
goes to `no_input`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..context import RunContext
from ..model import Next, Node, ParseContext, Reference, Target
from ..prompt_specs import PROMPTS_SCHEMA, PromptSpec
from . import register
from .common import (
    SECONDS,
    TARGET,
    VARIABLE,
    body_schema,
    node_schema,
    parse_prompt_setting,
)


@register
@dataclass
class Speech(Node):
    kind = "speech"
    id: str
    next: str
    prompt: list[PromptSpec] = field(default_factory=list)
    variable: str = "speech"
    timeout_s: float = 5.0
    confidence: float = 0.0
    no_input: str | None = None

    @classmethod
    def schema(cls) -> dict:
        body = body_schema({
            "prompt": PROMPTS_SCHEMA,
            "variable": VARIABLE,
            "timeout": SECONDS,
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "next": TARGET,
            "no_input": TARGET,
        }, required=("next",))
        return node_schema("speech", body)

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Speech | None:
        body = raw["speech"]
        prompt = parse_prompt_setting(at, body, "prompt", "speech")
        if prompt is None:
            return None
        return cls(node_id, body["next"], prompt, variable=body.get("variable", "speech"),
                   timeout_s=float(body.get("timeout", 5.0)), confidence=float(body.get("confidence", 0.0)),
                   no_input=body.get("no_input"))

    def targets(self) -> list[Target]:
        base = ("nodes", self.id, "speech")
        return [Target(self.next, base + ("next",))] + \
               ([Target(self.no_input, base + ("no_input",))] if self.no_input else [])

    def references(self) -> list[Reference]:
        return [ref for spec in self.prompt for ref in spec.references()]

    @property
    def listens(self) -> bool:
        return True

    async def run(self, ctx: RunContext) -> Next:
        nothing = self.no_input or self.next
        if not ctx.can_listen():
            await ctx.prompt(self.prompt)
            ctx.note(f"no speech model for language {ctx.port.language}")
            ctx.assign(self.variable, "")
            return nothing
        heard = await ctx.listen(self.prompt, None, self.timeout_s)
        if heard.key is not None:
            ctx.variables["digits"] = heard.key
        understood = bool(heard.text) and heard.confidence >= self.confidence
        ctx.assign(self.variable, heard.text if understood else "")
        return self.next if understood else nothing
