"""Language codes a flow may use: ISO 639-1 (`en`), optionally with a region (`en_GB`, `pt-BR`).

The language drives which TTS voice speaks `say:` text and which Asterisk sound folder
`play:` reads from (`sounds/fr/...`).
"""
from __future__ import annotations

import re
from collections.abc import Iterable

ISO_639_1 = frozenset("""
aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy
da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht
hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky
la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny
oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss
st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo
za zh zu
""".split())
DEFAULT_LANGUAGE = "en"  # a call's language when neither the channel nor the flow sets one
_CODE = re.compile(r"([a-z]{2})(?:[_-]([A-Z]{2}))?")


def is_known_language(code: str) -> bool:
    match = _CODE.fullmatch(code)
    return bool(match) and match.group(1) in ISO_639_1


def base_language(code: str) -> str:
    """`en_GB` -> `en`."""
    return code.replace("-", "_").split("_", 1)[0]


def matching_language(code: str, available: Iterable[str]) -> str | None:
    """The entry of `available` serving `code`: itself, else its base language (`en_GB` -> `en`)."""
    available = set(available)
    if code in available:
        return code
    base = base_language(code)
    return base if base in available else None
