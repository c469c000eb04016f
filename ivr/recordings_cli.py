"""`ivr calls` (calls talking to agents, their QA recording: start, pause, resume) over the control API,
and `ivr recordings` (list, export, purge) straight from the store and the recordings directory."""
from __future__ import annotations

import json
import re
import shutil
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

import click

from acd import qa_store
from acd.store import Store

from . import config as config_module
from .agents_cli import control

DURATION = re.compile(r"([0-9]+)([dhm])")
UNIT_S = {"d": 86400, "h": 3600, "m": 60}


@click.group()
def calls() -> None:
    """Calls of the running server that talk to an agent, and their QA recording."""


@calls.command(name="list")
@click.pass_context
def calls_list(ctx: click.Context) -> None:
    """One line per call talking to an agent: id, queue, agent, caller, recording."""
    for call in control(ctx, "GET", "/calls"):
        click.echo(f"{call['call']}  queue={call['queue']} agent={call['agent']} caller={call['caller']} "
                   f"recording={call['recording'] or 'off'}")


@calls.command()
@click.argument("action", type=click.Choice(["start", "pause", "resume"]))
@click.argument("call")
@click.pass_context
def record(ctx: click.Context, action: str, call: str) -> None:
    """START an on-demand recording of CALL, or PAUSE / RESUME it (a pause is silence in the file)."""
    done = control(ctx, "POST", f"/calls/{urllib.parse.quote(call, safe='')}/record/{action}")
    click.echo(f"{done['call']}: recording {done['recording']} {'paused' if done['paused'] else 'on'}")


@click.group()
def recordings() -> None:
    """QA recordings of answered calls, from the store: list, export, purge."""


def _store(ctx: click.Context) -> Store:
    store = Store(ctx.find_object(config_module.Config).acd.store_url)
    qa_store.ensure_tables(store)
    return store


def _day(value: str | None, option: str) -> float | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").timestamp()
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}", param_hint=option) from None


def _filters(function):
    for option in (click.option("--agent"), click.option("--queue"), click.option("--caller"),
                   click.option("--date", help="The day the call was recorded (YYYY-MM-DD)."),
                   click.option("--since", help="From this day (YYYY-MM-DD)."),
                   click.option("--until", help="Before this day (YYYY-MM-DD).")):
        function = option(function)
    return function


def _where(agent, queue, caller, date, since, until) -> qa_store.RecordingFilter:
    if date is not None:
        since = until = None
        start = _day(date, "--date")
        return qa_store.RecordingFilter(agent, queue, caller, start, start + 86400)
    return qa_store.RecordingFilter(agent, queue, caller, _day(since, "--since"), _day(until, "--until"))


def _line(row) -> str:
    when = datetime.fromtimestamp(row.started_at).isoformat(sep=" ", timespec="seconds")
    duration = f"{row.duration_s:.1f}s" if row.duration_s is not None else "-"
    pauses = ",".join(f"{offset:g}+{length:g}s" for offset, length in row.pauses) or "-"
    problem = f"  ({row.error})" if row.error else ""
    return (f"{when}  {row.queue:<10} {row.agent_id:<8} {row.caller:<14} {duration:>8}  pauses={pauses}  "
            f"{row.status:<7} {row.file}{problem}")


@recordings.command(name="list")
@_filters
@click.pass_context
def recordings_list(ctx, **filters) -> None:
    """One line per recording: start, queue, agent, caller, duration, pauses, status, file."""
    for row in qa_store.recordings(_store(ctx), _where(**filters)):
        click.echo(_line(row))


@recordings.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@_filters
@click.pass_context
def export(ctx, directory: Path, **filters) -> None:
    """Copy the matching recordings into DIRECTORY, each with a JSON side-car of its metadata."""
    directory.mkdir(parents=True, exist_ok=True)
    copied = skipped = 0
    for row in qa_store.recordings(_store(ctx), _where(**filters)):
        source = Path(row.file)
        if row.status != "done" or not source.is_file():
            click.echo(f"skipped {row.id}: {row.status}{' (' + row.error + ')' if row.error else ''}", err=True)
            skipped += 1
            continue
        shutil.copy2(source, directory / source.name)
        meta = {key: getattr(row, key) for key in ("id", "interaction_id", "queue", "agent_id", "caller", "side",
                                                    "started_at", "duration_s", "size", "sha256", "pauses")}
        meta["file"] = source.name
        (directory / f"{source.stem}.json").write_text(json.dumps(meta, indent=2) + "\n")
        copied += 1
    click.echo(f"exported {copied} recording(s) to {directory}" + (f", skipped {skipped}" if skipped else ""))


@recordings.command()
@click.option("--older-than", "older_than", required=True, help="Age, e.g. 90d, 12h, 30m.")
@click.pass_context
def purge(ctx, older_than: str) -> None:
    """Delete recordings older than --older-than: their files go, their rows are marked purged."""
    match = DURATION.fullmatch(older_than)
    if not match:
        raise click.BadParameter(f"expected a number and d, h or m (e.g. 90d), got {older_than!r}",
                                 param_hint="--older-than")
    cutoff = time.time() - int(match.group(1)) * UNIT_S[match.group(2)]
    store = _store(ctx)
    old = [row for row in qa_store.recordings(store, qa_store.RecordingFilter(until=cutoff)) if row.status != "purged"]
    for row in old:
        Path(row.file).unlink(missing_ok=True)
        click.echo(f"removed {row.file}")
    qa_store.mark_purged(store, [row.id for row in old])
    click.echo(f"purged {len(old)} recording(s) older than {older_than}")
