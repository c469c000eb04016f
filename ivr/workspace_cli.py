"""`ivr agents inbox|workspace` and `ivr customers show|merge`: the agent workspace from the terminal,
over the control API of the running `ivr serve` (same token as `ivr agents`)."""
from __future__ import annotations

import urllib.parse
from datetime import datetime
from pathlib import Path

import click

from . import config as config_module
from .agents_cli import agents, control


def _when(at: float) -> str:
    return datetime.fromtimestamp(at).isoformat(sep=" ", timespec="seconds")


@agents.command()
@click.argument("agent")
@click.pass_context
def inbox(ctx: click.Context, agent: str) -> None:
    """AGENT's offers and work in hand (chats, emails, SMS, calls), with the last message of each."""
    found = control(ctx, "GET", f"/agents/{urllib.parse.quote(agent)}/inbox")
    load = ", ".join(f"{media} {found['load'].get(media, 0)}/{count}" for media, count in found["capacity"].items())
    click.echo(f"{found['agent']} ({found['name'] or '-'}): {found['state']}; {load}")
    if not found["work"]:
        click.echo("  nothing offered, nothing in hand")
    for work in found["work"]:
        click.echo(f"  {work['state']:<9} {work['media']:<6} {work['conversation'] or work['interaction']}  "
                   f"{work['customer']}  {work['subject']}".rstrip())
        if work["last"]:
            last = work["last"]
            arrow = "<" if last["direction"] == "in" else ">"
            click.echo(f"            {arrow} {last['body'][:100]!r}  [{last['status']}]")


@agents.command()
@click.argument("agent")
@click.pass_context
def workspace(ctx: click.Context, agent: str) -> None:
    """Print the address of AGENT's web workspace (the token rides in its fragment, never sent to a server)."""
    from .live.http_guard import read_token
    config = ctx.find_object(config_module.Config).control
    token = read_token(Path(config.token_file))
    control(ctx, "GET", f"/agents/{urllib.parse.quote(agent)}/inbox")  # the agent exists, serve runs
    click.echo(f"http://{config.host}:{config.port}/workspace#token={token}&agent={urllib.parse.quote(agent)}")


@click.group()
def customers() -> None:
    """Customers of the running server: their timeline, merging two into one."""


@customers.command()
@click.argument("customer", type=int)
@click.pass_context
def show(ctx: click.Context, customer: int) -> None:
    """CUSTOMER's identities and timeline: calls, chats, emails and SMS, oldest first."""
    found = control(ctx, "GET", f"/customers/{customer}")
    click.echo(f"customer {found['customer']['id']}: {', '.join(found['customer']['identities'])}")
    for entry in found["timeline"]:
        if entry["kind"] == "voice":
            click.echo(f"  {_when(entry['at'])} call from {entry['caller']}: path {entry['path'] or '-'}, "
                       f"queue {entry['queue'] or '-'}, agent {entry['agent'] or '-'}, {entry['outcome'] or '-'}")
            for recording in entry["recordings"]:
                click.echo(f"      recording {recording}")
            continue
        click.echo(f"  {_when(entry['at'])} {entry['kind']} {entry['id']} {entry['subject']} ({entry['status']}"
                   + (f": {entry['disposition']}" if entry["disposition"] else "") + ")")
        for message in entry["messages"]:
            arrow = "<" if message["direction"] == "in" else ">"
            failed = f"  FAILED: {message['error']}" if message["status"] == "failed" else ""
            click.echo(f"      {arrow} {message['body'][:100]!r}{failed}")


@customers.command()
@click.argument("source", type=int)
@click.argument("target", type=int)
@click.pass_context
def merge(ctx: click.Context, source: int, target: int) -> None:
    """Merge customer SOURCE into TARGET: identities, conversations and calls move to TARGET."""
    found = control(ctx, "POST", "/customers/merge", {"from": source, "into": target})
    click.echo(f"customer {found['customer']['id']}: {', '.join(found['customer']['identities'])}")
