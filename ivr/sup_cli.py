"""`ivr sup`: listen to, whisper into or barge in on a call of the running `ivr serve`, over its
control API. The supervisor's phone rings; when it answers it joins in the chosen mode."""
from __future__ import annotations

import os
import urllib.parse

import click

from . import config as config_module
from .agents_cli import control


def _supervisor(ctx: click.Context, given: str | None) -> str:
    if given:
        return given
    configured = ctx.find_object(config_module.Config).supervisors
    if len(configured) == 1:
        return configured[0].id
    raise click.UsageError("say which supervisor you are: --as SUPERVISOR (or IVR_SUPERVISOR); the config has "
                           + (", ".join(s.id for s in configured) or "no supervisors"))


def _show(session: dict) -> None:
    click.echo(f"{session['session']}  {session['supervisor']} via {session['via']}  {session['mode']:<7} "
               f"{session['state']:<7}  agent={session['agent']} call={session['call']} queue={session['queue']}")


@click.group()
def sup() -> None:
    """Supervise calls of the running server: listen, whisper, barge, switch mode, leave."""


def _join(mode: str, help_text: str):
    @click.argument("target")
    @click.option("--via", help="The SIP endpoint to call (default: the supervisor's own, from the config).")
    @click.option("--as", "supervisor", envvar="IVR_SUPERVISOR",
                  help="Who supervises (a supervisor id of the config; default: the only one configured).")
    @click.pass_context
    def command(ctx: click.Context, target: str, via: str | None, supervisor: str | None) -> None:
        query = {"target": target, **({"via": via} if via else {})}
        who = urllib.parse.quote(_supervisor(ctx, supervisor), safe="")
        session = control(ctx, "POST", f"/supervise/{who}/{mode}", **query)
        click.echo(f"calling {session['via']}: session {session['session']} will {mode} on {session['agent']}'s "
                   f"call {session['call']} (queue {session['queue']}) when it answers")
    command.__doc__ = help_text
    return sup.command(name=mode)(command)


_join("listen", "Hear both sides of TARGET (an agent id or a call id); nobody hears you.")
_join("whisper", "Speak to the agent of TARGET (an agent id or a call id); the caller does not hear you.")
_join("barge", "Join TARGET (an agent id or a call id): caller and agent both hear you.")


@sup.command()
@click.argument("session")
@click.argument("mode", type=click.Choice(["listen", "whisper", "barge"]))
@click.pass_context
def mode(ctx: click.Context, session: str, mode: str) -> None:
    """Switch SESSION to MODE without leaving the call."""
    _show(control(ctx, "POST", f"/supervise/sessions/{urllib.parse.quote(session, safe='')}/mode", mode=mode))


@sup.command()
@click.argument("session")
@click.pass_context
def leave(ctx: click.Context, session: str) -> None:
    """Hang up the supervisor's side of SESSION; the call goes on."""
    left = control(ctx, "POST", f"/supervise/sessions/{urllib.parse.quote(session, safe='')}/leave")
    click.echo(f"{left['session']}: left {left['agent']}'s call {left['call']}")


@sup.command(name="list")
@click.pass_context
def sup_list(ctx: click.Context) -> None:
    """The supervision sessions in progress."""
    for session in control(ctx, "GET", "/supervise/sessions"):
        _show(session)
