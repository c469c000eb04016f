"""`switch`: evaluate an expression and go to the case named by its value.

    by_language:
      switch: language
      cases: {en: english_menu, fr: french_menu}
      default: english_menu
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..expr import Compiled, compile_expression, text_of
from ..model import Next, Node, ParseContext, Target
from . import register
from .common import TARGET, node_schema


@register
@dataclass
class Switch(Node):
    kind = "switch"
    id: str
    expression: Compiled
    cases: dict[str, str]
    default: str

    @classmethod
    def schema(cls) -> dict:
        return node_schema("switch", {"type": "string", "minLength": 1},
                           {"cases": {"type": "object", "minProperties": 1, "additionalProperties": TARGET},
                            "default": TARGET},
                           required=("cases", "default"))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Switch | None:
        expression = at.attempt(at.path("switch"), lambda: compile_expression(raw["switch"]))
        return cls(node_id, expression, dict(raw["cases"]), raw["default"]) if expression else None

    def targets(self) -> list[Target]:
        return [Target(target, ("nodes", self.id, "cases", key)) for key, target in self.cases.items()] + \
               [Target(self.default, ("nodes", self.id, "default"))]

    async def run(self, ctx: RunContext) -> Next:
        value = text_of(self.expression(ctx.lookup))
        ctx.note(f"switch value {value!r}")
        return self.cases.get(value, self.default)
