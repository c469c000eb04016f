"""The agent workspace: routes on the control API (same guard, same token) and the page that uses them.

    GET  /workspace                                   the page (open: it holds no data; it reads the
                                                      token from its URL fragment, never sent to us)
    GET  /agents/{agent}/inbox                        offers and work in hand, calls included
    POST /agents/{agent}/work/{conversation}/accept   also: decline, typing
    POST /agents/{agent}/work/{conversation}/reply    {"text": "..."}
    POST /agents/{agent}/work/{conversation}/close    {"disposition": "..."}
    GET  /conversations/{id}                          the conversation, its customer and full timeline
    GET  /customers/{id}                              a customer and its timeline
    POST /customers/merge                             {"from": id, "into": id}

`ivr agents workspace AGENT` prints the page's address with the token in its fragment;
`ivr agents inbox AGENT` shows the inbox in the terminal.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from acd.errors import UnknownConversation, UnknownCustomer
from acd.errors import AcdError, UnknownAgent
from acd.model import Media
from ivr import log
from ivr.live import http_guard
from ivr.live.states import WorkState

from .hub import Hub, message_view

PAGE = Path(__file__).parent / "static" / "workspace.html"
TYPING_SHOWN_S = 4.0


class Workspace:
    def __init__(self, hub: Hub):
        self.hub = hub
        self.agent_typing: dict[str, float] = {}

    def routes(self) -> list[web.RouteDef]:
        base = "/agents/{agent}/work/{conversation}"
        return [
            web.get("/workspace", http_guard.open_route(self._page)),
            web.get("/agents/{agent}/inbox", self._inbox),
            web.post(base + "/{verb}", self._work),
            web.get("/conversations/{conversation}", self._conversation),
            web.get("/customers/{customer}", self._customer),
            web.post("/customers/merge", self._merge),
        ]

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(), content_type="text/html", headers={
            "Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
            "Referrer-Policy": "no-referrer"})

    def _agent(self, request: web.Request) -> str:
        agent_id = request.match_info["agent"]
        if agent_id not in self.hub.service.router.agents:
            raise UnknownAgent(f"unknown agent {agent_id}")
        return agent_id

    async def _inbox(self, request: web.Request) -> web.Response:
        return web.json_response(await self.inbox(self._agent(request)))

    async def inbox(self, agent_id: str) -> dict[str, Any]:
        service, contacts = self.hub.service, self.hub.contacts
        agent, now = service.router.agents[agent_id], service.clock()
        work = []
        for item in service.desk.of_agent(agent_id):
            conversation_id = item.interaction.id.split("~")[0]
            conversation = await self.hub.db(contacts.conversation, conversation_id)
            messages = await self.hub.db(contacts.messages, conversation_id)
            typed = self.hub.chat.typing.get(conversation_id, 0) if getattr(self.hub, "chat", None) else 0
            work.append({"conversation": conversation_id, "interaction": item.interaction.id,
                         "media": item.interaction.media.value, "state": item.state.value,
                         "queue": item.interaction.queue, "customer_id": conversation.customer_id,
                         "customer": item.interaction.customer, "subject": conversation.subject,
                         "waited_s": round(now - item.interaction.enqueued_at, 1),
                         "customer_typing": time.time() - typed < TYPING_SHOWN_S,
                         "last": message_view(messages[-1]) if messages else None})
        for interaction_id, holder in service.router.held().items():
            waiter = service.waiters.get(interaction_id)
            if holder != agent_id or waiter is None or waiter.interaction.media is not Media.VOICE:
                continue
            caller = waiter.call.record.caller
            customer_id = await self.hub.db(contacts.find_customer, "phone", caller) if caller else None
            work.append({"conversation": None, "interaction": interaction_id, "media": "voice",
                         "state": waiter.state.value, "queue": waiter.interaction.queue, "customer_id": customer_id,
                         "customer": caller, "subject": f"call from {caller or 'anonymous'}",
                         "waited_s": round(now - waiter.interaction.enqueued_at, 1), "last": None,
                         "customer_typing": False})
        return {"agent": agent_id, "name": agent.name, "state": agent.state.value,
                "load": {media.value: count for media, count in agent.load.items() if count},
                "capacity": {media.value: count for media, count in agent.capacity.items()}, "work": work}

    async def _work(self, request: web.Request) -> web.Response:
        agent_id, verb = self._agent(request), request.match_info["verb"]
        conversation_id = request.match_info["conversation"]
        body = await _json(request) if request.can_read_body else {}
        desk, hub = self.hub.service.desk, self.hub
        item = hub.item(conversation_id)
        if verb in ("accept", "decline"):
            if item is None:
                raise UnknownConversation(f"conversation {conversation_id} is not in the ACD")
            (desk.accept if verb == "accept" else desk.decline)(agent_id, item.interaction.id)
            result: dict[str, Any] = {"conversation": conversation_id, "state": hub.item(conversation_id).state.value
                                      if hub.item(conversation_id) else "closed"}
        elif verb == "reply":
            message = await hub.reply(agent_id, conversation_id, str(body.get("text", "")))
            result = {"conversation": conversation_id, "message": message_view(message)}
        elif verb == "close":
            await hub.close(agent_id, conversation_id, str(body.get("disposition", "")))
            result = {"conversation": conversation_id, "state": WorkState.CLOSED.value}
        elif verb == "typing":
            if item is None or item.agent_id != agent_id:
                raise UnknownConversation(f"conversation {conversation_id} is not with {agent_id}")
            hub.tell(conversation_id, {"type": "typing"})
            result = {"conversation": conversation_id}
        else:
            raise web.HTTPNotFound(text=json.dumps({"error": f"unknown action {verb}"}), content_type="application/json")
        log.event("workspace.action", agent=agent_id, conversation=conversation_id, action=verb)
        return web.json_response(result)

    async def _conversation(self, request: web.Request) -> web.Response:
        hub, contacts = self.hub, self.hub.contacts
        conversation = await hub.db(contacts.conversation, request.match_info["conversation"])
        messages = await hub.db(contacts.messages, conversation.id)
        unread = [m.id for m in messages if m.direction == "in" and m.status == "received"]
        if unread:  # the agent has it on screen: the customer sees it read
            await hub.db(contacts.mark_read, conversation.id, "in", unread[-1])
            hub.tell(conversation.id, {"type": "read", "upto": unread[-1]})
            messages = await hub.db(contacts.messages, conversation.id)
        return web.json_response({
            "conversation": {**conversation.__dict__}, "messages": [message_view(m) for m in messages],
            "customer": await hub.db(contacts.customer, conversation.customer_id),
            "timeline": await hub.db(contacts.timeline, conversation.customer_id)})

    async def _customer(self, request: web.Request) -> web.Response:
        try:
            customer_id = int(request.match_info["customer"])
        except ValueError:
            raise UnknownCustomer(f"unknown customer {request.match_info['customer']}") from None
        hub = self.hub
        return web.json_response({"customer": await hub.db(hub.contacts.customer, customer_id),
                                  "timeline": await hub.db(hub.contacts.timeline, customer_id)})

    async def _merge(self, request: web.Request) -> web.Response:
        body = await _json(request)
        try:
            source, target = int(body["from"]), int(body["into"])
        except (KeyError, TypeError, ValueError):
            raise AcdError('merge needs {"from": <customer id>, "into": <customer id>}') from None
        merged = await self.hub.db(self.hub.contacts.merge, source, target)
        log.event("customers.merged", source=source, into=merged)
        return web.json_response({"customer": await self.hub.db(self.hub.contacts.customer, merged)})


async def _json(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        raise AcdError("the request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise AcdError("the request body must be a JSON object")
    return body
