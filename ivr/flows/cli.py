"""`ivr flows ...`: check, simulate and test YAML flows, and print their JSON Schema.

Registered on the main `ivr` group with `cli.add_command(flows)`. The service config, when
there is one, is used to find `acd.yaml` (queue names) beside it and for `speech.models`
(the languages a listening node may use).
"""
from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import click

from ivr.errors import FlowError

from ..config import Config
from .flowtests import run_all
from .loader import LoadResult, load_flows, read_acd_warnings, read_queue_names, read_queue_overflows
from .port import HttpResult
from .runner import ERROR, FlowRunner
from .schedule import SCHEDULES_FILE_SCHEMA
from .schema import flow_schema
from .simulator import ScriptedPort, parse_time

DEFAULT_DIR = "flows"
ACD_FILE = "acd.yaml"

_acd_option = click.option("--acd", "acd_path", metavar="PATH", type=click.Path(dir_okay=False),
                           help=f"ACD config whose `queues:` names the known queues and their overflow nodes "
                                f"(default: {ACD_FILE} beside the service config).")
_sounds_option = click.option("--sounds-dir", metavar="DIR", type=click.Path(file_okay=False, exists=True),
                              help="Asterisk sounds folder (e.g. .../sounds/en): check `play` names against it.")


@click.group(name="flows")
def flows() -> None:
    """IVR flows in YAML: check them, simulate a call, run their tests, print their schema."""


@flows.command()
@click.argument("paths", nargs=-1, type=click.Path())
@_acd_option
@_sounds_option
def check(paths: tuple[str, ...], acd_path: str | None, sounds_dir: str | None) -> None:
    """Validate flow files or directories (default: the service config's flows.dir); print every
    problem as file:line:col."""
    result = _load(paths, acd_path, sounds_dir)
    try:
        result.problems.extend(read_acd_warnings(acd_path or _default_acd_path()))
    except FlowError as exc:
        raise click.ClickException(str(exc)) from None
    for problem in result.problems:
        click.echo(str(problem))
    mine = [flow for flow in result.flows.values() if flow.file in result.files]
    warnings = _count(len(result.warnings), "warning")
    if result.has_errors:
        click.echo(f"failed: {_count(len(result.errors), 'error')}, {warnings}", err=True)
        sys.exit(1)
    click.echo(f"ok: {_count(len(mine), 'flow')}, {_count(sum(len(flow.nodes) for flow in mine), 'node')}, {warnings}")


@flows.command()
@click.option("--schedules", is_flag=True, help=f"The schema of {DEFAULT_DIR}/schedules.yaml instead.")
def schema(schedules: bool) -> None:
    """Print the JSON Schema of flow files (for editors and CI)."""
    click.echo(json.dumps(SCHEDULES_FILE_SCHEMA if schedules else flow_schema(), indent=2, ensure_ascii=False))


@flows.command()
@click.argument("flow")
@click.option("--input", "-i", "inputs", multiple=True, metavar="KEYS",
              help="Caller input, in order: 1, 42#, barge:1 (during the prompt) or timeout. Repeatable.")
@click.option("--at", metavar="ISO", help="The time of the call, e.g. 2026-11-23T10:00 (default: now).")
@click.option("--tz", metavar="ZONE", help="Time zone of --at when it has no offset (default UTC).")
@click.option("--caller", default="", help="The caller's number.")
@click.option("--dialed", default="", help="The number dialed.")
@click.option("--language", help="The caller's language (default: the flow's).")
@click.option("--node", help="Start at this node instead of the flow's start.")
@click.option("--http", "http_answers", multiple=True, metavar="STATUS[:JSON]",
              help="Scripted answer to the next HTTP request, e.g. '200:{\"balance\": 4}' or 0. Repeatable.")
@click.option("--queue-result", type=click.Choice(["answered", "abandoned", "overflow"]), default="answered",
              help="How the ACD ends a queued call (overflow follows acd.yaml's target when the flow has that node).")
@click.option("--var", "variables", multiple=True, metavar="NAME=VALUE", help="Set a call variable. Repeatable.")
@click.option("--dir", "flows_dir", type=click.Path(), help="Flows directory (default: the config's flows.dir).")
@_acd_option
def simulate(flow: str, inputs: tuple[str, ...], at: str | None, tz: str | None, caller: str, dialed: str,
             language: str | None, node: str | None, http_answers: tuple[str, ...], queue_result: str,
             variables: tuple[str, ...], flows_dir: str | None, acd_path: str | None) -> None:
    """Run FLOW offline with scripted caller input; print the path taken, what the caller hears, the outcome."""
    result = _load((flows_dir,) if flows_dir else (), acd_path, None)
    _stop_on_errors(result)
    if flow not in result.flows:
        raise click.ClickException(f"unknown flow '{flow}' (flows: {', '.join(sorted(result.flows)) or 'none'})")
    try:
        port = ScriptedPort(inputs, at=parse_time(at, tz), caller=caller, dialed=dialed,
                            language=language or result.flows[flow].language or "en",
                            http=[_http_answer(text) for text in http_answers], queue_result=queue_result,
                            queue_overflows=result.queue_overflows)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from None
    runner = FlowRunner(result, port, variables=dict(_assignment(text) for text in variables), language=language)
    outcome = asyncio.run(runner.run(flow, node))
    for line in outcome.trace.lines():
        click.echo(line)
    click.echo(f"outcome: {outcome.describe()}")
    if outcome.kind == ERROR:
        sys.exit(1)


@flows.command(name="test")
@click.argument("paths", nargs=-1, type=click.Path())
@_acd_option
def test_flows(paths: tuple[str, ...], acd_path: str | None) -> None:
    """Run the tests written in flow files (default: every flow in the config's flows.dir). Exit 1 on any failure."""
    result = _load(paths, acd_path, None)
    _stop_on_errors(result)
    names = [name for name, flow in result.flows.items() if flow.file in result.files]
    results = asyncio.run(run_all(result, names))
    for outcome in results:
        if outcome.passed:
            click.echo(f"PASS {outcome.where} {outcome.flow}: {outcome.name}")
            continue
        click.echo(f"FAIL {outcome.where} {outcome.flow}: {outcome.name}")
        for failure in outcome.failures:
            click.echo(f"     {failure}")
        if outcome.outcome is not None:
            click.echo("     path taken:")
            for line in outcome.outcome.trace.lines():
                click.echo(f"       {line}")
            click.echo(f"       outcome: {outcome.outcome.describe()}")
    failed = sum(1 for outcome in results if not outcome.passed)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        sys.exit(1)


def _load(paths: tuple[str, ...], acd_path: str | None, sounds_dir: str | None) -> LoadResult:
    acd_file = acd_path or _default_acd_path()
    try:
        queues, overflows = read_queue_names(acd_file), read_queue_overflows(acd_file)
    except FlowError as exc:
        raise click.ClickException(str(exc)) from None
    sounds = _sound_names(Path(sounds_dir)) if sounds_dir else None
    config = _config()
    speech = list(config.speech.models) if config is not None else None
    default = config.flows.dir if config is not None else DEFAULT_DIR
    return load_flows(list(paths) or [default], known_queues=queues, known_sounds=sounds, speech_languages=speech,
                      queue_overflows=overflows)


def _config() -> Config | None:
    context = click.get_current_context(silent=True)
    return context.find_object(Config) if context else None


def _default_acd_path() -> Path:
    config = _config()
    if config is not None and Path(config.source).is_file():
        return Path(config.source).parent / ACD_FILE
    return Path(ACD_FILE)


def _sound_names(directory: Path) -> set[str]:
    """`hello-world`, `digits/1`...: every sound file under `directory`, without its extension."""
    return {file.relative_to(directory).with_suffix("").as_posix() for file in directory.rglob("*") if file.is_file()}


def _stop_on_errors(result: LoadResult) -> None:
    if result.has_errors:
        for problem in result.errors:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"the flows have {len(result.errors)} errors: fix them first (ivr flows check)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _http_answer(text: str) -> HttpResult:
    status, _, body = text.partition(":")
    try:
        return HttpResult(int(status), json.loads(body) if body else None)
    except ValueError:
        raise click.BadParameter(f"{text!r}: expected STATUS or STATUS:JSON, e.g. 200:{{\"balance\": 4}}",
                                 param_hint="--http") from None


def _assignment(text: str) -> tuple[str, str]:
    name, equals, value = text.partition("=")
    if not equals or not name:
        raise click.BadParameter(f"{text!r}: expected NAME=VALUE", param_hint="--var")
    return name, value
