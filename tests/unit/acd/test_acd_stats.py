from __future__ import annotations

import math

import pytest

from acd import erlang, stats
from acd.model import AgentState, Media, StateChange
from acd.store import InteractionRecord

A, B, R, W, P = AgentState.AVAILABLE, AgentState.BUSY, AgentState.RINGING, AgentState.WRAP_UP, AgentState.PAUSED


def record(enqueued, answered, ended, outcome="answered"):
    return InteractionRecord("x", "q", Media.VOICE, enqueued, answered, ended, outcome, "a1")


RECORDS = [record(0, 10, 110), record(0, 30, 230), record(0, None, 50, "abandoned"), record(0, None, 600, "overflow")]


def test_given_ended_interactions_when_measured_then_asa_and_aht_average_the_answered_ones():
    assert stats.asa(RECORDS) == 20
    assert stats.aht(RECORDS) == 150


def test_given_ended_interactions_when_measured_then_rates_divide_by_everything_offered():
    assert stats.abandonment_rate(RECORDS) == 0.25
    assert stats.service_level(RECORDS, within_s=20) == 0.25
    assert stats.service_level(RECORDS, within_s=30) == 0.5


def test_given_nothing_ended_when_measured_then_kpis_are_none_not_zero():
    assert stats.asa([]) is None and stats.service_level([], 20) is None and stats.abandonment_rate([]) is None


def test_given_a_state_log_when_occupancy_is_measured_then_only_the_period_counts_and_pauses_do_not():
    changes = [StateChange("a1", AgentState.LOGGED_OUT, A, 0), StateChange("a1", A, R, 40),
               StateChange("a1", R, B, 50), StateChange("a1", B, W, 80), StateChange("a1", W, P, 90, "lunch"),
               StateChange("a2", A, B, 100)]
    # a1: available 0-40, occupied 40-90, paused after; a2: available until 100, busy after.
    assert stats.occupancy(changes, 0, 100) == pytest.approx(50 / (40 + 50 + 100))
    assert stats.occupancy(changes, 45, 200) == pytest.approx((45 + 100) / (45 + 100 + 55))


def test_given_everything_when_kpis_are_computed_then_they_come_together():
    changes = [StateChange("a1", A, B, 0), StateChange("a1", B, A, 50)]
    kpis = stats.kpis(RECORDS, changes, 20, 0, 100)
    assert (kpis.offered, kpis.answered, kpis.abandoned, kpis.overflowed) == (4, 2, 1, 1)
    assert kpis.occupancy == 0.5


@pytest.mark.parametrize("agents, erlangs, expected", [
    (3, 2.0, 4 / 9),  # exact
    (11, 10.0, 0.6821),  # textbook table: 10 erlangs
    (12, 10.0, 0.4494),
    (13, 10.0, 0.2853),
    (14, 10.0, 0.1741),
])
def test_given_textbook_traffic_when_erlang_c_is_computed_then_it_matches_the_tables(agents, erlangs, expected):
    assert erlang.erlang_c(agents, erlangs) == pytest.approx(expected, abs=5e-4)


def test_given_the_classic_example_when_service_level_is_computed_then_it_matches():
    # 100 calls per half hour, 180 s handle time, 20 s target: 10 erlangs.
    erlangs = erlang.traffic_erlangs(200, 180)
    assert erlangs == 10
    assert erlang.service_level(11, erlangs, 180, 20) == pytest.approx(1 - 0.6821 * math.exp(-1 * 20 / 180), abs=1e-3)
    assert erlang.average_speed_of_answer(11, erlangs, 180) == pytest.approx(0.6821 * 180, abs=0.1)


def test_given_a_huge_centre_when_erlang_c_is_computed_then_it_stays_finite_and_sane():
    value = erlang.erlang_c(5000, 4900.0)
    assert 0 < value < 1 and math.isfinite(value)


def test_given_too_few_agents_when_erlang_c_is_computed_then_everyone_waits():
    assert erlang.erlang_c(5, 5.0) == 1.0
    assert erlang.service_level(5, 6.0, 180, 20) == 0.0
