"""Text templates: "Your balance is {account.balance}".

`{name}` or `{name.path}` is replaced by the variable's value (empty when undefined);
`{{` and `}}` stand for literal braces. Substitution is a single regex pass, never
str.format, so a value (which may come from a caller or a web service) is only ever text.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ivr.errors import TemplateError

from .expr import Lookup, text_of

_FIELD = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)\}")
_BAD_BRACE = re.compile(r"\{(?!\{)|(?<!\})\}")


def has_fields(text: str) -> bool:
    return "{" in text or "}" in text


def check_template(text: str) -> None:
    """Raise TemplateError when a brace in `text` opens no `{name}`."""
    if _BAD_BRACE.search(_FIELD.sub("", text)):
        raise TemplateError(f"bad template {text!r}: write {{name}} for a variable, "
                            f"{{{{ and }}}} for literal braces")


def render(text: str, lookup: Lookup, escape: Callable[[str], str] | None = None) -> str:
    """Substitute every `{name}` in `text`; `escape` (e.g. URL quoting) is applied to each value."""
    if "{" not in text and "}" not in text:
        return text

    def substitute(match: re.Match[str]) -> str:
        whole = match.group()
        if whole == "{{":
            return "{"
        if whole == "}}":
            return "}"
        value = text_of(lookup(tuple(match.group(1).split("."))))
        return escape(value) if escape else value

    return _FIELD.sub(substitute, text)


def render_data(value: Any, lookup: Lookup) -> Any:
    """Render every text inside a JSON-like value (for HTTP bodies and parameters)."""
    if isinstance(value, str):
        return render(value, lookup)
    if isinstance(value, list):
        return [render_data(item, lookup) for item in value]
    if isinstance(value, dict):
        return {key: render_data(item, lookup) for key, item in value.items()}
    return value
