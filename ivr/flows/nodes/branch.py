"""`branch`: go to the first case whose condition holds, else to `else`.

    route:
      branch:
        - if: 'startswith(caller, "+33")'
          then: french
        - if: {all: ['time.weekday == "sat"', "time.hour >= 12"]}
          then: closed
      else: menu
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..conditions import compile_condition
from ..context import RunContext
from ..expr import Compiled
from ..model import Next, Node, ParseContext, Target
from . import register
from .common import TARGET, node_schema


@register
@dataclass
class Branch(Node):
    kind = "branch"
    id: str
    cases: list[tuple[str, Compiled, str]]  # (condition as written, compiled, target)
    otherwise: str

    @classmethod
    def schema(cls) -> dict:
        case = {"type": "object", "additionalProperties": False, "required": ["if", "then"],
                "properties": {"if": {"$ref": "#/$defs/condition"}, "then": TARGET}}
        return node_schema("branch", {"type": "array", "minItems": 1, "items": case}, {"else": TARGET},
                           required=("else",))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Branch | None:
        cases = []
        for index, case in enumerate(raw["branch"]):
            condition = at.attempt(at.path("branch", index, "if"), lambda: compile_condition(case["if"]))
            if condition is None:
                return None
            cases.append((str(case["if"]), condition, case["then"]))
        return cls(node_id, cases, raw["else"])

    def targets(self) -> list[Target]:
        return [Target(target, ("nodes", self.id, "branch", index, "then"))
                for index, (_, _, target) in enumerate(self.cases)] + \
               [Target(self.otherwise, ("nodes", self.id, "else"))]

    async def run(self, ctx: RunContext) -> Next:
        for text, condition, target in self.cases:
            if condition(ctx.lookup):
                ctx.note(f"{text} holds")
                return target
        return self.otherwise
