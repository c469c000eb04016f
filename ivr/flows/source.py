"""Reading YAML while remembering where every value came from.

PyYAML's constructors forget positions and silently keep the last of two duplicate keys.
We compose the node tree ourselves and build plain JSON-like data (dict, list, str, int,
float, bool, None) plus a table of positions keyed by the value's path, so any later check
can report `file:line:col` for the exact key or value it complains about.

Hostile files are refused before they can cost much: a file over `MAX_FILE_BYTES`, nesting
deeper than `MAX_DEPTH` (checked on the parser's event stream, before anything recursive
runs), and more than `MAX_VALUES` values once aliases are expanded (a "billion laughs"
alias bomb stops at that count, at the line of the anchor being expanded).

Scalars follow the YAML 1.2 core schema rather than PyYAML's YAML 1.1 rules: only
`true`/`false` are booleans (`no` stays the Norwegian language code), dates and times
stay text, and mapping keys are always text (`1:` is the key "1").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .problems import ERROR, Problem

Path_ = tuple[str | int, ...]  # a value's path in the document: keys and list indexes

_INT = re.compile(r"[-+]?[0-9]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULL = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50  # mappings and lists inside one another
MAX_VALUES = 100_000  # values built, aliases expanded: far beyond any real flow


@dataclass
class SourceDoc:
    """One YAML file's data and the position of each value and key in it (1-based)."""

    file: str
    data: Any = None
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def at(self, path: Path_) -> tuple[int, int]:
        """Where the value at `path` starts; falls back to its nearest ancestor."""
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, (1, 1))

    def key_at(self, path: Path_) -> tuple[int, int]:
        """Where the key that holds the value at `path` starts (the value's own spot for list items)."""
        return self.keys.get(path) or self.at(path)

    def problem(self, path: Path_, code: str, message: str, *, severity: str = ERROR,
                on_key: bool = False) -> Problem:
        line, column = self.key_at(path) if on_key else self.at(path)
        return Problem(self.file, line, column, severity, code, message)


class _YamlProblem(Exception):
    def __init__(self, line: int, column: int, code: str, message: str):
        super().__init__(message)
        self.line, self.column, self.code, self.message = line, column, code, message


def read_yaml(path: Path, display: str | None = None) -> tuple[SourceDoc, list[Problem]]:
    """Parse one YAML file. On a syntax error or duplicate key, data is None and problems say why."""
    doc = SourceDoc(display or str(path))
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            return doc, [Problem(doc.file, 1, 1, ERROR, "flow.too-large",
                                 f"the file is larger than {MAX_FILE_BYTES // 1_000_000} MB")]
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return doc, [Problem(doc.file, 1, 1, ERROR, "flow.unreadable", f"cannot read the file: {exc}")]
    try:
        _check_depth(text)
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        doc.data = None if root is None else _build(root, (), doc, 0, set(), [MAX_VALUES])
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        reason = exc.problem or exc.context or "unreadable"
        return doc, [Problem(doc.file, line, column, ERROR, "flow.yaml", f"invalid YAML: {reason}")]
    except yaml.YAMLError as exc:
        return doc, [Problem(doc.file, 1, 1, ERROR, "flow.yaml", f"invalid YAML: {exc}")]
    except _YamlProblem as exc:
        doc.data = None
        return doc, [Problem(doc.file, exc.line, exc.column, ERROR, exc.code, exc.message)]
    return doc, []


def _check_depth(text: str) -> None:
    """Refuse deep nesting from the event stream (PyYAML's parser is iterative, its composer is not)."""
    depth = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                mark = event.start_mark
                raise _YamlProblem(mark.line + 1, mark.column + 1, "flow.too-deep",
                                   f"invalid YAML: nested more than {MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


def _build(node: yaml.Node, path: Path_, doc: SourceDoc, depth: int, active: set[int], budget: list[int]) -> Any:
    line, column = node.start_mark.line + 1, node.start_mark.column + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise _YamlProblem(line, column, "flow.too-many-values",
                           f"invalid YAML: more than {MAX_VALUES} values once aliases are expanded (an alias bomb?)")
    doc.values[path] = (line, column)
    if depth > MAX_DEPTH or id(node) in active:
        raise _YamlProblem(line, column, "flow.yaml", "invalid YAML: nesting too deep or a recursive alias")
    if isinstance(node, yaml.ScalarNode):
        return _scalar(node)
    active.add(id(node))
    try:
        if isinstance(node, yaml.SequenceNode):
            return [_build(item, path + (i,), doc, depth + 1, active, budget) for i, item in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return _mapping(node, path, doc, depth, active, budget)
    finally:
        active.discard(id(node))
    raise _YamlProblem(line, column, "flow.yaml", "invalid YAML: unsupported node")


def _mapping(node: yaml.MappingNode, path: Path_, doc: SourceDoc, depth: int, active: set[int],
             budget: list[int]) -> dict:
    result: dict[str, Any] = {}
    for key_node, value_node in node.value:
        line, column = key_node.start_mark.line + 1, key_node.start_mark.column + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise _YamlProblem(line, column, "flow.yaml", "invalid YAML: a mapping key must be plain text")
        key = key_node.value
        if key in result:
            first_line, first_column = doc.keys[path + (key,)]
            raise _YamlProblem(line, column, "flow.duplicate-key",
                               f"duplicate key '{key}' (first defined at line {first_line}, column {first_column})")
        doc.keys[path + (key,)] = (line, column)
        result[key] = _build(value_node, path + (key,), doc, depth + 1, active, budget)
    return result


def _scalar(node: yaml.ScalarNode) -> Any:
    text = node.value
    if node.style:  # quoted or block text is always text
        return text
    if text in _NULL:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        return float(text)
    return text
