"""`ivr report`: KPIs from the ACD store (no running server needed). Definitions: docs/kpis.md."""
from __future__ import annotations

from datetime import datetime, time as day_start
from pathlib import Path

import click

from acd import config as acd_config
from acd import report as report_module
from acd.errors import AcdError
from acd.stats import SHORT_ABANDON_S

from . import config as config_module
from . import report_output


def parse_when(option: str, value: str) -> float:
    """A local date (midnight) or date-time, as UNIX time; a bad one is one error line."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.ClickException(f"{option}: expected a date or date-time such as 2026-03-01 or "
                                   f"2026-03-01T08:00, got {value!r}") from None
    return parsed.timestamp()


@click.command()
@click.option("--from", "since", metavar="WHEN", help="Start, local time: 2026-03-01 or 2026-03-01T08:00 "
                                                      "[today 00:00].")
@click.option("--to", "until", metavar="WHEN", help="End (excluded), same form [now].")
@click.option("--queue", "queues", multiple=True, metavar="Q", help="Only this queue (repeat for more).")
@click.option("--interval", default="1h", metavar="15m|1h|1d", help="Length of the interval rows [1h].")
@click.option("--short-abandon", default=SHORT_ABANDON_S, type=click.FloatRange(min=0), metavar="SECONDS",
              help=f"An abandon after less waiting than this is a short abandon [{SHORT_ABANDON_S:g}].")
@click.option("--csv", "csv_path", metavar="FILE", help="Also write every row to FILE as CSV.")
@click.option("--plot", "plot_path", metavar="FILE.png", help="Also draw the interval series into FILE.png.")
@click.pass_context
def report(ctx: click.Context, since, until, queues, interval, short_abandon, csv_path, plot_path) -> None:
    """Offered, answered, abandoned (and short abandons), ASA, AHT, service level, occupancy and
    transfers over a period: in total, per queue, per interval and per agent."""
    from acd.store import Store

    config = ctx.find_object(config_module.Config)
    if interval not in report_module.INTERVALS:
        raise click.ClickException(f"--interval: expected one of {', '.join(report_module.INTERVALS)}, "
                                   f"got {interval!r}")
    now = datetime.now()
    start = parse_when("--from", since) if since else datetime.combine(now.date(), day_start()).timestamp()
    end = parse_when("--to", until) if until else now.timestamp()
    if end <= start:
        raise click.ClickException(f"--to ({report_output.when(end)}) must come after --from "
                                   f"({report_output.when(start)})")
    for path, option, suffix in ((csv_path, "--csv", None), (plot_path, "--plot", ".png")):
        if path and suffix and not path.lower().endswith(suffix):
            raise click.ClickException(f"{option}: {path}: the file name must end in {suffix}")
        if path and not Path(path).resolve().parent.is_dir():
            raise click.ClickException(f"{option}: {path}: no such directory {Path(path).resolve().parent}")
    try:
        acd = acd_config.load(config.acd.file)
        unknown = [name for name in queues if name not in acd.queues]
        if unknown:
            raise click.ClickException(f"--queue: unknown queue {unknown[0]} (known: {', '.join(acd.queues)})")
        store = Store(config.acd.store_url)
        try:
            records = store.ended(start, end, queues or None)
            changes = store.state_log_between(start, end)
        finally:
            store.close()
    except AcdError as exc:
        raise click.ClickException(str(exc)) from None
    members = {name: [agent.id for agent in acd.agents if name in agent.queues] for name in acd.queues}
    agents = sorted({agent for name in queues for agent in members[name]}) if queues else None
    built = report_module.build(records, changes, acd.queues, start, end, report_module.INTERVALS[interval],
                                agents=agents, members=members, short_s=short_abandon)
    for line in report_output.text(built, list(queues) or None):
        click.echo(line)
    if csv_path:
        report_output.write_csv(built, Path(csv_path))
        click.echo(f"wrote {csv_path}")
    if plot_path:
        report_output.plot(built, Path(plot_path), f"{', '.join(queues) or 'all queues'}: "
                                                   f"{report_output.when(start)} to {report_output.when(end)}")
        click.echo(f"wrote {plot_path}")
