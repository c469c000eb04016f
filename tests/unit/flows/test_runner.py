"""The runner: guards, errors, cancellation, and the trace."""
from __future__ import annotations

import asyncio

import pytest

from ivr.errors import FlowError
from ivr.flows.runner import FlowRunner
from ivr.flows.simulator import ScriptedPort, parse_inputs


async def test_given_a_loop_that_only_exits_on_input_when_the_caller_never_answers_then_max_steps_stops_it(flow_dir):
    flow_dir.write("loop.yaml", """
        start: ask
        nodes:
          ask:
            menu: {prompt: "Press 1", options: {"1": bye}, retries: 0, fail: again}
          again: {say: "Let's try again", next: ask}
          bye: {hangup: true}
        """)
    result = flow_dir.load()
    assert not result.has_errors
    outcome = await FlowRunner(result, ScriptedPort([]), max_steps=50).run("loop")
    assert outcome.kind == "error" and outcome.error_code == "flow.max-steps"
    assert outcome.steps == 50


async def test_given_an_unknown_flow_or_node_when_run_then_an_error_outcome(flow_dir):
    flow_dir.write("a.yaml", "start: bye\nnodes:\n  bye: {hangup: true}\n")
    result = flow_dir.load()
    outcome = await FlowRunner(result, ScriptedPort()).run("nope")
    assert outcome.kind == "error" and outcome.error_code == "flow.unknown-flow"
    outcome = await FlowRunner(result, ScriptedPort()).run("a", "nowhere")
    assert outcome.kind == "error" and "has no node 'nowhere'" in outcome.describe()


async def test_given_a_run_when_cancelled_while_waiting_for_a_key_then_cancellation_propagates(flow_dir):
    flow_dir.write("wait.yaml", """
        start: ask
        nodes:
          ask:
            menu: {prompt: "Press 1", options: {"1": bye}, fail: bye}
          bye: {hangup: true}
        """)
    result = flow_dir.load()

    class SilentPort(ScriptedPort):
        async def read_digit(self, timeout_s):
            waiting.set()
            await asyncio.sleep(3600)

    waiting = asyncio.Event()
    port = SilentPort()
    task = asyncio.create_task(FlowRunner(result, port).run("wait"))
    await asyncio.wait_for(waiting.wait(), 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not port.hung_up


async def test_given_flow_defaults_when_run_twice_then_runs_do_not_share_variables(flow_dir):
    flow_dir.write("vars.yaml", """
        start: s
        variables: {account: {tier: basic}}
        nodes:
          s: {set: {account.tier: gold}, next: bye}
          bye: {hangup: true}
        """)
    result = flow_dir.load()
    first = await FlowRunner(result, ScriptedPort()).run("vars")
    second = await FlowRunner(result, ScriptedPort(), variables={"x": 1}).run("vars")
    assert first.variables["account"] == {"tier": "gold"} and second.variables["x"] == 1
    assert result.flows["vars"].variables == {"account": {"tier": "basic"}}


async def test_given_a_flow_language_when_run_then_the_call_starts_in_it_unless_the_caller_language_is_known(flow_dir):
    flow_dir.write("fr.yaml", "language: fr\nstart: bye\nnodes:\n  bye: {hangup: true}\n")
    result = flow_dir.load()
    port = ScriptedPort(language="en")
    await FlowRunner(result, port).run("fr")
    assert port.language == "fr"
    port = ScriptedPort(language="en")
    await FlowRunner(result, port, language="de").run("fr")
    assert port.language == "de"


async def test_given_a_run_then_the_trace_reads_as_the_path_taken(flow_dir):
    flow_dir.write("t.yaml", """
        start: ask
        nodes:
          ask:
            gather: {variable: pin, prompt: "PIN please", next: bye, fail: bye}
          bye: {hangup: true}
        """)
    outcome = await FlowRunner(flow_dir.load(), ScriptedPort(["12#"])).run("t")
    assert outcome.trace.lines() == ["-> ask (gather)", '   hears: "PIN please"', "   presses: 12#", "-> bye (hangup)"]
    assert outcome.describe() == "hangup"


@pytest.mark.parametrize("entries, keys", [
    (["1", "42#"], [("1", False), ("4", False), ("2", False), ("#", False)]),
    (["barge:12", "timeout"], [("1", True), ("2", False), (None, False)]),
    ([7], [("7", False)]),
])
def test_given_scripted_input_when_parsed_then_key_events(entries, keys):
    assert [(event.key, event.during_prompt) for event in parse_inputs(entries)] == keys


@pytest.mark.parametrize("entry", ["", "1a", "barge:", "pause"])
def test_given_bad_scripted_input_when_parsed_then_a_clean_error(entry):
    with pytest.raises(FlowError, match="cannot read caller input"):
        parse_inputs([entry])
