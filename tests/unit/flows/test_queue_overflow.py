"""Where a queued call goes on overflow: the queue node's own target, else acd.yaml's node."""
from __future__ import annotations

from ivr.flows.loader import read_queue_overflows

FLOW = """
    start: q
    nodes:
      q: {queue: sales%s}
      spill: {say: "Everyone is busy.", next: bye}
      own: {say: "Our own overflow.", next: bye}
      bye: {hangup: true}
    """


async def test_given_acd_yaml_overflows_to_a_node_of_the_flow_when_the_queue_overflows_then_the_call_goes_there(
        flow_dir):
    outcome, port = await flow_dir.run(FLOW % "", queue_result="overflow", queue_overflows={"sales": "spill"})
    assert outcome.kind == "hangup"
    assert "Everyone is busy." in [prompt.say for prompt, _ in port.heard]


async def test_given_the_queue_node_has_its_own_overflow_target_then_it_wins_over_acd_yaml(flow_dir):
    outcome, port = await flow_dir.run(FLOW % ", overflow: own", queue_result="overflow",
                                       queue_overflows={"sales": "spill"})
    assert [prompt.say for prompt, _ in port.heard] == ["Our own overflow."]


async def test_given_acd_yaml_names_a_node_the_flow_lacks_when_the_queue_overflows_then_the_flow_ends_queued(
        flow_dir):
    outcome, port = await flow_dir.run(FLOW % "", queue_result="overflow", queue_overflows={"sales": "nowhere"})
    assert (outcome.kind, outcome.queue_result) == ("queued", "overflow")
    assert any("not a node of this flow" in line for line in outcome.trace.lines())


async def test_given_an_acd_yaml_target_when_the_call_is_answered_then_it_is_not_taken(flow_dir):
    outcome, port = await flow_dir.run(FLOW % "", queue_result="answered", queue_overflows={"sales": "spill"})
    assert (outcome.kind, outcome.queue_result, port.heard) == ("queued", "answered", [])


def test_given_acd_yaml_overflows_to_a_missing_node_when_checked_then_a_warning_names_the_queue_node(flow_dir):
    flow_dir.write("test.yaml", FLOW % "")
    problems = flow_dir.problems(queue_overflows={"sales": "voicemail"})
    assert problems[0] == ("flows/test.yaml:3:14: warning: acd.yaml overflows queue 'sales' to 'voicemail', which is "
                           "not a node of this flow (the call would end there): add the node or an overflow: target")
    assert problems[1:] == [f"flows/test.yaml:{line}:3: warning: node '{node}' is never reached from start node 'q'"
                            for line, node in ((4, "spill"), (5, "own"), (6, "bye"))]


def test_given_acd_yaml_overflows_to_a_node_when_checked_then_that_node_counts_as_reached(flow_dir):
    flow_dir.write("test.yaml", FLOW % "")
    assert flow_dir.problems(queue_overflows={"sales": "spill"}) == [
        "flows/test.yaml:5:3: warning: node 'own' is never reached from start node 'q'"]


def test_given_queues_that_overflow_into_each_other_when_read_then_each_maps_to_the_last_node(tmp_path):
    acd = tmp_path / "acd.yaml"
    acd.write_text("queues:\n  a: {max_wait: 5, overflow: b}\n  b: {max_wait: 5, overflow: {node: b}}\n"
                   "  c: {max_wait: 5, overflow: {queue: d}}\n  d: {}\n")
    assert read_queue_overflows(acd) == {"a": "b", "b": "b"}
    assert read_queue_overflows(tmp_path / "absent.yaml") is None
