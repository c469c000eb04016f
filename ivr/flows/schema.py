"""The JSON Schema of flow files, built from the node registry, and validation against it.

The same schema is printed by `ivr flows schema` (for editors) and used by the loader.
Validation errors come back as one-line problems at the `file:line:col` of the offending
key or value. Schema fragments may carry two extra, non-standard keywords that shape
those messages: `x-expected` ("expected <x-expected>, got <value>") and `x-messages`
(a message per failed keyword).
"""
from __future__ import annotations

from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from .conditions import CONDITION_SCHEMA
from .nodes import REGISTRY
from .nodes.common import FLOW_NAME_PATTERN, NODE_ID_PATTERN
from .problems import Problem
from .source import Path_, SourceDoc

_LANGUAGE = {"type": "string", "pattern": r"^[a-z]{2}([_-][A-Z]{2})?$", "x-expected": "a language code like en or fr_CA"}
_INPUT = {"anyOf": [{"type": "string", "pattern": r"^(timeout|(barge:)?[0-9*#]+)$"},
                    {"type": "integer", "minimum": 0}],
          "x-expected": "keys like \"1\" or \"42#\", \"barge:1\" (pressed during the prompt) or \"timeout\""}
_TEST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "expect"],
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "inputs": {"type": "array", "items": _INPUT},
        "at": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}",
               "x-expected": "a date and time like \"2026-11-23T10:00\""},
        "timezone": {"type": "string"},
        "caller": {"type": "string"},
        "dialed": {"type": "string"},
        "language": _LANGUAGE,
        "start": {"type": "string", "pattern": NODE_ID_PATTERN},
        "variables": {"type": "object"},
        "http": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["status"],
            "properties": {"status": {"type": "integer", "minimum": 0, "maximum": 599}, "json": {}}}},
        "queue_result": {"enum": ["answered", "abandoned", "overflow"]},
        "expect": {
            "type": "object", "additionalProperties": False, "minProperties": 1,
            "properties": {
                "queued": {"type": "object", "additionalProperties": False, "properties": {
                    "queue": {"type": "string"}, "skills": {"type": "object",
                                                            "additionalProperties": {"type": "integer"}},
                    "language": {"type": "string"}, "priority": {"type": "integer"},
                    "customer": {"type": "string"}, "result": {"type": "string"}}},
                "transferred": {"type": "string"},
                "hangup": {"const": True},
                "error": {"type": "string"},
                "recorded": {"anyOf": [{"type": "boolean"}, {"type": "integer", "minimum": 0}]},
                "visited": {"type": "array", "items": {"type": "string"}},
                "heard": {"type": "array", "items": {"type": "string"}},
                "variables": {"type": "object"},
            },
        },
    },
}


def _hosts(kind: str) -> list[str]:
    """Kinds that use `kind` as one of their own settings (`queue` has a `language`)."""
    return [other for other, node in REGISTRY.items()
            if other != kind and kind in node.schema().get("properties", {})]


@cache
def flow_schema() -> dict[str, Any]:
    kinds = sorted(REGISTRY)
    selectors = []
    for kind in kinds:
        condition: dict[str, Any] = {"required": [kind]}
        if _hosts(kind):
            condition["not"] = {"anyOf": [{"required": [host]} for host in _hosts(kind)]}
        selectors.append({"if": condition, "then": {"$ref": f"#/$defs/{kind}"}})
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "IVR flow file",
        "type": "object",
        "additionalProperties": False,
        "required": ["start", "nodes"],
        "properties": {
            "name": {"type": "string", "pattern": FLOW_NAME_PATTERN, "x-expected": "a flow name"},
            "description": {"type": "string"},
            "language": _LANGUAGE,
            "start": {"type": "string", "pattern": NODE_ID_PATTERN, "x-expected": "a node id"},
            "failed": {"type": "string", "pattern": NODE_ID_PATTERN, "x-expected": "a node id",
                       "description": "where a call goes on when a node fails at run time (once per call)"},
            "variables": {"type": "object"},
            "nodes": {
                "type": "object",
                "minProperties": 1,
                "propertyNames": {"pattern": NODE_ID_PATTERN,
                                  "x-expected": "a node id (a letter or '_', then letters, digits, '_' or '-')"},
                "additionalProperties": {"$ref": "#/$defs/node"},
            },
            "tests": {"type": "array", "items": {"$ref": "#/$defs/test"}},
        },
        "$defs": {
            "node": {
                "type": "object",
                "description": f"A node: a mapping with exactly one kind key ({', '.join(kinds)})",
                "anyOf": [{"required": [kind]} for kind in kinds],
                "allOf": selectors,
            },
            **{kind: REGISTRY[kind].schema() for kind in kinds},
            "condition": CONDITION_SCHEMA,
            "test": _TEST,
        },
    }


@cache
def _validator(kind: str) -> Draft202012Validator:
    from .schedule import SCHEDULES_FILE_SCHEMA

    return Draft202012Validator(flow_schema() if kind == "flow" else SCHEDULES_FILE_SCHEMA)


def validate(doc: SourceDoc, kind: str = "flow", skip: frozenset[Path_] = frozenset()) -> list[tuple[Path_, Problem]]:
    """Problems of `doc` against the flow (or `schedules`) schema, each with the path of the value
    it is about. Errors inside a path in `skip` are dropped."""
    found: dict[Problem, Path_] = {}
    for error in _validator(kind).iter_errors(doc.data):
        path = tuple(error.absolute_path)
        if any(path[:len(prefix)] == prefix for prefix in skip):
            continue
        for problem in _explain(error, doc, path):
            found.setdefault(problem, path)
    return sorted(((path, problem) for problem, path in found.items()), key=lambda item: item[1])


def _explain(error: ValidationError, doc: SourceDoc, path: Path_) -> list[Problem]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-messages", {}).get(error.validator)
    if custom:
        return [doc.problem(path, "flow.schema", _where(path, custom))]
    if "propertyNames" in error.schema_path:
        key = error.instance
        expected = schema.get("x-expected") or f"a name matching {schema.get('pattern')}"
        return [doc.problem(path + (key,), "flow.schema", f"'{key}' is not {expected}", on_key=True)]
    if error.validator == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extras = [key for key in error.instance if key not in allowed]
        return [doc.problem(path + (key,), "flow.schema",
                            _where(path, f"unknown key '{key}'" + (f" (allowed: {', '.join(allowed)})" if allowed else "")),
                            on_key=True) for key in extras]
    if error.validator == "required":
        missing = [key for key in error.validator_value if key not in error.instance]
        names = ", ".join(f"'{key}'" for key in missing)
        return [doc.problem(path, "flow.schema", _where(path, f"missing {names}"), on_key=bool(path))]
    if error.validator in ("anyOf", "oneOf") and "x-expected" not in schema and error.context:
        inner = best_match(error.context)
        return _explain(inner, doc, path + tuple(inner.relative_path))
    return [doc.problem(path, "flow.schema", _where(path, _message(error, schema)))]


def _message(error: ValidationError, schema: dict) -> str:
    value, got = error.validator_value, _show(error.instance)
    if "x-expected" in schema:
        return f"expected {schema['x-expected']}, got {got}"
    match error.validator:
        case "type":
            kinds = value if isinstance(value, list) else [value]
            return f"expected {' or '.join(_TYPE_WORDS.get(k, k) for k in kinds)}, got {got}"
        case "enum":
            return f"expected one of {', '.join(_show(v) for v in value)}, got {got}"
        case "const":
            return f"expected {_show(value)}, got {got}"
        case "minimum" | "exclusiveMinimum":
            return f"must be {'at least' if error.validator == 'minimum' else 'more than'} {value}, got {got}"
        case "maximum" | "exclusiveMaximum":
            return f"must be {'at most' if error.validator == 'maximum' else 'less than'} {value}, got {got}"
        case "minLength" | "minProperties":
            return "must not be empty"
        case "minItems":
            return f"needs at least {value} item{'s' if value != 1 else ''}"
        case "pattern":
            return f"{got} does not match {value}"
    return error.message


_TYPE_WORDS = {"string": "text", "integer": "a whole number", "number": "a number", "boolean": "true or false",
               "object": "a mapping", "array": "a list", "null": "nothing"}


def _show(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    shown = repr(value)
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _where(path: Path_, message: str) -> str:
    names = [part for part in path if isinstance(part, str)]
    return f"{names[-1]}: {message}" if names else message
