"""`ivr report` on a store with known rows: every figure below is worked out by hand.

Period 08:00-10:00 (T0 = 08:00), two 1 h intervals. billing answers within 20 s, support within 30 s.

  b1 billing  waits 10 s (answered in SL), agent1 talks 100 s, ends T0+110
  b2 billing  waits 30 s (answered, out of SL), agent2 talks 200 s, ends T0+290
  b3 billing  abandons after 3 s (a short abandon), ends T0+103
  b4 billing  abandons after 60 s, ends T0+260
  s1 support  waits 25 s (in support's 30 s SL), agent2 talks 120 s, ends T0+3745
  s2 support  overflows after 600 s (a transfer), ends T0+4300
  old billing ended before the period; late billing ended after it: neither counts

State log: both agents available from before the period; agent1 busy 10-110; agent2 busy 90-290
and 3625-3745, logged out at 5000. Occupancy = busy / (busy + available):
  total 420 / (420 + 7100 + 4680); first hour 300 / 7200; second hour 120 / 5000;
  agent1 100 / 7200, agent2 320 / 5000; support (agent2 only) 320 / 5000.
"""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from acd import config as acd_config
from acd import report
from acd.model import Agent, AgentState, Interaction, StateChange
from acd.store import Store

T0 = datetime(2026, 3, 2, 8, 0).timestamp()
ACD_YAML = """
skills: [billing, support]
queues:
  billing: {service_level: {target: 80, within: 20}}
  support: {service_level: {target: 90, within: 30}}
agents:
  - {id: agent1, queues: [billing], skills: {billing: 2}}
  - {id: agent2, queues: [billing, support], skills: {billing: 1, support: 3}}
"""
ROWS = [  # id, queue, enqueued, answered, ended, outcome, agent
    ("b1", "billing", 0, 10, 110, "answered", "agent1"),
    ("b2", "billing", 60, 90, 290, "answered", "agent2"),
    ("b3", "billing", 100, None, 103, "abandoned", None),
    ("b4", "billing", 200, None, 260, "abandoned", None),
    ("s1", "support", 3600, 3625, 3745, "answered", "agent2"),
    ("s2", "support", 3700, None, 4300, "overflow", None),
    ("old", "billing", -500, -480, -100, "answered", "agent1"),
    ("late", "billing", 7100, 7110, 7300, "answered", "agent1"),
]
A, B, OUT = AgentState.AVAILABLE, AgentState.BUSY, AgentState.LOGGED_OUT
CHANGES = [("agent1", OUT, A, -1000), ("agent2", OUT, A, -1000), ("agent1", A, B, 10), ("agent2", A, B, 90),
           ("agent1", B, A, 110), ("agent2", B, A, 290), ("agent2", A, B, 3625), ("agent2", B, A, 3745),
           ("agent2", A, OUT, 5000)]


def fill(store: Store) -> None:
    agents = {"agent1": Agent("agent1"), "agent2": Agent("agent2")}
    with store.write() as writer:
        for seq, (id_, queue, enqueued, answered, ended, outcome, agent) in enumerate(ROWS, start=1):
            writer.waiting(Interaction(id_, queue, enqueued_at=T0 + enqueued, customer=id_, seq=seq))
            if agent:
                writer.offered(id_, agent, T0 + answered - 1)
                writer.answered(id_, T0 + answered)
            writer.ended(id_, T0 + ended, outcome)
        writer.agent_changes([StateChange(agent, old, new, T0 + at) for agent, old, new, at in CHANGES], agents)


@pytest.fixture
def filled(tmp_path, store_url):
    (tmp_path / "acd.yaml").write_text(ACD_YAML)
    store = Store(store_url)
    fill(store)
    yield store, acd_config.load(tmp_path / "acd.yaml")
    store.close()


def built(store: Store, acd, queues=None) -> report.Report:
    members = {name: [a.id for a in acd.agents if name in a.queues] for name in acd.queues}
    agents = sorted({a for q in queues for a in members[q]}) if queues else None
    return report.build(store.ended(T0, T0 + 7200, queues), store.state_log_between(T0, T0 + 7200), acd.queues,
                        T0, T0 + 7200, 3600, agents=agents, members=members)


def test_given_known_rows_when_reported_then_the_totals_match_the_hand_computed_figures(filled):
    total = built(*filled).total
    assert (total.offered, total.answered, total.abandoned, total.short_abandoned, total.transfers) == (6, 3, 2, 1, 1)
    assert total.asa_s == pytest.approx((10 + 30 + 25) / 3)
    assert total.aht_s == pytest.approx((100 + 200 + 120) / 3)
    assert total.service_level == pytest.approx(2 / 6)  # b1 within 20 s, s1 within support's 30 s
    assert total.occupancy == pytest.approx(420 / (420 + 7100 + 4680))


def test_given_known_rows_when_reported_by_hour_then_each_interval_has_its_own_figures(filled):
    (first_start, first), (second_start, second) = built(*filled).intervals
    assert (first_start, second_start) == (T0, T0 + 3600)
    assert (first.offered, first.answered, first.abandoned, first.short_abandoned, first.transfers) == (4, 2, 2, 1, 0)
    assert (first.asa_s, first.aht_s, first.service_level) == (20, 150, 0.25)
    assert first.occupancy == pytest.approx(300 / 7200)
    assert (second.offered, second.answered, second.transfers, second.asa_s, second.aht_s) == (2, 1, 1, 25, 120)
    assert second.service_level == 0.5 and second.occupancy == pytest.approx(120 / 5000)


def test_given_known_rows_when_reported_then_queues_and_agents_have_their_own_figures(filled):
    result = built(*filled)
    billing, support = result.per_queue["billing"], result.per_queue["support"]
    assert (billing.offered, billing.answered, billing.service_level) == (4, 2, 0.25)
    assert (support.offered, support.answered, support.service_level) == (2, 1, 0.5)
    assert support.occupancy == pytest.approx(320 / 5000)
    agent1, agent2 = result.per_agent
    assert (agent1.agent_id, agent1.answered, agent1.aht_s, agent1.talk_s) == ("agent1", 1, 100, 100)
    assert agent1.occupancy == pytest.approx(100 / 7200)
    assert (agent2.agent_id, agent2.answered, agent2.aht_s, agent2.talk_s) == ("agent2", 2, 160, 320)
    assert agent2.occupancy == pytest.approx(320 / 5000)


def test_given_one_queue_when_reported_then_only_its_interactions_and_members_count(filled):
    total = built(*filled, queues=["support"]).total
    assert (total.offered, total.answered, total.transfers, total.service_level) == (2, 1, 1, 0.5)
    assert total.occupancy == pytest.approx(320 / 5000)


# -- the command ---------------------------------------------------------------------------

@pytest.fixture
def setup(tmp_path):
    (tmp_path / "acd.yaml").write_text(ACD_YAML)
    (tmp_path / "ivr.yaml").write_text("acd: {file: acd.yaml, store_url: 'sqlite:///acd.sqlite'}\n")
    store = Store(f"sqlite:///{tmp_path / 'acd.sqlite'}")
    fill(store)
    store.close()
    return tmp_path


def ivr(setup: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ivr", "--config", str(setup / "ivr.yaml"), *args],
                          capture_output=True, text=True, timeout=60, cwd=setup)


PERIOD = ("--from", "2026-03-02T08:00", "--to", "2026-03-02T10:00")


def test_given_a_store_when_ivr_report_runs_then_it_prints_the_figures_and_writes_csv_and_png(setup):
    result = ivr(setup, "report", *PERIOD, "--csv", "out.csv", "--plot", "out.png")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert next(line for line in lines if line.startswith("all ")).split() == \
        ["all", "6", "3", "2", "1", "1", "21.7", "140.0", "33.3%", "3.4%"]
    assert next(line for line in lines if line.startswith("support ")).split()[:3] == ["support", "2", "1"]
    rows = list(csv.DictReader((setup / "out.csv").open()))
    total = next(row for row in rows if row["scope"] == "total")
    assert (total["offered"], total["answered"], total["service_level"]) == ("6", "3", "0.3333")
    assert [row["start"] for row in rows if row["scope"] == "interval"] == ["2026-03-02 08:00", "2026-03-02 09:00"]
    agent2 = next(row for row in rows if row["scope"] == "agent" and row["name"] == "agent2")
    assert (agent2["answered"], agent2["aht_s"], agent2["occupancy"]) == ("2", "160.0", "0.064")
    png = (setup / "out.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 5000


@pytest.mark.parametrize("args, message", [
    (("--from", "yesterday"), "Error: --from: expected a date or date-time"),
    (("--from", "2026-03-02", "--to", "2026-03-01"), "Error: --to (2026-03-01 00:00) must come after --from"),
    ((*PERIOD, "--queue", "sales"), "Error: --queue: unknown queue sales (known: billing, support)"),
    ((*PERIOD, "--interval", "2h"), "Error: --interval: expected one of 15m, 1h, 1d, got '2h'"),
    ((*PERIOD, "--plot", "chart.jpg"), "Error: --plot: chart.jpg: the file name must end in .png"),
])
def test_given_bad_input_when_ivr_report_runs_then_one_error_line_and_a_non_zero_exit(setup, args, message):
    result = ivr(setup, "report", *args)
    assert result.returncode != 0
    assert result.stderr.splitlines() == [result.stderr.strip()] and result.stderr.startswith(message), result.stderr
    assert result.stdout == ""
