"""The `acd` command group (registered in ivr.cli): ACD tools that need no PBX."""
from __future__ import annotations

import click

from acd.errors import AcdError


@click.group()
def acd() -> None:
    """The ACD: routing simulation (more to come: queues, agents)."""


@acd.command()
@click.option("--scenario", type=click.Path(dir_okay=False), help="Multi-skill scenario YAML (see docs/routing.md).")
@click.option("--agents", type=click.IntRange(min=1), help="Single-skill case: number of agents.")
@click.option("--calls-per-hour", type=click.FloatRange(min=0, min_open=True), help="Single-skill case: arrival rate.")
@click.option("--aht", type=click.FloatRange(min=1), help="Single-skill case: mean handle time, seconds.")
@click.option("--patience", type=click.FloatRange(min=1),
              help="Mean caller patience, seconds (default: callers never abandon).")
@click.option("--hours", type=click.FloatRange(min=0.01), help="Simulated hours of arrivals [8, or the scenario's].")
@click.option("--seed", type=int, help="Random seed [1, or the scenario's].")
@click.option("--sl-seconds", type=click.FloatRange(min=0), help="Service-level target [20, or the scenario's].")
def simulate(scenario, agents, calls_per_hour, aht, patience, hours, seed, sl_seconds) -> None:
    """Simulate traffic through the real routing core, in simulated time.

    Either --agents/--calls-per-hour/--aht (one queue, one skill; Erlang C's service level is
    printed beside the simulated one) or --scenario FILE. The last line is:
    offered=.. answered=.. abandoned=.. asa_s=.. service_level=.. occupancy=.. erlang_c_service_level=..
    """
    from acd import scenario as scenario_module
    from acd.simulate import simulate as run_scenario
    from acd.simulate import simulate_single_skill

    single = {"--agents": agents, "--calls-per-hour": calls_per_hour, "--aht": aht}
    try:
        if scenario:
            given = [name for name, value in single.items() if value is not None]
            if given:
                raise click.UsageError(f"{given[0]} is for the single-skill case; a scenario has its own agents")
            loaded = scenario_module.load(scenario)
            if patience is not None:
                raise click.UsageError("--patience is for the single-skill case; a scenario sets it per traffic class")
            result = run_scenario(loaded.queues, loaded.agents, loaded.traffic,
                                  loaded.hours if hours is None else hours,
                                  loaded.seed if seed is None else seed,
                                  loaded.sl_seconds if sl_seconds is None else sl_seconds)
            click.echo(f"scenario={loaded.name} agents={len(loaded.agents)} traffic_classes={len(loaded.traffic)}")
        else:
            missing = [name for name, value in single.items() if value is None]
            if missing:
                raise click.UsageError(f"give --scenario FILE, or {', '.join(missing)} for the single-skill case")
            result = simulate_single_skill(agents, calls_per_hour, aht, patience, 8 if hours is None else hours,
                                           1 if seed is None else seed, 20 if sl_seconds is None else sl_seconds)
    except AcdError as exc:
        raise click.ClickException(f"{exc} [{exc.code}]") from None
    for line in result.queue_lines():
        click.echo(line)
    if result.still_waiting:
        click.echo(f"still_waiting={result.still_waiting} (no agent could ever take them)")
    click.echo(result.summary_line())
