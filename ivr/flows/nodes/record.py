"""`record`: let the caller leave a message, then go on.

    message:
      record:
        prompt: {say: "Please leave a message after the tone."}
        max_s: 120           # longest message, seconds
        silence_s: 5         # this much silence ends it (so does '#')
        beep: true
        name: "msg-{caller}" # recording name (unsafe characters become '_'); default flow-node
        variable: message    # where the recording's location goes (default `recording`)
        next: thanks
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ..context import RunContext
from ..model import Next, Node, ParseContext, Reference, Target
from ..prompt_specs import PROMPTS_SCHEMA, PromptSpec
from ..template import check_template, render
from . import register
from .common import TARGET, VARIABLE, body_schema, node_schema, parse_prompt_setting

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@register
@dataclass
class Record(Node):
    kind = "record"
    id: str
    next: str
    prompt: list[PromptSpec] = field(default_factory=list)
    max_s: float = 120.0
    silence_s: float = 5.0
    beep: bool = True
    name: str | None = None
    variable: str = "recording"

    @classmethod
    def schema(cls) -> dict:
        body = body_schema({
            "prompt": PROMPTS_SCHEMA,
            "max_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 3600},
            "silence_s": {"type": "number", "exclusiveMinimum": 0, "maximum": 60},
            "beep": {"type": "boolean"},
            "name": {"type": "string", "minLength": 1},
            "variable": VARIABLE,
            "next": TARGET,
        }, required=("next",))
        return node_schema("record", body)

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Record | None:
        body = raw["record"]
        prompt = parse_prompt_setting(at, body, "prompt", "record")
        if "name" in body and at.attempt(at.path("record", "name"), lambda: check_template(body["name"]) or True) is None:
            return None
        if prompt is None:
            return None
        return cls(node_id, body["next"], prompt, max_s=float(body.get("max_s", 120)),
                   silence_s=float(body.get("silence_s", 5)), beep=body.get("beep", True),
                   name=body.get("name"), variable=body.get("variable", "recording"))

    def targets(self) -> list[Target]:
        return [Target(self.next, ("nodes", self.id, "record", "next"))]

    def references(self) -> list[Reference]:
        return [ref for spec in self.prompt for ref in spec.references()]

    async def run(self, ctx: RunContext) -> Next:
        await ctx.prompt(self.prompt)
        name = render(self.name, ctx.lookup) if self.name else f"{ctx.flow_name}-{self.id}"
        name = _UNSAFE.sub("_", name)[:100] or "recording"
        location = await ctx.port.record(name, max_s=self.max_s, silence_s=self.silence_s, beep=self.beep)
        ctx.assign(self.variable, location)
        ctx.recordings.append(location)
        ctx.note(f"recorded {location}")
        return self.next
