"""`ivr top`: the live wallboard, one frame a second from the running server's control API (rich)."""
from __future__ import annotations

import time
from datetime import datetime
from typing import Any

import click
from rich import box
from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from .agents_cli import control, languages_text, skills_text

REFRESH_S = 1.0
STATE_STYLES = {"available": "green", "ringing": "yellow", "busy": "red", "wrap_up": "magenta",
                "paused": "blue", "logged_out": "dim"}


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def _service_level(queue: dict[str, Any]) -> Text:
    goal = f"(goal {queue['sl_target']:g}%/{queue['sl_within_s']:g}s)"
    if queue["service_level"] is None:
        return Text(f"- {goal}")
    percent = queue["service_level"] * 100
    return Text(f"{percent:.0f}% {goal}", style="green" if percent >= queue["sl_target"] else "red")


def frame(board: dict[str, Any]) -> Group:
    """One wallboard frame from the control API's /wallboard answer."""
    queues = Table(title="queues", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("queue", "waiting", "longest wait", "service level today", "offered", "answered",
                   "abandoned", "agents available"):
        queues.add_column(column, justify="left" if column in ("queue", "service level today") else "right")
    for queue in board["queues"]:
        queues.add_row(queue["name"], str(queue["waiting"]), clock(queue["longest_wait_s"]), _service_level(queue),
                       str(queue["offered_today"]), str(queue["answered_today"]), str(queue["abandoned_today"]),
                       f"{queue['agents_available']}/{queue['agents_logged_in']}")
    agents = Table(title="agents", box=box.SIMPLE_HEAD, title_justify="left")
    for column in ("agent", "name", "state", "in state", "current call", "queues", "skills", "languages"):
        agents.add_column(column, justify="right" if column == "in state" else "left")
    for agent in board["agents"]:
        state = agent["state"] + (f" ({agent['reason']})" if agent["reason"] else "")
        call = "-"
        if agent["interaction"]:
            call = agent["interaction"] + (f" from {agent['caller']}" if agent["caller"] else "")
        agents.add_row(agent["id"], agent["name"], Text(state, style=STATE_STYLES.get(agent["state"], "")),
                       clock(agent["since_s"]), call, ",".join(agent["queues"]), skills_text(agent["skills"]),
                       languages_text(agent))
    stamp = datetime.fromtimestamp(board["as_of"]).isoformat(sep=" ", timespec="seconds")
    return Group(Text(f"ivr top  {stamp}", style="bold"), queues, agents)


@click.command()
@click.option("--once", is_flag=True, help="Print one frame as plain text and exit (for scripts).")
@click.option("--width", default=140, type=click.IntRange(min=60), help="Frame width for --once [140].")
@click.pass_context
def top(ctx: click.Context, once: bool, width: int) -> None:
    """Live wallboard of the running server, refreshed every second: per queue waiting calls, longest
    wait, today's service level against the queue's goal, offered, answered, abandoned and agents
    available; per agent state, time in state, current call, queues, skills and languages."""
    if once:
        Console(width=width, color_system=None, highlight=False).print(frame(control(ctx, "GET", "/wallboard")))
        return
    console = Console(highlight=False)
    with Live(console=console, auto_refresh=False, screen=console.is_terminal) as live:
        try:
            while True:
                try:
                    live.update(frame(control(ctx, "GET", "/wallboard")), refresh=True)
                except click.ClickException as exc:  # the server restarting: say so, keep trying
                    live.update(Text(f"{exc.format_message()} (retrying every {REFRESH_S:g} s)"), refresh=True)
                time.sleep(REFRESH_S)
        except KeyboardInterrupt:
            pass
