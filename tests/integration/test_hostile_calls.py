"""Hostile inputs on real calls: a data-dip service answering badly never drops the call or the controller."""
from __future__ import annotations

import pytest
from test_flow_calls import call, flows_dir, serve_flow  # noqa: F401 - fixtures shared with those tests

from ivr.testing.hostile import HostileService

CASES = {"1": "infinity", "2": "huge", "3": "gzip-bomb", "4": "deep", "5": "stall", "6": "big-number", "7": "ok"}
REASONS = {"infinity": "json-constant", "huge": "body-too-large", "gzip-bomb": "body-too-large",
           "deep": "json-too-deep", "stall": "timeout", "big-number": "json-number"}


def dip_flow(service: HostileService) -> str:
    dips = "".join(
        f"  dip_{name.replace('-', '_')}:\n"
        f"    http: {{url: \"{service.url('/' + name)}\", timeout: 2, save: {{balance: balance}},"
        f" next: got, fail: refused}}\n"
        for name in CASES.values())
    options = ", ".join(f'"{key}": dip_{name.replace("-", "_")}' for key, name in CASES.items())
    return (f"name: hostile-dip\nlanguage: en\nstart: pick\nnodes:\n"
            f"  pick:\n    menu: {{prompt: \"Pick.\", options: {{{options}}}, timeout: 4, retries: 0, fail: bye}}\n"
            f"{dips}"
            f"  got: {{say: \"Got it.\", next: bye}}\n"
            f"  refused: {{say: \"Sorry.\", next: bye}}\n"
            f"  bye: {{hangup: true}}\n")


@pytest.fixture
def hostile_service():
    with HostileService() as service:
        yield service


def test_given_a_hostile_data_dip_when_calls_reach_it_then_each_ends_through_fail_and_the_controller_serves_on(
        serve_flow, flows_dir, hostile_service, pbx_state, capsys):
    (flows_dir / "hostile-dip.yaml").write_text(dip_flow(hostile_service))
    serve = serve_flow("hostile-dip")
    seen = []
    for key, name in CASES.items():
        call(["wait 1200", f"dtmf {key}"], timeout_s=60)
        record = serve.wait_for_record(lambda r: all(r is not s for s in seen) and not r.resumed, timeout=30)
        seen.append(record)
        node = f"dip_{name.replace('-', '_')}"
        expected = ["pick", node, "got" if name == "ok" else "refused", "bye"]
        assert record.outcome.visited == expected, (name, record.outcome.describe())
        assert record.outcome.kind == "hangup" and record.error is None and record.ended_by == "controller"
        if name == "ok":
            assert record.outcome.variables["balance"] == 42
    assert serve.error is None and serve.controller.connected.is_set()
    log_lines = [line for line in capsys.readouterr().err.splitlines() if "event=call.http_failed" in line]
    for name, reason in REASONS.items():
        assert any(f"/{name} " in line and f"reason={reason} " in line for line in log_lines), (name, log_lines)
    assert pbx_state() == ([], [])


def test_given_the_demo_lookup_of_the_shipped_config_when_a_caller_asks_their_balance_then_it_is_read_out(
        config, serve_flow):
    from test_flow_calls import MONDAY_10AM

    from ivr.live.demo_lookup import start_lookup

    serve = serve_flow("support-line", clock=lambda: MONDAY_10AM)
    lookup = serve.call(lambda: start_lookup(config.lookup))  # what `ivr serve` starts beside the controller
    try:
        call(["wait 1500", "dtmf 1", "wait 1500", "dtmf 3", "wait 1500", "dtmf 87654321#", "wait 9000", "dtmf 9"],
             timeout_s=90)
        record = serve.wait_for_record(lambda r: not r.resumed, timeout=90)
    finally:
        serve.call(lookup.cleanup)
    assert record.outcome.variables["customer"] == {"name": "Grace", "balance": 1750, "tier": "silver"}
    assert "balance" in record.outcome.visited and "lookup_failed" not in record.outcome.visited
