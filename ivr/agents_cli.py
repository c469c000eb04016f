"""`ivr agents` and `ivr queues`: talk to the running `ivr serve` over its loopback control API,
with the token `ivr serve` wrote into control.token_file."""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from . import config as config_module


def control(ctx: click.Context, method: str, path: str, body: dict | None = None, **query: str) -> Any:
    config = ctx.find_object(config_module.Config).control
    url = f"http://{config.host}:{config.port}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    from .live.http_guard import read_token
    token = read_token(Path(config.token_file))  # written by `ivr serve`, readable by its user only
    headers = {"Authorization": f"Bearer {token}"}
    data = b"" if method == "POST" else None
    if body is not None:
        data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
    request = urllib.request.Request(url, method=method, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            message = json.loads(exc.read()).get("error", exc.reason)
        except ValueError:
            message = exc.reason
        raise click.ClickException(message) from None
    except (urllib.error.URLError, OSError, ConnectionError):
        raise click.ClickException(f"ivr serve is not running (no control API on {config.host}:{config.port})") \
            from None


@click.group()
def agents() -> None:
    """Agents of the running server: list them, log them in or out, pause, ready."""


@agents.command(name="list")
@click.pass_context
def agents_list(ctx: click.Context) -> None:
    """One line per agent: id, state (and pause reason), for how long, queues, skills, languages."""
    for agent in control(ctx, "GET", "/agents"):
        state = agent["state"] + (f" ({agent['reason']})" if agent["reason"] else "")
        since = f"{agent['since_s']:.0f}s" if agent["since_s"] is not None else "-"
        click.echo(f"{agent['id']:<10} {state:<22} {since:>7}  queues={','.join(agent['queues'])} "
                   f"skills={skills_text(agent['skills'])} languages={languages_text(agent)}"
                   + (f"  on {agent['interaction']}" if agent["interaction"] else ""))


def skills_text(skills: dict[str, int]) -> str:
    return ",".join(f"{skill}:{level}" for skill, level in skills.items()) or "-"


def languages_text(agent: dict[str, Any]) -> str:
    """`fr,en(fallback)`: the languages an agent speaks, then those it takes after a relaxing step."""
    return ",".join(agent["languages"] + [f"{language}(fallback)" for language in agent["fallback_languages"]])


def _action(name: str, help_text: str):
    @click.argument("agent")
    @click.pass_context
    def command(ctx: click.Context, agent: str) -> None:
        result = control(ctx, "POST", f"/agents/{urllib.parse.quote(agent)}/{name}")
        click.echo(f"{result['agent']}: {result['state']}")
    command.__doc__ = help_text
    return agents.command(name=name)(command)


_action("login", "Log AGENT in: it becomes available.")
_action("logout", "Log AGENT out (not while on a call).")
_action("ready", "End AGENT's pause or wrap-up: it becomes available.")


@agents.command()
@click.argument("agent")
@click.option("--reason", required=True, help="A pause reason from acd.yaml (pause_reasons).")
@click.pass_context
def pause(ctx: click.Context, agent: str, reason: str) -> None:
    """Pause AGENT with a reason code."""
    result = control(ctx, "POST", f"/agents/{urllib.parse.quote(agent)}/pause", reason=reason)
    click.echo(f"{result['agent']}: {result['state']} ({reason})")


@click.group()
def queues() -> None:
    """Queues of the running server: waiting calls, positions, why a call waits."""


@queues.command(name="list")
@click.pass_context
def queues_list(ctx: click.Context) -> None:
    """One line per queue: waiting, longest wait, offered or talking, agents available / logged in."""
    for queue in control(ctx, "GET", "/queues"):
        click.echo(f"{queue['name']:<12} waiting={queue['waiting']} longest_wait={queue['longest_wait_s']:.0f}s "
                   f"offered_or_talking={queue['offered_or_talking']} "
                   f"available={queue['agents_available']}/{queue['agents_logged_in']}")


@queues.command()
@click.argument("name")
@click.pass_context
def show(ctx: click.Context, name: str) -> None:
    """The calls waiting in queue NAME, in serving order."""
    queue = control(ctx, "GET", f"/queues/{urllib.parse.quote(name)}")
    click.echo(f"{queue['name']}: waiting={queue['waiting']} available={queue['agents_available']}/"
               f"{queue['agents_logged_in']}")
    for call in queue["calls"]:
        skills = ",".join(f"{k}>={v}" for k, v in call["skills"].items()) or "-"
        click.echo(f"  {call['position']}. {call['interaction']} priority={call['priority']} "
                   f"language={call['language']} skills={skills} waited={call['waited_s']:.0f}s "
                   f"estimated_wait={call['estimated_wait_s']:.0f}s")


@queues.command()
@click.argument("interaction")
@click.pass_context
def explain(ctx: click.Context, interaction: str) -> None:
    """Why each agent can or cannot take INTERACTION: now while it waits, else as it stood when
    it left the queue (kept in the store)."""
    found = control(ctx, "GET", f"/interactions/{urllib.parse.quote(interaction, safe='')}/explain")
    if found["source"] == "store":
        when = datetime.fromtimestamp(found["as_of"]).isoformat(sep=" ", timespec="seconds")
        click.echo(f"as of {when}, when it left the queue ({found['left']}):")
    for line in found["lines"]:
        click.echo(line)
