"""`ivr top --once`, `ivr agents list`, `ivr queues list` and /metrics against a real serving controller:
a French caller answered by agent1's SIPp phone, two English callers waiting (nobody speaks English
here, so they wait, then hang up)."""
from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

from acd.model import AgentState
from test_acd_calls import HERE, serving_acd, until

ROOT = HERE.parents[1]


def ivr(acd, *args: str) -> str:
    env = {**os.environ, "IVR_CONFIG": str(ROOT / "ivr.yaml"), "IVR_CONTROL_PORT": str(acd.config.control.port),
           "IVR_CONTROL_TOKEN_FILE": acd.config.control.token_file}
    result = subprocess.run([sys.executable, "-m", "ivr", *args], capture_output=True, text=True, env=env, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout


def line_of(output: str, first_word: str) -> list[str]:
    return next(line.split() for line in output.splitlines() if line.split()[:1] == [first_word])


def metrics(acd, host: str | None = None) -> dict[tuple[str, tuple], float]:
    """(sample name, sorted labels) -> value, parsed by prometheus-client's own parser."""
    request = urllib.request.Request(f"http://127.0.0.1:{acd.config.metrics.port}/metrics")
    if host:
        request.add_header("Host", host)
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read().decode()
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_given_waiting_callers_and_an_agent_when_the_wallboard_and_metrics_are_read_then_they_show_the_floor(
        config, pbx, pbx_state, tmp_path):
    with serving_acd(config, pbx_state, tmp_path, acd_file=HERE / "acd-test.yaml", flows_dir=HERE / "acd_flows",
                     flow="acd-test") as acd:
        acd.phone("agent1")
        acd.login("agent1")
        acd.call("3355510", hang_up_after_ms=2500)
        acd.call("5550110", hang_up_after_ms=13000)
        acd.call("5550111", hang_up_after_ms=13000)
        assert acd.ended("3355510").outcome == "answered"
        until(lambda: acd.service.day_stats.today["billing"].answered == 1, 10, "the wallboard to count the answer")
        until(lambda: acd.agent("agent1").state is AgentState.AVAILABLE, 10, "agent1 out of wrap-up")
        until(lambda: len(acd.service.router.waiting("billing")) == 2, 10, "two callers waiting")

        frame = ivr(acd, "top", "--once")
        queue, waited = line_of(frame, "billing"), acd.on_loop(lambda: acd.service.clock()) - min(
            i.enqueued_at for i in acd.service.router.waiting("billing"))
        assert queue[:2] == ["billing", "2"]
        minutes, seconds = map(int, queue[2].split(":"))
        assert 1 <= minutes * 60 + seconds <= waited + 1
        assert queue[3:] == ["100%", "(goal", "80%/20s)", "1", "1", "0", "1/1"]
        assert line_of(frame, "agent1")[2:3] == ["available"] and "billing:3" in frame and " fr " in frame
        assert line_of(frame, "agent2")[2] == "logged_out"

        agents = ivr(acd, "agents", "list")
        assert "skills=billing:3 languages=fr" in agents and "skills=billing:2 languages=en" in agents
        assert line_of(ivr(acd, "queues", "list"), "billing")[1:3][0] == "waiting=2"
        assert line_of(ivr(acd, "queues", "list"), "billing")[2].startswith("longest_wait=")

        found = metrics(acd)
        billing = (("queue", "billing"),)
        assert found[("ivr_queue_waiting", billing)] == 2
        assert 1 <= found[("ivr_queue_longest_wait_seconds", billing)] <= 15
        assert found[("ivr_agents", (("state", "available"),))] == 1
        assert found[("ivr_agents", (("state", "logged_out"),))] == 2
        assert (found[("ivr_acd_offered_total", billing)], found[("ivr_acd_answered_total", billing)],
                found[("ivr_acd_abandoned_total", billing)]) == (1, 1, 0)
        assert 0 <= found[("ivr_event_loop_lag_seconds", ())] < 0.5
        assert found[("ivr_ari_reconnects_total", ())] == 0
        assert not any(name == "ivr_handler_failures_total" for name, _ in found)
        try:
            metrics(acd, host="evil.example")
            raise AssertionError("a foreign Host header was served")
        except urllib.error.HTTPError as exc:
            assert exc.code == 421

        assert acd.ended("5550110").outcome == acd.ended("5550111").outcome == "abandoned"
        until(lambda: acd.service.day_stats.today["billing"].abandoned == 2, 10, "the wallboard to count abandons")
        after = metrics(acd)
        assert (after[("ivr_acd_offered_total", billing)], after[("ivr_acd_abandoned_total", billing)]) == (3, 2)
        assert after[("ivr_queue_waiting", billing)] == 0
        assert line_of(ivr(acd, "top", "--once"), "billing")[:9] == \
            ["billing", "0", "00:00", "33%", "(goal", "80%/20s)", "3", "1", "2"]
