"""`language`: switch the call's language (TTS voice and sound folder), then go on.

    french: {language: fr, next: menu}
    chosen: {language: "{preferred_language}", next: menu}

`set: {language: fr}` does the same.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..context import RunContext
from ..languages import is_known_language
from ..model import Next, Node, ParseContext, Target
from ..values import Value
from . import register
from .common import TARGET, TEXT_VALUE, node_schema


@register
@dataclass
class Language(Node):
    kind = "language"
    id: str
    language: Value
    next: str

    @classmethod
    def schema(cls) -> dict:
        return node_schema("language", TEXT_VALUE, {"next": TARGET}, required=("next",))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Language | None:
        language = at.attempt(at.path("language"), lambda: Value.parse(raw["language"]))
        if language is None:
            return None
        if language.is_fixed and not is_known_language(language.source):
            at.error(at.path("language"), "flow.unknown-language", f"unknown language code '{language.source}'")
            return None
        return cls(node_id, language, raw["next"])

    def targets(self) -> list[Target]:
        return [Target(self.next, ("nodes", self.id, "next"))]

    async def run(self, ctx: RunContext) -> Next:
        ctx.set_language(self.language.get(ctx.lookup))
        return self.next
