"""Overflow targets: a queue or a flow node, read from acd.yaml and decided by the router; the
explanation kept in the store when an interaction leaves its queue."""
from __future__ import annotations

import pytest
from acd_helpers import agent, call

from acd.config import overflow_nodes, parse
from acd.errors import AcdConfigError
from acd.explain import explain
from acd.model import Queue
from acd.router import Overflow, Router
from acd.store import ExplanationRecord, Store

TWO_QUEUES = """\
queues:
  first:
    max_wait: 3
    overflow: {first}
  second:
    max_wait: 5
    overflow: {second}
"""


def read(first: str, second: str = "voicemail"):
    return parse(TWO_QUEUES.format(first=first, second=second), "acd.yaml")


@pytest.mark.parametrize("target, to_queue", [("second", True), ("{queue: second}", True), ("voicemail", False),
                                              ("{node: second}", False)])
def test_given_an_overflow_target_when_read_then_a_queue_name_means_the_queue_and_anything_else_a_node(
        target, to_queue):
    queue = read(target).queues["first"]
    assert (queue.overflow, queue.overflow_queue) == (target.strip("{}").split(": ")[-1], to_queue)


@pytest.mark.parametrize("first, second, message", [
    ("{queue: thrid}", "x", "acd.yaml:4: queues.first.overflow.queue: unknown queue thrid (known: first, second)"),
    ("second", "first", "acd.yaml:4: queues.first.overflow: overflow cycle first -> second -> first "
                        "(a caller would move for ever)"),
    ("first", "x", "acd.yaml:4: queues.first.overflow: overflow cycle first -> first (a caller would move for ever)"),
    ("{queue: second, node: x}", "x", "acd.yaml:4: queues.first.overflow: give one of queue: NAME or node: NAME"),
    ("{to: second}", "x", "acd.yaml:4: queues.first.overflow.to: unknown key (known: queue, node)"),
    ("{queue: 7}", "x", "acd.yaml:4: queues.first.overflow.queue: expected text, got 7"),
])
def test_given_a_bad_overflow_target_when_read_then_one_line_names_the_key(first, second, message):
    with pytest.raises(AcdConfigError) as caught:
        read(first, second)
    assert str(caught.value) == message


def test_given_queues_overflowing_into_queues_then_each_maps_to_the_node_at_the_end_of_its_chain():
    config = parse("queues:\n  a: {max_wait: 3, overflow: b}\n  b: {max_wait: 3, overflow: c}\n"
                   "  c: {max_wait: 3, overflow: spill}\n  d: {max_wait: 3, overflow: e}\n  e: {}\n", "acd.yaml")
    assert overflow_nodes(config.queues) == {"a": "spill", "b": "spill", "c": "spill"}


def test_given_a_queue_that_overflows_to_a_queue_when_max_wait_passes_then_the_decision_says_to_queue():
    r = Router([Queue("first", max_wait_s=3, overflow="second", overflow_queue=True), Queue("second")],
               [agent("a1", queues=("second",))])
    r.interaction_arrived(call("c1", queue="first"), 0)
    assert r.tick(3) == [Overflow("c1", "first", "second", 3, to_queue=True)]
    assert r.waiting() == []


def test_given_an_explanation_kept_when_read_back_then_it_is_the_same(store_url):
    store = Store(store_url)
    interaction = call("c1")
    found = explain(interaction, [agent("a1"), agent("a2", queues=("other",))], Queue("q"), 12)
    record = ExplanationRecord("c1", 12.0, "abandoned", tuple(found.lines()), tuple(found.eligible()))
    with store.write() as writer:
        writer.explained(record)
    assert store.explanation("c1") == record
    assert "a2: not eligible: logged out; not in queue q" in record.lines[2]
    later = ExplanationRecord("c1", 20.0, "offered to a1", ("x",), ("a1",))
    with store.write() as writer:
        writer.explained(later)
    assert store.explanation("c1") == later and store.explanation("c2") is None
    store.close()
