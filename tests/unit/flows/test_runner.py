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


class CrashingPort(ScriptedPort):
    """A port whose data dip raises what no node expects (a bug, a library's odd error)."""

    async def http(self, request):
        raise OverflowError("int too large to convert to float")


CRASHING_FLOW = """
    start: lookup
    {failed}
    nodes:
      lookup:
        http: {{url: "http://crm.invalid/x", next: bye, fail: bye}}
      sorry: {{say: "Sorry, something went wrong.", next: {after_sorry}}}
      bye: {{hangup: true}}
    """


async def test_given_a_failed_branch_when_a_node_raises_then_the_run_goes_on_there_and_logs_one_line(
        flow_dir, capsys):
    from ivr import log
    from ivr.flows.runner import NODE_FAILURES

    log.setup("info")
    before = NODE_FAILURES["crash:lookup"]
    outcome, _ = await _run_crashing(flow_dir, "failed: sorry", "bye")
    assert outcome.kind == "hangup"
    assert outcome.visited == ["lookup", "sorry", "bye"]
    assert outcome.variables["flow_error"] == "OverflowError: int too large to convert to float"
    assert NODE_FAILURES["crash:lookup"] == before + 1
    lines = [line for line in capsys.readouterr().err.splitlines() if "event=flow.node_failed" in line]
    assert len(lines) == 1
    assert "flow=crash node=lookup" in lines[0] and "Traceback (most recent call last):\\n" in lines[0]
    assert 'error="OverflowError: int too large to convert to float"' in lines[0]


async def _run_crashing(flow_dir, failed: str, after_sorry: str):
    flow_dir.write("crash.yaml", CRASHING_FLOW.format(failed=failed, after_sorry=after_sorry))
    result = flow_dir.load()
    assert not result.has_errors, [str(p) for p in result.problems]
    port = CrashingPort()
    return await FlowRunner(result, port).run("crash"), port


async def test_given_no_failed_branch_when_a_node_raises_then_the_run_ends_in_an_error_outcome(flow_dir):
    outcome, _ = await _run_crashing(flow_dir, "", "bye")
    assert outcome.kind == "error" and outcome.error_code == "flow.node-crashed"
    assert (outcome.flow, outcome.node) == ("crash", "lookup")
    assert "OverflowError" in outcome.describe()


async def test_given_the_failed_branch_itself_fails_when_run_then_the_run_ends_without_a_second_recovery(flow_dir):
    outcome, _ = await _run_crashing(flow_dir, "failed: sorry", "lookup")  # sorry -> lookup raises again
    assert outcome.kind == "error" and outcome.error_code == "flow.node-crashed"
    assert outcome.visited == ["lookup", "sorry", "lookup"]


async def test_given_a_failed_branch_when_a_node_raises_a_flow_error_then_it_also_goes_there(flow_dir):
    outcome, port = await flow_dir.run("""
        start: out
        failed: sorry
        variables: {number: "1;evil"}
        nodes:
          out: {transfer: "{number}"}
          sorry: {say: "Sorry.", next: bye}
          bye: {hangup: true}
        """)
    assert outcome.visited == ["out", "sorry", "bye"] and port.transfer_request is None
    assert "refusing to transfer" in outcome.variables["flow_error"]


@pytest.mark.parametrize("failed, message", [
    ("failed: nowhere", "failed: unknown node 'nowhere'"),
    ("failed: 12 x", "expected a node id"),
])
def test_given_a_bad_failed_target_when_loaded_then_it_is_refused_at_its_line(flow_dir, failed, message):
    flow_dir.write("f.yaml", f"start: bye\n{failed}\nnodes:\n  bye: {{hangup: true}}\n")
    problems = flow_dir.problems()
    assert any(p.startswith("flows/f.yaml:2:") and message in p for p in problems), problems


def test_given_a_failed_node_reached_only_from_failed_when_loaded_then_it_is_not_called_unreachable(flow_dir):
    flow_dir.write("f.yaml", "start: bye\nfailed: sorry\nnodes:\n  bye: {hangup: true}\n"
                             "  sorry: {say: Sorry, next: bye}\n")
    assert flow_dir.problems() == []
