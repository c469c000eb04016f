"""Tests written inside flow files, run in the simulator by `ivr flows test`.

    tests:
      - name: billing during office hours
        at: "2026-11-23T10:00"        # local time; timezone: Europe/Paris to say where
        caller: "+15551234567"
        inputs: ["1", "1"]            # see ivr.flows.simulator for the input syntax
        http: [{status: 200, json: {balance: 42}}]
        queue_result: answered        # what the ACD answers (default answered)
        expect:
          queued: {queue: billing, skills: {billing: 2}, language: en}
          visited: [language_choice, hours, main_menu, billing]   # in this order (others may come between)
          heard: ["balance is 42"]    # parts of prompts, in this order

Other expectations: `transferred: agent1`, `hangup: true`, `error: <text or code>`,
`recorded: true` (or a count), `variables: {account: "123456"}`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ivr.errors import FlowError

from .expr import text_of
from .model import Flow, FlowSet, FlowTest
from .port import HttpResult
from .runner import ERROR, HANGUP, QUEUED, TRANSFERRED, FlowRunner, Outcome
from .simulator import ScriptedPort, parse_time


@dataclass
class FlowTestResult:
    flow: str
    name: str
    where: str  # file:line:col of the test
    failures: list[str] = field(default_factory=list)
    outcome: Outcome | None = None

    @property
    def passed(self) -> bool:
        return not self.failures


async def run_flow_test(flows: FlowSet, flow: Flow, test: FlowTest) -> FlowTestResult:
    line, column = flow.doc.at(test.path) if flow.doc else (1, 1)
    result = FlowTestResult(flow.name, test.name, f"{flow.file}:{line}:{column}")
    spec = test.spec
    try:
        port = ScriptedPort(
            spec.get("inputs", []), at=parse_time(spec.get("at"), spec.get("timezone")),
            caller=spec.get("caller", ""), dialed=spec.get("dialed", ""),
            language=spec.get("language", flow.language or "en"),
            http=[HttpResult(answer["status"], answer.get("json")) for answer in spec.get("http", [])],
            queue_result=spec.get("queue_result", "answered"), queue_overflows=flows.queue_overflows)
    except FlowError as exc:
        result.failures.append(str(exc))
        return result
    runner = FlowRunner(flows, port, variables=spec.get("variables"), language=spec.get("language"))
    outcome = await runner.run(flow.name, spec.get("start"))
    result.outcome = outcome
    result.failures = check_expectations(spec["expect"], outcome)
    return result


def check_expectations(expect: dict[str, Any], outcome: Outcome) -> list[str]:
    failures = []
    got = outcome.describe()
    if "queued" in expect:
        failures += _check_queued(expect["queued"], outcome, got)
    if "transferred" in expect:
        if outcome.kind != TRANSFERRED or outcome.transfer_to != expect["transferred"]:
            failures.append(f"expected transferred: {expect['transferred']}, got {got}")
    if expect.get("hangup") and outcome.kind != HANGUP:
        failures.append(f"expected hangup, got {got}")
    if "error" in expect:
        wanted = expect["error"]
        if outcome.kind != ERROR or (wanted != outcome.error_code and wanted not in (outcome.error or "")):
            failures.append(f"expected error {wanted!r}, got {got}")
    if "recorded" in expect:
        wanted, count = expect["recorded"], len(outcome.recordings)
        matched = (count > 0) == wanted if isinstance(wanted, bool) else count == wanted
        if not matched:
            failures.append(f"expected recorded: {wanted}, got {count} recording(s)")
    if "visited" in expect:
        missing = _missing_in_order(expect["visited"], outcome.visited, lambda want, have: want == have)
        if missing is not None:
            failures.append(f"expected to visit {missing!r} (in order {expect['visited']}), "
                            f"visited {outcome.visited}")
    if "heard" in expect:
        missing = _missing_in_order(expect["heard"], outcome.trace.heard, lambda want, have: want in have)
        if missing is not None:
            failures.append(f"expected to hear {missing!r}, heard {outcome.trace.heard}")
    for name, wanted in expect.get("variables", {}).items():
        value = _variable(outcome.variables, name)
        if text_of(value) != text_of(wanted):
            failures.append(f"expected variable {name} = {wanted!r}, got {value!r}")
    return failures


def _check_queued(wanted: dict[str, Any], outcome: Outcome, got: str) -> list[str]:
    if outcome.kind != QUEUED or outcome.queue is None:
        return [f"expected queued, got {got}"]
    actual = {"queue": outcome.queue.queue, "skills": outcome.queue.skills, "language": outcome.queue.language,
              "priority": outcome.queue.priority, "customer": outcome.queue.customer, "result": outcome.queue_result}
    return [f"expected queued {key}: {value!r}, got {actual[key]!r}"
            for key, value in wanted.items() if actual[key] != value]


def _missing_in_order(wanted: list[str], actual: list[str], matches: Any) -> str | None:
    """The first wanted item not found (in order) in `actual`, or None when all are."""
    position = 0
    for item in wanted:
        while position < len(actual) and not matches(item, actual[position]):
            position += 1
        if position == len(actual):
            return item
        position += 1
    return None


def _variable(variables: dict[str, Any], name: str) -> Any:
    value: Any = variables
    for part in name.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


async def run_all(flows: FlowSet, names: list[str] | None = None) -> list[FlowTestResult]:
    """Run the tests of the named flows (all flows when None), in file order."""
    results = []
    for flow in flows.flows.values():
        if names is None or flow.name in names:
            for test in flow.tests:
                results.append(await run_flow_test(flows, flow, test))
    return results
