"""The composition root: the one place that builds a running engine from the config.

`ivr serve` and the tests' `ServeThread` both call `build`; unit tests pass a `FakeAri`.

    engine = build(config)                   # flows from config.flows.dir, the ACD from config.acd
    await engine.run()                       # until cancelled; calls stay in Stasis for the next one
"""
from __future__ import annotations

from dataclasses import dataclass

from . import channels
from .config import Config
from .health import LoopWatch
from .live.loop_lag import LoopLag
from .live.acd import AcdService, install
from .live.controller import CallFlow, Controller
from .live.demo_lookup import start_lookup
from .live.flow_service import FlowService
from .live.metrics import MetricsService
from .pbx.ari import Ari, AriClient


@dataclass
class Engine:
    config: Config
    controller: Controller
    flows: CallFlow
    acd: AcdService | None
    channels: channels.Hub | None = None

    async def run(self) -> None:
        lookup = await start_lookup(self.config.lookup)  # the demo account service, when configured
        try:
            await self.controller.run()
        finally:
            if lookup is not None:
                await lookup.cleanup()


def build(config: Config, *, ari: Ari | None = None, flow: CallFlow | None = None, acd: bool = True) -> Engine:
    """Wire the engine. Raises `FlowsRefused` for an invalid flows directory and `AcdError` for
    an invalid acd.yaml, before anything connects."""
    flows = flow or FlowService.from_config(config)
    controller = Controller(config, flows, ari or AriClient(config.ari))
    lag = LoopLag()
    controller.services.append(LoopWatch(lag))  # logs loop.stats: event-loop lag, time per ARI event
    service = install(controller, flows) if acd else None
    if config.metrics.port:
        MetricsService(controller, service, config, lag)  # registers itself with the controller's services
    hub = channels.install(service, config) if service is not None else None  # email, chat, SMS, workspace
    return Engine(config, controller, flows, service, hub)
