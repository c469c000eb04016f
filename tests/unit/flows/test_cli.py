"""`ivr flows check|schema|simulate|test` through click's CliRunner."""
from __future__ import annotations

import json
from pathlib import Path

import click
from click.testing import CliRunner

from ivr.config import Config
from ivr.flows.cli import flows

ROOT = Path(__file__).resolve().parents[3]
SHIPPED = ROOT / "flows"


def invoke(*args: str):
    return CliRunner().invoke(flows, list(args), catch_exceptions=False)


def test_given_the_shipped_flows_when_checked_then_ok_with_a_summary(monkeypatch):
    monkeypatch.chdir(ROOT)
    result = invoke("check")
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "ok: 3 flows, 31 nodes, 0 warnings"


def test_given_the_shipped_flows_when_their_tests_run_then_all_pass():
    result = invoke("test", str(SHIPPED))
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "14 passed, 0 failed"


def test_given_a_broken_flow_when_checked_then_problems_one_per_line_and_exit_1(flow_dir):
    flow_dir.write("bad.yaml", "start: a\nnodes:\n  a: {say: hi, next: b}\n  c: {hangup: yes}\n")
    result = invoke("check", str(flow_dir.root))
    assert result.exit_code == 1
    lines = [line.replace(str(flow_dir.root), "flows") for line in result.output.strip().splitlines()]
    assert lines == [
        "flows/bad.yaml:3:22: error: unknown node 'b'",
        "flows/bad.yaml:4:15: error: hangup: expected true, got 'yes'",
        "failed: 2 errors, 0 warnings",
    ]


def test_given_a_config_with_an_acd_file_beside_it_when_checked_then_queue_names_are_checked(tmp_path, flow_dir):
    (tmp_path / "ivr.yaml").write_text("log: {level: info}\n")
    (tmp_path / "acd.yaml").write_text("queues:\n  billing: {}\n  support: {}\n")
    flow_dir.write("q.yaml", "start: q\nnodes:\n  q: {queue: sales}\n")

    @click.group()
    @click.pass_context
    def root(ctx):
        ctx.obj = Config(source=str(tmp_path / "ivr.yaml"))

    root.add_command(flows)
    result = CliRunner().invoke(root, ["flows", "check", str(flow_dir.root)])
    assert result.exit_code == 1
    assert "error: unknown queue 'sales' (the ACD has: billing, support)" in result.output


def test_given_a_config_with_speech_models_when_a_flow_listens_in_another_language_then_check_refuses_it(
        tmp_path, flow_dir):
    flow_dir.write("ko.yaml", """
        name: ko
        language: ko
        start: menu
        nodes:
          menu:
            menu: {prompt: {say: "말씀하세요"}, options: {"1": done}, speech: {상담원: "1"}, fail: done}
          done: {hangup: true}
        """)

    @click.group()
    @click.pass_context
    def root(ctx):
        ctx.obj = Config(source=str(tmp_path / "ivr.yaml"))
        ctx.obj.speech.models = {"en": "/models/en"}

    root.add_command(flows)
    result = CliRunner().invoke(root, ["flows", "check", str(flow_dir.root)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].endswith(
        "ko.yaml:5:3: error: listens in 'ko', which has no speech model (speech.models has: en)")


def test_given_an_acd_file_without_queues_mapping_when_checked_then_one_clear_error(tmp_path, flow_dir):
    (tmp_path / "acd.yaml").write_text("queues: [a, b]\n")
    flow_dir.write("q.yaml", "start: q\nnodes:\n  q: {queue: sales}\n")
    result = invoke("check", "--acd", str(tmp_path / "acd.yaml"), str(flow_dir.root))
    assert result.exit_code == 1
    assert result.output.strip().endswith("'queues' must be a mapping of queue name to settings")


def test_given_a_sounds_dir_when_checked_then_play_names_are_checked(tmp_path, flow_dir):
    sounds = tmp_path / "sounds" / "en"
    (sounds / "digits").mkdir(parents=True)
    (sounds / "hello-world.gsm").write_text("")
    (sounds / "digits" / "1.gsm").write_text("")
    flow_dir.write("s.yaml", "start: a\nnodes:\n  a: {play: digits/1, next: b}\n  b: {play: helo, next: c}\n"
                             "  c: {hangup: true}\n")
    result = invoke("check", "--sounds-dir", str(sounds), str(flow_dir.root))
    assert result.exit_code == 1
    assert "s.yaml:4:13: error: unknown sound 'helo'" in result.output


def test_given_the_schema_command_then_json_schema_is_printed():
    result = invoke("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["title"] == "IVR flow file" and "menu" in schema["$defs"]
    assert "timezone" in json.loads(invoke("schema", "--schedules").output)["additionalProperties"]["properties"]


def test_given_simulate_when_run_then_the_path_what_is_heard_and_the_outcome_are_printed():
    result = invoke("simulate", "support-line", "--dir", str(SHIPPED), "--input", "1", "--input", "3",
                    "--input", "12345678#", "--http", '200:{"name": "Ada", "balance": 42, "tier": "basic"}',
                    "--input", "1", "--at", "2026-11-23T10:00", "--tz", "Europe/Paris", "--caller", "+15550100")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert "-> account_number (gather)" in lines
    assert "   presses: 12345678#" in lines
    assert '   hears: "Hello Ada. Your balance is 42 dollars."' in lines
    assert lines[-1] == "outcome: queued: billing (skills billing>=2; language en; priority 0) -> answered"


def test_given_simulate_after_hours_then_the_sub_flow_runs_and_the_outcome_mentions_the_recording():
    result = invoke("simulate", "support-line", "--dir", str(SHIPPED), "-i", "2", "--at", "2026-11-23T22:00+01:00")
    assert result.exit_code == 0, result.output
    assert "-> after-hours:message (record)" in result.output
    assert result.output.strip().splitlines()[-1] == "outcome: hangup (recorded: recordings/after-hours-.wav)"


def test_given_bad_simulate_arguments_then_one_clear_error():
    result = invoke("simulate", "nope", "--dir", str(SHIPPED))
    assert result.exit_code == 1 and "unknown flow 'nope' (flows: after-hours, echo-digit, support-line)" in result.output
    result = invoke("simulate", "support-line", "--dir", str(SHIPPED), "--input", "1x")
    assert result.exit_code == 1 and "cannot read caller input '1x'" in result.output
    result = invoke("simulate", "support-line", "--dir", str(SHIPPED), "--at", "tomorrow")
    assert result.exit_code == 1 and "cannot read the time 'tomorrow'" in result.output
    result = invoke("simulate", "support-line", "--dir", str(SHIPPED), "--http", "ok")
    assert result.exit_code == 2 and "expected STATUS or STATUS:JSON" in result.output


def test_given_a_failing_flow_test_when_tests_run_then_the_failure_is_explained_and_exit_1(flow_dir):
    flow_dir.write("t.yaml", """
        start: menu
        nodes:
          menu:
            menu: {prompt: "Press 1 for billing", options: {"1": billing}, fail: bye}
          billing: {queue: billing, skills: {billing: 2}}
          bye: {hangup: true}
        tests:
          - name: billing
            inputs: ["1"]
            expect: {queued: {queue: billing, skills: {billing: 2}}}
          - name: wrong expectation
            inputs: ["1"]
            expect: {queued: {queue: support}, visited: [menu, support]}
        """.replace("\n        ", "\n"))
    result = invoke("test", str(flow_dir.root))
    assert result.exit_code == 1
    lines = [line.replace(str(flow_dir.root), "flows") for line in result.output.strip().splitlines()]
    assert lines[0] == "PASS flows/t.yaml:8:5 t: billing"
    assert lines[1] == "FAIL flows/t.yaml:11:5 t: wrong expectation"
    assert lines[2] == "     expected queued queue: 'support', got 'billing'"
    assert lines[3] == "     expected to visit 'support' (in order ['menu', 'support']), visited ['menu', 'billing']"
    assert lines[-1] == "1 passed, 1 failed"


def test_given_flows_with_errors_when_tests_run_then_they_refuse_with_the_errors(flow_dir):
    flow_dir.write("t.yaml", "start: a\nnodes:\n  a: {say: hi, next: b}\n")
    result = invoke("test", str(flow_dir.root))
    assert result.exit_code == 1
    assert "unknown node 'b'" in result.output and "fix them first" in result.output


def test_given_an_alias_bomb_beside_a_good_flow_when_checked_then_refused_at_its_line_fast_in_1_gb(tmp_path):
    import resource
    import subprocess
    import sys
    import time

    from ivr.testing.hostile import BILLION_LAUGHS

    flows_dir = tmp_path / "flows"
    flows_dir.mkdir()
    (flows_dir / "good.yaml").write_text("start: bye\nnodes:\n  bye: {hangup: true}\n")
    (flows_dir / "bomb.yaml").write_text(BILLION_LAUGHS)

    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    started = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).parent / "ivr"), "flows", "check", str(flows_dir)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=30, preexec_fn=limit_memory)
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr[-2000:]
    [bomb] = [line for line in done.stdout.splitlines() if "bomb.yaml" in line]
    assert bomb.startswith(f"{flows_dir}/bomb.yaml:") and "alias bomb" in bomb
    assert "good.yaml" not in done.stdout and "MemoryError" not in done.stderr
    assert elapsed < 10


def test_given_a_config_whose_flows_dir_is_elsewhere_when_checked_without_a_path_then_that_dir_is_checked(
        tmp_path, monkeypatch):
    elsewhere = tmp_path / "ops" / "ivr-flows"
    elsewhere.mkdir(parents=True)
    (elsewhere / "only.yaml").write_text("start: a\nnodes:\n  a: {say: hi, next: nowhere}\n")
    monkeypatch.chdir(ROOT)  # where ./flows holds the shipped, valid flows

    @click.group()
    @click.pass_context
    def root(ctx):
        config = Config(source=str(tmp_path / "ivr.yaml"))
        config.flows.dir = str(elsewhere)
        ctx.obj = config

    root.add_command(flows)
    result = CliRunner().invoke(root, ["flows", "check"])
    assert result.exit_code == 1
    assert f"{elsewhere}/only.yaml:3:22: error: unknown node 'nowhere'" in result.output


def test_given_a_shell_glob_that_includes_schedules_yaml_when_checked_then_it_is_read_as_schedules(monkeypatch):
    monkeypatch.chdir(ROOT)
    files = sorted(str(path.relative_to(ROOT)) for path in SHIPPED.glob("*.yaml"))
    assert "flows/schedules.yaml" in files
    result = invoke("check", *files)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "ok: 3 flows, 31 nodes, 0 warnings"


def test_given_a_broken_schedules_yaml_named_on_the_command_line_when_checked_then_its_own_errors_show(flow_dir):
    flow_dir.write("schedules.yaml", "office: {timezone: Mars/Olympus, hours: {mon: ['09:00-17:00']}}\n")
    flow_dir.write("a.yaml", "start: a\nnodes:\n  a: {hangup: true}\n")
    result = invoke("check", str(flow_dir.root / "schedules.yaml"), str(flow_dir.root / "a.yaml"))
    assert result.exit_code == 1
    assert "unknown time zone 'Mars/Olympus'" in result.output and "missing 'start'" not in result.output


def test_given_an_empty_prompt_list_when_checked_then_it_says_a_prompt_is_needed(flow_dir):
    flow_dir.write("p.yaml", 'start: m\nnodes:\n  m:\n    menu: {prompt: [], options: {"1": bye}, fail: bye}\n'
                             "  bye: {hangup: true}\n")
    result = invoke("check", str(flow_dir.root))
    assert f"{flow_dir.root}/p.yaml:4:20: error: prompt: needs at least one prompt" in result.output


def test_given_an_acd_queue_that_records_always_without_consent_when_checked_then_a_warning_not_an_error(
        tmp_path, flow_dir):
    acd = tmp_path / "acd.yaml"
    acd.write_text("queues:\n  billing: {recording: always}\n  support: {recording: never}\n")
    flow_dir.write("q.yaml", "start: q\nnodes:\n  q: {queue: billing}\n")
    result = invoke("check", str(flow_dir.root), "--acd", str(acd))
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        f"{acd}:2:1: warning: queues.billing.recording: queue billing records every call but plays no consent "
        "prompt (add recording: {policy: always, consent: {say: ...}})",
        "ok: 1 flow, 1 node, 1 warning",
    ]


def test_given_an_acd_consent_prompt_that_cannot_play_when_checked_then_one_clear_error(tmp_path, flow_dir):
    acd = tmp_path / "acd.yaml"
    acd.write_text("queues:\n  billing: {recording: {policy: always, consent: {play: consent.mp3}}}\n")
    flow_dir.write("q.yaml", "start: q\nnodes:\n  q: {queue: billing}\n")
    result = CliRunner().invoke(flows, ["check", str(flow_dir.root), "--acd", str(acd)])
    assert result.exit_code == 1
    assert "queues.billing.recording.consent: Asterisk cannot play consent.mp3" in result.output
