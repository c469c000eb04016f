"""The control API: loopback HTTP + JSON for `ivr agents` and `ivr queues` while `ivr serve` runs.

    GET  /agents                          POST /agents/{id}/login|logout|ready
    POST /agents/{id}/pause?reason=R      GET  /queues    GET /queues/{name}
    GET  /interactions/{id}/explain       (live while waiting, else as kept when it left the queue)
    and the agent workspace's routes (`ivr.channels.workspace`)
    GET  /wallboard                       (`ivr top`: queues with today's service level, agents)
    GET  /calls                           POST /calls/{id}/record/start|pause|resume

Errors answer 4xx with {"error": "one line"}. Every request passes `ivr.live.http_guard` (token, Host,
Origin, body size); the CLI sends the token from control.token_file.
"""
from __future__ import annotations

import asyncio
import ipaddress

from aiohttp import web

from acd.errors import UnknownConversation, UnknownCustomer
from acd.errors import AcdError, UnknownAgent, UnknownInteraction, UnknownQueue
from ivr import log
from ivr.config import ControlConfig
from ivr.errors import ConfigError, RecordingRefused, SupervisionRefused
from ivr.health import failed
from ivr.live import http_guard
from ivr.live.acd import views
from ivr.live.acd.service import AcdService

from .agent_commands import VERBS

NOT_FOUND = (UnknownAgent, UnknownQueue, UnknownInteraction, UnknownConversation, UnknownCustomer)
STORE_WAIT_S = 2.0  # the longest an explanation waits for store writes still on their way


def check_loopback(config: ControlConfig) -> None:
    try:
        loopback = ipaddress.ip_address(config.host).is_loopback
    except ValueError:
        loopback = config.host == "localhost"
    if not loopback:
        raise ConfigError(f"control.host: {config.host} is not a loopback address; the control API speaks "
                          "plain HTTP and listens on loopback only")


class ControlApi:
    def __init__(self, service: AcdService, config: ControlConfig):
        check_loopback(config)
        self.service, self.config = service, config
        self._runner: web.AppRunner | None = None
        self.routes: list[web.RouteDef] = []  # more routes behind the same guard (workspace, supervision)
        service.controller.services.append(self)

    def app(self) -> web.Application:
        app = http_guard.application(self.config.host, self.config.port, self.config.token_file,
                                     middlewares=[self._errors])
        app.add_routes([
            web.get("/agents", self._view(lambda r: views.agents(self.service))),
            web.post("/agents/{agent}/{action}", self._agent_action),
            web.get("/queues", self._view(lambda r: views.queues(self.service))),
            web.get("/queues/{name}", self._view(lambda r: views.queue(self.service, r.match_info["name"]))),
            web.get("/interactions/{id}/explain", self._explain),
            *self.routes,
            web.get("/wallboard", self._view(lambda r: views.wallboard(self.service))),
            web.get("/calls", self._view(lambda r: views.calls(self.service))),
            web.post("/calls/{id}/record/{action}", self._record),
        ])
        return app

    @staticmethod
    def _view(build):
        async def handler(request: web.Request) -> web.Response:
            return web.json_response(build(request))
        return handler

    async def start(self) -> None:
        self._runner = await http_guard.listen(self.app(), self.config.host, self.config.port, "control",
                                               "control.port")

    async def stop(self) -> None:
        if self._runner:
            await self._runner.cleanup()

    async def _agent_action(self, request: web.Request) -> web.Response:
        agent_id, action = request.match_info["agent"], request.match_info["action"]
        if action not in VERBS:
            raise web.HTTPNotFound(text=f'{{"error": "unknown action {action}"}}', content_type="application/json")
        state = self.service.agents.do(action, agent_id, request.query.get("reason"))
        log.event("control.agent", agent=agent_id, action=action, state=state.value)
        return web.json_response({"agent": agent_id, "state": state.value})

    async def _record(self, request: web.Request) -> web.Response:
        call_id, action = request.match_info["id"], request.match_info["action"]
        recorder = self.service.recorder
        waiter = views.bridged_call(self.service, call_id)
        if action == "start":
            recording = await recorder.start(waiter)
        elif action in ("pause", "resume"):
            recording = await getattr(recorder, action)(waiter.interaction.id)
        else:
            raise RecordingRefused(f"unknown recording action {action} (start, pause or resume)")
        log.event("control.record", call=waiter.interaction.id, action=action)
        return web.json_response({"call": waiter.interaction.id, "recording": recording.name,
                                  "paused": recording.paused_at is not None, "pauses": recording.pauses})

    async def _explain(self, request: web.Request) -> web.Response:
        """From the router while the interaction waits; from the store once it left its queue."""
        interaction_id = request.match_info["id"]
        found = views.explain(self.service, interaction_id)
        if found is None:
            journal = self.service.journal
            if journal.pending:
                await journal.drain(STORE_WAIT_S)  # it may have left a moment ago
            record = await asyncio.to_thread(self.service.store.explanation, interaction_id)
            if record is None:
                raise UnknownInteraction(f"unknown interaction {interaction_id}: not waiting, and no explanation "
                                         "in the store")
            found = views.stored_explanation(record)
        return web.json_response(found)

    @web.middleware
    async def _errors(self, request: web.Request, handler):
        try:
            return await handler(request)
        except NOT_FOUND as exc:
            return web.json_response({"error": str(exc)}, status=404)
        except AcdError as exc:
            return web.json_response({"error": str(exc)}, status=409)
        except (SupervisionRefused, RecordingRefused) as exc:
            return web.json_response({"error": str(exc)}, status=exc.http_status)
        except web.HTTPException:
            raise
        except Exception as exc:  # noqa: BLE001 - a bug behind one request: that request fails, calls go on
            failed("control.failed", exc, method=request.method, path=request.path)
            return web.json_response({"error": f"internal error: {type(exc).__name__} (logged)"}, status=500)
