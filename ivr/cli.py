"""The `ivr` command: parse arguments, call the app, print. Errors are one line and a non-zero exit."""
from __future__ import annotations

import asyncio
import sys

import click

from acd.errors import AcdError

from . import config as config_module
from . import config_check, heap, log
from .errors import IvrError


@click.group()
@click.option("--config", "config_path", metavar="PATH", envvar="IVR_CONFIG",
              help="Service config file (default ./ivr.yaml, or $IVR_CONFIG).")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None) -> None:
    """IVR and ACD engine on Asterisk."""
    ctx.obj = config_module.load(config_path)


@cli.group()
def pbx() -> None:
    """The local Asterisk PBX under var/ (build, start, stop, inspect)."""


def _local(ctx: click.Context):
    from .pbx.local import LocalPbx
    return LocalPbx(ctx.find_object(config_module.Config))


@pbx.command()
@click.pass_context
def up(ctx: click.Context) -> None:
    """Build (once) and start the local PBX; wait until ARI, AMI and SIP answer."""
    _local(ctx).up()


@pbx.command()
@click.pass_context
def down(ctx: click.Context) -> None:
    """Stop the local PBX and undo its mounts."""
    _local(ctx).down()


@pbx.command()
@click.pass_context
def status(ctx: click.Context) -> None:
    """Print version, uptime and active channels (exit 3 when stopped)."""
    info = _local(ctx).status()
    if info is None:
        click.echo("PBX stopped")
        sys.exit(3)
    uptime = info["uptime_s"]
    click.echo(f"PBX running (pid {info['pid']}): Asterisk {info['version']}, "
               f"up {_duration(uptime) if uptime is not None else '?'}, {info['channels']} active channels")


@pbx.command(name="cli")
@click.argument("command")
@click.pass_context
def pbx_cli(ctx: click.Context, command: str) -> None:
    """Run one Asterisk CLI COMMAND, e.g. `ivr pbx cli "core show channels"`."""
    code, output = _local(ctx).cli(command)
    click.echo(output.rstrip("\n"))
    sys.exit(code)


@pbx.command(name="config")
@click.argument("out_dir", type=click.Path(file_okay=False))
@click.pass_context
def pbx_config(ctx: click.Context, out_dir: str) -> None:
    """Write the rendered Asterisk configuration to OUT_DIR (for an Asterisk of your own)."""
    from pathlib import Path

    from .pbx.local import config_dir
    from .pbx.render import render_config

    config_check.refuse_shipped_passwords(ctx.find_object(config_module.Config))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for name, text in render_config(config_dir(), ctx.find_object(config_module.Config)).items():
        path = out / name
        path.touch(mode=0o640)  # it holds the ARI, AMI and agent passwords
        path.chmod(0o640)
        path.write_text(text)
    click.echo(f"wrote the Asterisk configuration to {out}")


@cli.command()
@click.pass_context
def serve(ctx: click.Context) -> None:
    """Connect to Asterisk over ARI and run the IVR flows for every incoming call."""
    import uvloop

    from .app import build

    config = ctx.find_object(config_module.Config)
    config_check.refuse_shipped_passwords(config)
    heap.fix_mmap_threshold()  # else asyncio's 256 KiB socket reads fragment the heap for good (ivr/heap.py)
    log.setup(config.log.level)
    log.event("serve.start", ari=config.ari.url, app=config.ari.app, config=config.source, flows=config.flows.dir)

    async def run() -> None:
        await build(config).run()  # refuses to start on an invalid flow, with file:line messages
    try:
        uvloop.run(run())  # libuv's loop: less CPU per ARI request and event than asyncio's default
    except AcdError as exc:
        raise IvrError(str(exc)) from None
    except KeyboardInterrupt:
        log.event("serve.stop")


from .acd_cli import acd  # noqa: E402 - the command groups each live with their package
from .agents_cli import agents, queues  # noqa: E402
from .workspace_cli import customers  # noqa: E402 - also adds `agents inbox|workspace`
from .flows.cli import flows  # noqa: E402
from .report_cli import report  # noqa: E402
from .top_cli import top  # noqa: E402
from .recordings_cli import calls, recordings  # noqa: E402
from .sup_cli import sup  # noqa: E402

cli.add_command(flows)
cli.add_command(acd)
cli.add_command(agents)
cli.add_command(queues)
cli.add_command(customers)
cli.add_command(report)
cli.add_command(top)
cli.add_command(sup)
cli.add_command(calls)
cli.add_command(recordings)


def _duration(seconds: int) -> str:
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except IvrError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
