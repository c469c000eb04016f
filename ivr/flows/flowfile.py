"""One flow file: its YAML, checked against the schema, turned into a `Flow`."""
from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from .languages import is_known_language
from .model import Flow, FlowTest, Node, ParseContext
from .nodes import REGISTRY
from .problems import Problem
from .schema import validate
from .source import Path_, SourceDoc, read_yaml


def read_flow_file(path: Path, display: str) -> tuple[Flow | None, set[str], list[Problem]]:
    """The flow in `path` (None when it cannot be built), the ids of its broken nodes, and its problems."""
    doc, problems = read_yaml(path, display)
    if problems:
        return None, set(), problems
    if not isinstance(doc.data, dict):
        return None, set(), [doc.problem((), "flow.schema", "a flow file must be a mapping with 'start' and 'nodes'")]
    raw_nodes = doc.data.get("nodes") if isinstance(doc.data.get("nodes"), dict) else {}
    kinds, problems = _node_kinds(raw_nodes, doc)
    broken = {node_id for node_id in raw_nodes if node_id not in kinds}
    kindless = {node_id for node_id in broken if isinstance(raw_nodes[node_id], dict)}
    found = validate(doc, "flow", skip=frozenset(("nodes", node_id) for node_id in kindless))
    problems += [problem for _, problem in found]
    bad_paths = [path for path, _ in found]
    broken |= {node_id for node_id in raw_nodes if _under(("nodes", node_id), bad_paths)}
    if not raw_nodes or not isinstance(doc.data.get("start"), str):
        return None, broken, problems
    nodes: dict[str, Node] = {}
    for node_id, raw in raw_nodes.items():
        if node_id in broken:
            continue
        node = REGISTRY[kinds[node_id]].parse(node_id, raw, ParseContext(doc, node_id, problems))
        if node is None:
            broken.add(node_id)
        else:
            nodes[node_id] = node
    language = doc.data.get("language")
    if language is not None and not is_known_language(language):
        problems.append(doc.problem(("language",), "flow.unknown-language", f"unknown language code '{language}'"))
    tests = [FlowTest(test["name"], test, ("tests", index)) for index, test in enumerate(doc.data.get("tests", []))
             if not _under(("tests", index), bad_paths)]
    start = "" if _under(("start",), bad_paths) else doc.data["start"]  # "": already reported
    failed = None if _under(("failed",), bad_paths) else doc.data.get("failed")
    flow = Flow(name=doc.data.get("name") or path.stem, file=display, start=start, nodes=nodes, failed=failed,
                language=language, description=doc.data.get("description", ""),
                variables=dict(doc.data.get("variables", {})), tests=tests, doc=doc)
    return flow, broken, problems


def _node_kinds(raw_nodes: dict[str, Any], doc: SourceDoc) -> tuple[dict[str, str], list[Problem]]:
    """Each node's kind: the one key that names a kind (`queue` may also carry a `language`)."""
    kinds, problems = {}, []
    for node_id, raw in raw_nodes.items():
        if not isinstance(raw, dict):
            continue  # the schema reports it
        if not raw:
            problems.append(doc.problem(("nodes", node_id), "flow.unknown-kind",
                                        f"node '{node_id}' is empty: give it a kind ({', '.join(sorted(REGISTRY))})",
                                        on_key=True))
            continue
        present = [key for key in raw if key in REGISTRY]
        present = [key for key in present if not any(key in REGISTRY[host].schema()["properties"]
                                                     for host in present if host != key)]
        path: Path_ = ("nodes", node_id)
        if not present:
            first = next(iter(raw))
            close = difflib.get_close_matches(first, REGISTRY, n=1, cutoff=0.5)
            hint = f" (did you mean '{close[0]}'?)" if close else f" (known: {', '.join(sorted(REGISTRY))})"
            problems.append(doc.problem(path + (first,), "flow.unknown-kind",
                                        f"unknown node kind '{first}' in node '{node_id}'{hint}", on_key=True))
        elif len(present) > 1:
            problems.append(doc.problem(path + (present[1],), "flow.two-kinds",
                                        f"node '{node_id}' has two kinds, '{present[0]}' and '{present[1]}': "
                                        f"split it into two nodes", on_key=True))
        else:
            kinds[node_id] = present[0]
    return kinds, problems


def _under(prefix: Path_, paths: list[Path_]) -> bool:
    return any(path[:len(prefix)] == prefix for path in paths)
