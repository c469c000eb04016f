"""Checks on the shape of one flow: targets exist, start exists, every node is reached,
and from every node the call can still leave the flow (no loop without a way out)."""
from __future__ import annotations

import difflib
from collections.abc import Mapping

from .model import Flow
from .problems import WARNING, Problem

ENDINGS = "a hangup, queue, transfer or goto"


def check_graph(flow: Flow, broken: set[str], implied: Mapping[str, str] | None = None) -> list[Problem]:
    """`broken` nodes failed to parse: they exist (no cascade of unknown targets) and count as exits.
    `implied`: node -> a node it may go on to that its own keys do not name (acd.yaml's overflow)."""
    doc = flow.doc
    assert doc is not None
    problems: list[Problem] = []
    known = set(flow.nodes) | broken
    edges: dict[str, list[str]] = {node_id: [] for node_id in known}
    exits = set(broken)
    for node_id, node in flow.nodes.items():
        if node.ends_flow:
            exits.add(node_id)
        for target in node.targets():
            if target.node in known:
                edges[node_id].append(target.node)
            else:
                exits.add(node_id)  # already an error: do not also call it a trap
                problems.append(doc.problem(target.path, "flow.unknown-target",
                                            f"unknown node '{target.node}'{_suggest(target.node, known)}"))
    if flow.failed and flow.failed not in known:
        problems.append(doc.problem(("failed",), "flow.unknown-target",
                                    f"failed: unknown node '{flow.failed}'{_suggest(flow.failed, known)}"))
    for node_id, target in (implied or {}).items():
        if target in known:
            edges[node_id].append(target)
    if flow.start and flow.start not in known:
        problems.append(doc.problem(("start",), "flow.missing-start",
                                    f"start node '{flow.start}' is not defined{_suggest(flow.start, known)}"))
    elif flow.start:
        reached = _reachable(flow.start, edges)
        if flow.failed in known:
            reached |= _reachable(flow.failed, edges)
        # A broken node's way on is unknown: what it would reach cannot be judged.
        for node_id in flow.nodes if not reached & broken else ():
            if node_id not in reached:
                problems.append(doc.problem(("nodes", node_id), "flow.unreachable",
                                            f"node '{node_id}' is never reached from start node '{flow.start}'",
                                            severity=WARNING, on_key=True))
    problems.extend(_traps(flow, edges, exits))
    return problems


def _reachable(start: str, edges: dict[str, list[str]]) -> set[str]:
    seen, todo = {start}, [start]
    while todo:
        for target in edges[todo.pop()]:
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


def _traps(flow: Flow, edges: dict[str, list[str]], exits: set[str]) -> list[Problem]:
    """One error per group of connected nodes from which no exit can be reached."""
    incoming: dict[str, list[str]] = {node_id: [] for node_id in edges}
    for source, targets in edges.items():
        for target in targets:
            incoming[target].append(source)
    can_leave = set(exits)
    todo = list(exits)
    while todo:
        for source in incoming[todo.pop()]:
            if source not in can_leave:
                can_leave.add(source)
                todo.append(source)
    trapped = [node_id for node_id in flow.nodes if node_id not in can_leave]
    problems, grouped = [], set()
    for first in trapped:
        if first in grouped:
            continue
        group, todo = {first}, [first]
        while todo:
            current = todo.pop()
            for neighbour in edges[current] + incoming[current]:
                if neighbour not in can_leave and neighbour not in group:
                    group.add(neighbour)
                    todo.append(neighbour)
        grouped |= group
        names = [node_id for node_id in trapped if node_id in group]
        listed = f"node '{names[0]}'" if len(names) == 1 else "nodes " + ", ".join(f"'{n}'" for n in names)
        problems.append(flow.doc.problem(("nodes", first), "flow.no-exit",
                                         f"no way out: {listed} never reach{'es' if len(names) == 1 else ''} "
                                         f"{ENDINGS} (the call would loop forever)", on_key=True))
    return problems


def _suggest(name: str, known: set[str]) -> str:
    close = difflib.get_close_matches(name, sorted(known), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""
