"""A setting whose value is fixed, templated or computed.

- not text (`3`, `true`, a list...): used as written;
- text starting with `=`: an expression (`=tries + 1`, `=len(digits) == 6`);
- other text: a template (`"{caller}"`, `"Hello"`); text without braces is just text.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .expr import Compiled, Lookup, compile_expression
from .template import check_template, has_fields, render, render_data


def number_or_computed(minimum: int | None = None, maximum: int | None = None) -> dict:
    """JSON Schema for a whole number in range, or an =expression / {template} that gives one."""
    number: dict[str, Any] = {"type": "integer"}
    span = []
    if minimum is not None:
        number["minimum"] = minimum
        span.append(f"from {minimum}")
    if maximum is not None:
        number["maximum"] = maximum
        span.append(f"to {maximum}")
    words = " ".join(["a whole number", *span])
    return {"anyOf": [number, {"type": "string", "pattern": r"^=|\{"}],
            "x-expected": f"{words}, or an =expression"}


@dataclass(frozen=True)
class Value:
    source: Any
    expression: Compiled | None = None

    @classmethod
    def parse(cls, raw: Any) -> Value:
        """Raises ExpressionError or TemplateError when the text does not parse."""
        if isinstance(raw, str) and raw.startswith("="):
            return cls(raw, compile_expression(raw[1:]))
        if isinstance(raw, str):
            check_template(raw)
        return cls(raw)

    @property
    def is_fixed(self) -> bool:
        return self.expression is None and not (isinstance(self.source, str) and has_fields(self.source))

    def get(self, lookup: Lookup) -> Any:
        if self.expression is not None:
            return self.expression(lookup)
        if isinstance(self.source, str):
            return render(self.source, lookup)
        return render_data(self.source, lookup)
