"""`gather`: collect several keys into a variable.

    account:
      gather:
        variable: account
        prompt: {say: "Enter your account number, then press hash."}
        min_digits: 6
        max_digits: 10
        terminator: "#"            # ends the entry early; null for none
        timeout: 6                 # seconds to wait for the first key
        inter_digit_timeout: 3     # seconds to wait for each further key
        pattern: '^[0-9]{6,10}$'   # optional: the whole entry must match
        retries: 2
        invalid: {say: "That number is not valid."}
        no_input: {say: "I did not hear anything."}
        next: lookup
        fail: agent

A key pressed during the prompt stops it and is the first key. The entry (without the
terminator) goes into `variable` and into `digits`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ivr.errors import FlowError

from ..context import RunContext
from ..model import Next, Node, ParseContext, Reference, Target
from ..prompt_specs import PROMPTS_SCHEMA, PromptSpec
from . import register
from .common import (
    RETRIES,
    SECONDS,
    TARGET,
    VARIABLE,
    body_schema,
    node_schema,
    parse_prompt_setting,
)

MAX_DIGITS = 64


@register
@dataclass
class Gather(Node):
    kind = "gather"
    id: str
    variable: str
    next: str
    fail: str
    prompt: list[PromptSpec] = field(default_factory=list)
    min_digits: int = 1
    max_digits: int = 20
    terminator: str | None = "#"
    timeout_s: float = 6.0
    inter_digit_timeout_s: float = 3.0
    pattern: re.Pattern[str] | None = None
    retries: int = 2
    invalid: list[PromptSpec] = field(default_factory=list)
    no_input: list[PromptSpec] = field(default_factory=list)

    @classmethod
    def schema(cls) -> dict:
        count = {"type": "integer", "minimum": 1, "maximum": MAX_DIGITS}
        body = body_schema({
            "variable": VARIABLE,
            "prompt": PROMPTS_SCHEMA,
            "min_digits": count,
            "max_digits": count,
            "terminator": {"enum": ["#", "*", None]},
            "timeout": SECONDS,
            "inter_digit_timeout": SECONDS,
            "pattern": {"type": "string", "minLength": 1},
            "retries": RETRIES,
            "invalid": PROMPTS_SCHEMA,
            "no_input": PROMPTS_SCHEMA,
            "next": TARGET,
            "fail": TARGET,
        }, required=("variable", "next", "fail"))
        return node_schema("gather", body)

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Gather | None:
        body = raw["gather"]
        prompts = {key: parse_prompt_setting(at, body, key, "gather") for key in ("prompt", "invalid", "no_input")}
        pattern = None
        if "pattern" in body:
            pattern = at.attempt(at.path("gather", "pattern"), lambda: _compile(body["pattern"]))
            if pattern is None:
                return None
        lowest, highest = body.get("min_digits", 1), body.get("max_digits", 20)
        if lowest > highest:
            at.error(at.path("gather", "min_digits"), "flow.bad-range",
                     f"min_digits ({lowest}) is more than max_digits ({highest})")
            return None
        if any(value is None for value in prompts.values()):
            return None
        return cls(node_id, body["variable"], body["next"], body["fail"], prompts["prompt"],
                   min_digits=lowest, max_digits=highest, terminator=body.get("terminator", "#"),
                   timeout_s=float(body.get("timeout", 6.0)),
                   inter_digit_timeout_s=float(body.get("inter_digit_timeout", 3.0)),
                   pattern=pattern, retries=body.get("retries", 2),
                   invalid=prompts["invalid"], no_input=prompts["no_input"])

    def targets(self) -> list[Target]:
        base = ("nodes", self.id, "gather")
        return [Target(self.next, base + ("next",)), Target(self.fail, base + ("fail",))]

    def references(self) -> list[Reference]:
        return [ref for spec in self.prompt + self.invalid + self.no_input for ref in spec.references()]

    async def run(self, ctx: RunContext) -> Next:
        failures = 0
        early_key = None
        while True:
            first = early_key if early_key is not None else await ctx.prompt(self.prompt, interruptible=True)
            entry = await self._collect(ctx, first)
            if entry and self._acceptable(entry):
                ctx.assign(self.variable, entry)
                ctx.variables["digits"] = entry
                return self.next
            failures += 1
            reply = self.invalid if entry else self.no_input
            ctx.note(f"{'invalid entry ' + entry if entry else 'no entry'} ({failures} of {self.retries + 1})")
            if failures > self.retries:
                await ctx.prompt(reply)
                return self.fail
            early_key = await ctx.prompt(reply, interruptible=True)

    async def _collect(self, ctx: RunContext, first: str | None) -> str:
        entry = ""
        key = first if first is not None else await ctx.read_digit(self.timeout_s)
        while key is not None and key != self.terminator:
            entry += key
            if len(entry) >= self.max_digits:
                break
            key = await ctx.read_digit(self.inter_digit_timeout_s)
        return entry

    def _acceptable(self, entry: str) -> bool:
        if not self.min_digits <= len(entry) <= self.max_digits:
            return False
        return self.pattern is None or self.pattern.fullmatch(entry) is not None


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise FlowError(f"invalid regular expression {pattern!r}: {exc}", "flow.bad-regex") from None
