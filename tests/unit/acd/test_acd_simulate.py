from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from acd import scenario
from acd.errors import ScenarioError
from acd.simulate import simulate, simulate_single_skill
from ivr.acd_cli import acd

ROOT = Path(__file__).resolve().parents[3]
SUMMARY = re.compile(r"^offered=\d+ answered=\d+ abandoned=\d+ asa_s=[\d.]+ service_level=[\d.]+ "
                     r"occupancy=[\d.]+ erlang_c_service_level=([\d.]+|-)$")


def test_given_a_seed_when_simulated_twice_then_the_results_are_identical():
    first = simulate_single_skill(5, 60, 240, 120, 4, 42, 20)
    second = simulate_single_skill(5, 60, 240, 120, 4, 42, 20)
    other = simulate_single_skill(5, 60, 240, 120, 4, 43, 20)
    assert first.summary_line() == second.summary_line() != other.summary_line()


def test_given_no_abandonment_when_simulated_long_then_service_level_lands_near_erlang_c():
    result = simulate_single_skill(13, 200, 180, None, 100, 1, 20)
    assert result.kpis.abandoned == 0 and result.kpis.answered == result.kpis.offered
    assert result.kpis.service_level == pytest.approx(result.erlang_c_service_level, abs=0.04)
    assert result.kpis.occupancy == pytest.approx(10 / 13, abs=0.03)
    assert result.kpis.aht_s == pytest.approx(180, rel=0.05)


def test_given_impatient_callers_when_simulated_then_some_abandon_and_counts_add_up():
    result = simulate_single_skill(3, 60, 240, 30, 4, 3, 20)
    kpis = result.kpis
    assert kpis.abandoned > 0
    assert kpis.offered == kpis.answered + kpis.abandoned + kpis.overflowed


def test_given_the_example_scenario_when_simulated_then_both_queues_carry_traffic():
    loaded = scenario.load(ROOT / "bench" / "acd_scenario.yaml")
    result = simulate(loaded.queues, loaded.agents, loaded.traffic, 2, loaded.seed, loaded.sl_seconds)
    assert set(result.per_queue) == {"billing", "support"}
    assert all(kpis.answered > 0 for kpis in result.per_queue.values())
    assert result.erlang_c_service_level is None and SUMMARY.match(result.summary_line())


def test_given_callers_nobody_can_serve_when_simulated_then_they_are_offered_but_not_answered(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("queues: {q: {}}\nagents: [{id: a, queues: [q], skills: {x: 1}}]\n"
                    "traffic: [{queue: q, calls_per_hour: 30, aht: 60, skills: {y: 1}}]\nhours: 1\n")
    loaded = scenario.load(path)
    result = simulate(loaded.queues, loaded.agents, loaded.traffic, loaded.hours, 1, 20)
    assert result.kpis.answered == 0 and result.still_waiting == result.kpis.offered > 0


@pytest.mark.parametrize("text, message", [
    ("queues: {q: {}}\ntraffic: [{queue: nope, calls_per_hour: 1, aht: 60}]\n",
     r"s.yaml:2: traffic\[0\].queue: unknown queue nope"),
    ("queues: {q: {}}\ntraffic: [{queue: q, aht: 60}]\n", r"traffic\[0\]: missing calls_per_hour"),
    ("queues: {q: {}}\nagents: [{id: a, count: 0, queues: [q]}]\ntraffic: [{queue: q, calls_per_hour: 1, aht: 9}]\n",
     r"agents\[0\].count: must be at least 1"),
    ("queues: {q: {}}\ntraffic: []\n", r"traffic: at least one traffic class"),
])
def test_given_a_broken_scenario_when_loaded_then_one_line_names_the_place(tmp_path, text, message):
    path = tmp_path / "s.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=message):
        scenario.load(path)


def test_given_single_skill_options_when_run_from_the_cli_then_the_last_line_is_the_summary():
    result = CliRunner().invoke(acd, ["simulate", "--agents", "4", "--calls-per-hour", "40", "--aht", "180",
                                      "--patience", "120", "--hours", "2", "--seed", "5", "--sl-seconds", "20"])
    assert result.exit_code == 0, result.output
    last = result.output.strip().splitlines()[-1]
    assert SUMMARY.match(last) and not last.endswith("=-")


def test_given_a_scenario_when_run_from_the_cli_then_erlang_c_is_a_dash():
    result = CliRunner().invoke(acd, ["simulate", "--scenario", str(ROOT / "bench" / "acd_scenario.yaml"),
                                      "--hours", "1"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1].endswith("erlang_c_service_level=-")


@pytest.mark.parametrize("args, message", [
    (["simulate", "--agents", "3"], "give --scenario FILE, or --calls-per-hour, --aht"),
    (["simulate", "--scenario", "x.yaml", "--agents", "3"], "--agents is for the single-skill case"),
    (["simulate", "--scenario", "/nonexistent/x.yaml"], "cannot read"),
])
def test_given_bad_options_when_run_then_one_clear_error_and_a_non_zero_exit(args, message):
    result = CliRunner().invoke(acd, args)
    assert result.exit_code != 0 and message in result.output
