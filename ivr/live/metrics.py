"""The Prometheus endpoint: GET /metrics on `metrics.host:metrics.port` (loopback only) while
`ivr serve` runs, behind `http_guard` as an open route (no token; Host and Origin still checked).

Every figure is read from live state when Prometheus scrapes (a custom collector), so nothing
here keeps a second copy of what the ACD, the controller or `ivr.health` already count:

    ivr_queue_waiting{queue}                  callers waiting now
    ivr_queue_longest_wait_seconds{queue}     the longest of their waits
    ivr_agents{state}                         agents per state (every state, 0 included)
    ivr_acd_offered_total{queue}              ended interactions since the controller started,
    ivr_acd_answered_total{queue}               and of them answered and abandoned
    ivr_acd_abandoned_total{queue}              (counted from the store by `day_stats`)
    ivr_calls_active                          calls the controller runs now
    ivr_event_loop_lag_seconds                how late the event loop woke up last (`loop_lag`)
    ivr_event_loop_lag_max_seconds            the worst of the last minute
    ivr_ari_reconnects_total                  ARI event stream reconnections
    ivr_handler_failures_total{event}         contained failures by kind (`ivr.health.failed`)

The last two count from the moment this controller was built: `ivr.health` counts for the whole
process, which may run more than one controller in turn (the tests do).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from acd.model import AgentState
from ivr import health
from ivr.config import Config
from ivr.live import http_guard
from ivr.live.loop_lag import LoopLag

if TYPE_CHECKING:
    from ivr.live.acd.service import AcdService
    from ivr.live.controller import Controller


class EngineCollector:
    """prometheus-client's custom collector protocol: `collect()` yields metric families."""

    def __init__(self, controller: Controller, acd: AcdService | None, lag: LoopLag):
        self.controller, self.acd, self.lag = controller, acd, lag
        self.reconnects_before = health.counters["ari.reconnects"]
        self.failures_before = health.failures.copy()

    def collect(self):
        calls = GaugeMetricFamily("ivr_calls_active", "Calls the controller runs now")
        calls.add_metric([], len(self.controller.calls))
        yield calls
        yield from self._acd()
        lag = GaugeMetricFamily("ivr_event_loop_lag_seconds", "How late the event loop last woke up")
        lag.add_metric([], self.lag.last_s)
        yield lag
        worst = GaugeMetricFamily("ivr_event_loop_lag_max_seconds", "The largest event-loop lag of the last minute")
        worst.add_metric([], self.lag.max_s)
        yield worst
        reconnects = CounterMetricFamily("ivr_ari_reconnects", "ARI event stream reconnections")
        reconnects.add_metric([], health.counters["ari.reconnects"] - self.reconnects_before)
        yield reconnects
        failures = CounterMetricFamily("ivr_handler_failures", "Contained failures, by kind", labels=["event"])
        for event, count in sorted((health.failures - self.failures_before).items()):
            failures.add_metric([event], count)
        yield failures

    def _acd(self):
        if self.acd is None:
            return
        router, now = self.acd.router, self.acd.clock()
        waiting = GaugeMetricFamily("ivr_queue_waiting", "Callers waiting in the queue now", labels=["queue"])
        longest = GaugeMetricFamily("ivr_queue_longest_wait_seconds", "The longest wait in the queue now",
                                    labels=["queue"])
        for name in router.queues:
            waiters = router.waiting(name)
            waiting.add_metric([name], len(waiters))
            longest.add_metric([name], max((now - i.enqueued_at for i in waiters), default=0.0))
        yield waiting
        yield longest
        agents = GaugeMetricFamily("ivr_agents", "Agents in each state", labels=["state"])
        for state in AgentState:
            agents.add_metric([state.value], sum(a.state is state for a in router.agents.values()))
        yield agents
        totals = self.acd.day_stats.totals
        for what in ("offered", "answered", "abandoned"):
            family = CounterMetricFamily(f"ivr_acd_{what}", f"Interactions {what} since the controller started "
                                         "(ended ones)", labels=["queue"])
            for name in router.queues:
                family.add_metric([name], getattr(totals[name], what) if name in totals else 0)
            yield family


class MetricsService:
    """Started and stopped with the controller (`controller.services`)."""

    def __init__(self, controller: Controller, acd: AcdService | None, config: Config, lag: LoopLag):
        self.config = config.metrics
        self.token_file = config.control.token_file
        self.lag = lag  # measured by the controller's LoopWatch
        self.registry = CollectorRegistry(auto_describe=False)  # ours alone: no process-wide globals
        self.registry.register(EngineCollector(controller, acd, self.lag))
        self._runner: web.AppRunner | None = None
        controller.services.append(self)

    def app(self) -> web.Application:
        app = http_guard.application(self.config.host, self.config.port, self.token_file)
        app.add_routes([web.get("/metrics", http_guard.open_route(self._metrics))])
        return app

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=generate_latest(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    async def start(self) -> None:
        self._runner = await http_guard.listen(self.app(), self.config.host, self.config.port, "metrics",
                                               "metrics.port")

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()
