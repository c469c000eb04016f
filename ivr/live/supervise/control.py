"""The supervision routes of the control API (behind the same token, Host and Origin checks):

    POST /supervise/{supervisor}/{listen|whisper|barge}?target=T[&via=ENDPOINT]
    POST /supervise/sessions/{id}/mode?mode=M     POST /supervise/sessions/{id}/leave
    GET  /supervise/sessions
"""
from __future__ import annotations

from aiohttp import web

from ivr.errors import SupervisionRefused

from .legs import Mode
from .sessions import Supervision


def _mode(value: str | None) -> Mode:
    try:
        return Mode(value)
    except ValueError:
        raise SupervisionRefused(f"unknown mode {value!r} (listen, whisper or barge)") from None


def routes(supervision: Supervision) -> list[web.RouteDef]:
    async def start(request: web.Request) -> web.Response:
        target = request.query.get("target", "")
        if not target:
            raise SupervisionRefused("no target: give an agent id or a call id")
        session = await supervision.start(request.match_info["supervisor"], target,
                                          _mode(request.match_info["mode"]), request.query.get("via") or None)
        return web.json_response(session.view())

    async def mode(request: web.Request) -> web.Response:
        session = await supervision.switch(request.match_info["id"], _mode(request.query.get("mode")))
        return web.json_response(session.view())

    async def leave(request: web.Request) -> web.Response:
        session = await supervision.leave(request.match_info["id"])
        return web.json_response(session.view())

    async def sessions(request: web.Request) -> web.Response:
        return web.json_response(supervision.list())

    return [web.get("/supervise/sessions", sessions),
            web.post("/supervise/sessions/{id}/mode", mode),
            web.post("/supervise/sessions/{id}/leave", leave),
            web.post("/supervise/{supervisor}/{mode}", start)]
