"""Conditions of `branch` nodes: an expression, or a structured combination of them.

    if: 'caller in ["+15551230000", "+15551230001"]'
    if: {all: ['time.weekday == "sat"', "time.hour >= 12"]}
    if: {any: ["vip", {not: "account.overdue"}]}
"""
from __future__ import annotations

from typing import Any

from .expr import Compiled, compile_expression, truthy

CONDITION_SCHEMA: dict = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "boolean"},
        {"type": "object", "additionalProperties": False, "required": ["all"],
         "properties": {"all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}}},
        {"type": "object", "additionalProperties": False, "required": ["any"],
         "properties": {"any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}}}},
        {"type": "object", "additionalProperties": False, "required": ["not"],
         "properties": {"not": {"$ref": "#/$defs/condition"}}},
    ],
    "x-expected": "an expression, true/false, {all: [...]}, {any: [...]} or {not: ...}",
}


def compile_condition(raw: Any) -> Compiled:
    """Compile a schema-valid condition. Raises ExpressionError on a bad expression."""
    if isinstance(raw, bool):
        return lambda lookup: raw
    if isinstance(raw, str):
        expression = compile_expression(raw)
        return lambda lookup: truthy(expression(lookup))
    if "not" in raw:
        inner = compile_condition(raw["not"])
        return lambda lookup: not inner(lookup)
    parts = [compile_condition(item) for item in raw.get("all", raw.get("any"))]
    if "all" in raw:
        return lambda lookup: all(part(lookup) for part in parts)
    return lambda lookup: any(part(lookup) for part in parts)
