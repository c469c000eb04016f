"""Web chat: website visitors over a WebSocket, and the small chat page the engine serves.

    GET /          the chat page (embed it in an <iframe>, or open it)
    GET /ws        the WebSocket; ?visitor=<id> resumes that visitor's conversation

The visitor id is a random token the server hands out on the first connection; the page keeps it
in the browser's localStorage, so the same browser comes back to the same open conversation.
Frames are JSON text, at most `max_message_chars` of text each:

    visitor -> us   {"type": "message", "text": "..."}   {"type": "typing"}   {"type": "read", "upto": <id>}
    us -> visitor   {"type": "welcome", "visitor", "conversation", "history", "agent"}
                    {"type": "message", ...}  {"type": "typing"}  {"type": "read", "upto"}
                    {"type": "agent", "name"}  {"type": "closed"}  {"type": "error", "error"}

This surface is public (no token): it binds to loopback by default, refuses WebSocket upgrades
from other web origins (`channels.chat.origins` adds some), bounds frame size and rate, and
refuses text that is not UTF-8 with one log line and an error frame (nothing stored).
"""
from __future__ import annotations

import json
import re
import secrets
import time
from collections import deque
from pathlib import Path

from aiohttp import WSMsgType, web

from ivr import log
from ivr.config import ChatChannelConfig

from .hub import Hub, Routing, message_view
from .listen import Listener

PAGE = Path(__file__).parent / "static" / "chat.html"
VISITOR = re.compile(r"[A-Za-z0-9_-]{16,64}")
RATE = (20, 10.0)  # at most 20 frames in 10 seconds per connection


class ChatChannel(Listener):
    name = "chat"

    def __init__(self, hub: Hub, config: ChatChannelConfig):
        super().__init__(config.host, config.port)
        self.hub, self.config = hub, config
        self.routing = Routing.of(config)
        self.origins = {f"http://{config.host}:{config.port}", f"http://localhost:{config.port}",
                        *(origin.lower().rstrip("/") for origin in config.origins)}
        self.typing: dict[str, float] = {}  # conversation -> when the visitor last typed
        hub.senders["chat"] = self._send
        hub.chat = self

    def app(self) -> web.Application:
        app = web.Application(client_max_size=16 * 1024)
        app.add_routes([web.get("/", self._page), web.get("/ws", self._socket)])
        return app

    async def _page(self, request: web.Request) -> web.Response:
        return web.Response(text=PAGE.read_text(), content_type="text/html",
                            headers={"Content-Security-Policy": "default-src 'self'; script-src 'unsafe-inline'; "
                                                                "style-src 'unsafe-inline'; connect-src 'self'"})

    async def _send(self, conversation, message):
        """Agents' replies reach the visitor through the conversation's watchers (the open sockets);
        a visitor away sees them in the history when it comes back."""
        return "sent", None, None

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        origin = request.headers.get("Origin")
        if origin is not None and origin.lower().rstrip("/") not in self.origins:
            log.warning("chat.refused", reason="foreign origin", origin=origin[:100])
            return web.json_response({"error": "this chat does not accept connections from that web page"},
                                     status=403)
        ws = web.WebSocketResponse(max_msg_size=self.config.max_message_chars * 4 + 1024, heartbeat=30,
                                   decode_text=False)
        await ws.prepare(request)
        visitor = request.query.get("visitor", "")
        if not VISITOR.fullmatch(visitor):
            visitor = secrets.token_urlsafe(18)
        conversation = await self.hub.db(self.hub.contacts.find_open, "chat", visitor)
        conversation_id = conversation.id if conversation else None
        history = [message_view(m) for m in await self.hub.db(self.hub.contacts.messages, conversation_id)] \
            if conversation_id else []
        item = self.hub.item(conversation_id) if conversation_id else None
        agent = self.hub.service.router.agents.get(item.agent_id) if item and item.agent_id else None
        await ws.send_json({"type": "welcome", "visitor": visitor, "conversation": conversation_id,
                            "history": history, "agent": (agent.name or agent.id) if agent and
                            item.state.value == "accepted" else None})

        def watcher(event) -> None:
            if not ws.closed:
                self.hub.tasks.spawn(ws.send_json(event), f"chat-send-{visitor[:8]}")
        if conversation_id:
            self.hub.watch(conversation_id, watcher)
        recent: deque[float] = deque()
        try:
            async for frame in ws:
                if frame.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                    break
                now = time.monotonic()
                recent.append(now)
                while recent and recent[0] < now - RATE[1]:
                    recent.popleft()
                if len(recent) > RATE[0]:
                    await self._refuse(ws, visitor, "too many messages: slow down")
                    continue
                try:
                    text = frame.data.decode("utf-8") if isinstance(frame.data, bytes) else frame.data
                    data = json.loads(text)
                except UnicodeDecodeError:
                    await self._refuse(ws, visitor, "messages must be UTF-8 text")
                    continue
                except ValueError:
                    await self._refuse(ws, visitor, "messages must be JSON")
                    continue
                if not isinstance(data, dict):
                    await self._refuse(ws, visitor, "messages must be JSON objects")
                    continue
                kind = data.get("type")
                if kind == "message":
                    body = data.get("text")
                    if not isinstance(body, str) or not body.strip():
                        await self._refuse(ws, visitor, "a message needs some text")
                        continue
                    if len(body) > self.config.max_message_chars:
                        await self._refuse(ws, visitor, f"a message holds at most {self.config.max_message_chars} "
                                                        "characters")
                        continue
                    got = await self.hub.inbound("chat", "chat", visitor, body, self.routing, channel_key=visitor)
                    if conversation_id != got.conversation_id:
                        if conversation_id:
                            self.hub.unwatch(conversation_id, watcher)
                        conversation_id = got.conversation_id
                        self.hub.watch(conversation_id, watcher)
                        await ws.send_json({"type": "conversation", "conversation": conversation_id})
                        if got.message:
                            await ws.send_json({"type": "message", **message_view(got.message)})
                elif kind == "typing":
                    if conversation_id:  # before the first message there is nobody to tell
                        self.typing[conversation_id] = time.time()
                elif kind == "read" and isinstance(data.get("upto"), int):
                    if conversation_id:
                        await self.hub.db(self.hub.contacts.mark_read, conversation_id, "out", data["upto"])
                else:
                    await self._refuse(ws, visitor, "unknown message type")
        finally:
            if conversation_id:
                self.hub.unwatch(conversation_id, watcher)
        return ws

    async def _refuse(self, ws: web.WebSocketResponse, visitor: str, reason: str) -> None:
        log.warning("chat.frame_refused", visitor=visitor[:8], reason=reason)
        await ws.send_json({"type": "error", "error": reason})
