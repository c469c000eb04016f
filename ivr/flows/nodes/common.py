"""Schema pieces shared by the node kinds."""
from __future__ import annotations

from typing import Any

NODE_ID_PATTERN = r"^[A-Za-z_][A-Za-z0-9_-]*$"
FLOW_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]*$"
VARIABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$"
DIGIT_PATTERN = r"^[0-9*#]$"

TARGET: dict = {"type": "string", "pattern": NODE_ID_PATTERN, "x-expected": "a node id"}
VARIABLE: dict = {"type": "string", "pattern": VARIABLE_PATTERN,
                  "x-expected": "a variable name (letters, digits, '_', dotted paths)"}
TEXT_VALUE: dict = {"type": "string", "minLength": 1}
SECONDS: dict = {"type": "number", "exclusiveMinimum": 0, "maximum": 600}
RETRIES: dict = {"type": "integer", "minimum": 0, "maximum": 10}


def node_schema(kind: str, value: dict, properties: dict[str, Any] | None = None,
                required: tuple[str, ...] = ()) -> dict:
    """A node mapping: the kind key holding `value`, plus sibling `properties`."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [kind, *required],
        "properties": {kind: value, **(properties or {}), "note": {"type": "string"}},
    }


def body_schema(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict:
    """The settings mapping held by the kind key of menu, gather, http and record."""
    return {"type": "object", "additionalProperties": False, "required": list(required), "properties": properties}


def parse_prompt_setting(at: Any, body: dict[str, Any], key: str, *prefix: str | int) -> list | None:
    """The prompts under `body[key]` ([] when absent); None (with a problem reported) when bad."""
    from ..prompt_specs import parse_prompts

    if key not in body:
        return []
    path = at.path(*prefix, key)
    return at.attempt(path, lambda: parse_prompts(body[key], path))
