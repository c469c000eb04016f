"""`menu`: play a prompt and route on one key.

    main:
      menu:
        prompt: {say: "For billing press 1. For support press 2."}
        options: {"1": billing, "2": support}
        speech: {billing: "1", invoice: "1", support: "2"}   # words or phrases -> option key
        confidence: 0.6     # speech recognized with less mean confidence counts as invalid
        timeout: 5          # seconds to wait for a key (or for the caller to start speaking)
        retries: 2          # further attempts after the first
        invalid: {say: "Sorry, that is not a valid choice."}
        no_input: {say: "Sorry, I did not hear your choice."}
        fail: support       # after the last failed attempt

A key pressed during the prompt stops it and counts (barge-in). After a wrong key or
silence the caller hears `invalid` / `no_input` and the prompt again; after `retries`
more failures the call goes to `fail`. The chosen key is kept in the variable `digits`.

With `speech:` and a speech model for the call's language, the menu also listens: the
caller may say one of the phrases (recognition is limited to them) or press a key.
Starting to speak stops the prompt like a key. Words outside the phrases, or recognized
below `confidence`, count as an invalid choice. The recognized phrase is kept in
`speech`. Without a model for the call's language the menu takes keys only.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...speech.grammar import match
from ..context import RunContext
from ..model import Next, Node, ParseContext, Reference, Target
from ..prompt_specs import PROMPTS_SCHEMA, PromptSpec
from . import register
from .common import (
    DIGIT_PATTERN,
    RETRIES,
    SECONDS,
    TARGET,
    body_schema,
    node_schema,
    parse_prompt_setting,
)

DEFAULT_TIMEOUT_S = 5.0
DEFAULT_RETRIES = 2
DEFAULT_CONFIDENCE = 0.6
UNRECOGNIZED = "?"  # speech that is no option: counts as an invalid key


@register
@dataclass
class Menu(Node):
    kind = "menu"
    id: str
    prompt: list[PromptSpec]
    options: dict[str, str]
    fail: str
    timeout_s: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    invalid: list[PromptSpec] = field(default_factory=list)
    no_input: list[PromptSpec] = field(default_factory=list)
    speech: dict[str, str] = field(default_factory=dict)  # word or phrase -> option key
    confidence: float = DEFAULT_CONFIDENCE

    @classmethod
    def schema(cls) -> dict:
        body = body_schema({
            "prompt": PROMPTS_SCHEMA,
            "options": {"type": "object", "minProperties": 1,
                        "propertyNames": {"pattern": DIGIT_PATTERN, "x-expected": "one key: 0-9, * or #"},
                        "additionalProperties": TARGET,
                        "x-messages": {"minProperties": "a menu needs at least one option"}},
            "speech": {"type": "object", "additionalProperties": {"type": "string", "pattern": DIGIT_PATTERN,
                                                                  "x-expected": "an option key"}},
            "confidence": {"type": "number", "minimum": 0, "maximum": 1},
            "timeout": SECONDS,
            "retries": RETRIES,
            "invalid": PROMPTS_SCHEMA,
            "no_input": PROMPTS_SCHEMA,
            "fail": TARGET,
        }, required=("prompt", "options", "fail"))
        return node_schema("menu", body)

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Menu | None:
        body = raw["menu"]
        prompt = parse_prompt_setting(at, body, "prompt", "menu")
        invalid = parse_prompt_setting(at, body, "invalid", "menu")
        no_input = parse_prompt_setting(at, body, "no_input", "menu")
        speech = dict(body.get("speech", {}))
        for phrase, key in speech.items():
            if key not in body["options"]:
                at.error(at.path("menu", "speech", phrase), "flow.unknown-option",
                         f"speech '{phrase}' points to option '{key}', which this menu does not have")
        if prompt is None or invalid is None or no_input is None:
            return None
        return cls(node_id, prompt, dict(body["options"]), body["fail"],
                   timeout_s=float(body.get("timeout", DEFAULT_TIMEOUT_S)),
                   retries=body.get("retries", DEFAULT_RETRIES),
                   invalid=invalid, no_input=no_input, speech=speech,
                   confidence=float(body.get("confidence", DEFAULT_CONFIDENCE)))

    def targets(self) -> list[Target]:
        base = ("nodes", self.id, "menu")
        return [Target(node, base + ("options", key)) for key, node in self.options.items()] + \
               [Target(self.fail, base + ("fail",))]

    def references(self) -> list[Reference]:
        return [ref for spec in self.prompt + self.invalid + self.no_input for ref in spec.references()]

    @property
    def listens(self) -> bool:
        return bool(self.speech)

    async def run(self, ctx: RunContext) -> Next:
        failures = 0
        early_key = None  # a key pressed during the invalid / no-input prompt answers the menu
        listening = self.listens and ctx.can_listen()
        while True:
            if early_key is not None:
                key = early_key
            elif listening:
                key = await self._listen(ctx)
            else:
                key = await ctx.prompt(self.prompt, interruptible=True)
                if key is None:
                    key = await ctx.read_digit(self.timeout_s)
            if key is not None and key in self.options:
                ctx.variables["digits"] = key
                return self.options[key]
            failures += 1
            reply = self.no_input if key is None else self.invalid
            ctx.note(f"{'no choice' if key is None else f'invalid choice {key}'} ({failures} of {self.retries + 1})")
            if failures > self.retries:
                await ctx.prompt(reply)
                return self.fail
            early_key = await ctx.prompt(reply, interruptible=True)

    async def _listen(self, ctx: RunContext) -> str | None:
        """The option key the caller chose by key or by voice; UNRECOGNIZED, or None for silence."""
        heard = await ctx.listen(self.prompt, list(self.speech), self.timeout_s)
        if heard.key is not None or heard.silent:
            return heard.key
        phrase = match(heard.text, list(self.speech))
        key = self.speech[phrase] if phrase is not None else None
        if key is None or heard.confidence < self.confidence:
            ctx.note(f"not understood: \"{heard.text}\" (confidence {heard.confidence:g})")
            return UNRECOGNIZED
        ctx.variables["speech"] = heard.text
        return key
