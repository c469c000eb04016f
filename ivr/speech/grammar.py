"""Menu grammars: the phrases a menu accepts, as Vosk wants them, and matching its answer back."""
from __future__ import annotations

import json

UNKNOWN = "[unk]"  # Vosk's garbage word; models without it ignore it (then only confidence guards)


def normalize(text: str) -> str:
    return " ".join(text.lower().split())


def vosk_grammar(phrases: list[str]) -> str:
    return json.dumps(sorted({normalize(p) for p in phrases}) + [UNKNOWN], ensure_ascii=False)


def match(text: str, phrases: list[str]) -> str | None:
    """The phrase the transcript is, or None: a grammar decodes any sequence of its words, so
    "지원 계좌 잔액" can come out of a grammar of whole phrases and must not count."""
    wanted = normalize(text)
    for phrase in phrases:
        if normalize(phrase) == wanted:
            return phrase
    return None
