"""Where every channel meets the ACD: messages become conversations, conversations interactions.

    hub = Hub(acd_service)                    # one per engine (ivr/channels/__init__.py wires it)
    got = await hub.inbound("chat", "chat", visitor_id, "hello", routing, channel_key=visitor_id)
    await hub.reply("agent2", got.conversation_id, "Hi, how can I help?")

A message from a customer is stored first (customer found or created by its identity, the open
conversation of its channel key found or opened), then a new conversation enters the ACD as an
interaction of its media (`Desk.submit`): routing, offers and capacity are the ACD's. Replies go
out through the channel's sender and their delivery status is stored with them.

Store work runs off the event loop on one thread, in order (`Contacts` is synchronous), so the
"find the open conversation or open one" of two messages of a new customer never races.
Watchers (a chat visitor's socket) hear the messages and moves of their conversation.
"""
from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from acd.contacts import Contacts, Conversation, Message
from acd.errors import UnknownConversation
from acd.errors import AcdError
from acd.model import Interaction, Media
from acd.store import Store
from ivr import log
from ivr.health import failed
from ivr.live.acd.desk import WorkItem
from ivr.live.states import WorkState
from ivr.live.tasks import TaskOwner

# A sender puts one outbound message on its way: (status, error, external id) with status sent or failed.
Sender = Callable[[Conversation, Message], Awaitable[tuple[str, str | None, str | None]]]
Watcher = Callable[[dict[str, Any]], None]
AUTO_REPLY = "auto-reply"  # the sender of automatic acknowledgements


@dataclass(frozen=True)
class Routing:
    """Where a channel's new conversations wait: its `channels.<media>` queue settings."""

    queue: str
    skills: dict[str, int] = field(default_factory=dict)
    language: str = "en"
    priority: int = 0

    @classmethod
    def of(cls, channel) -> Routing:
        return cls(channel.queue, dict(channel.skills), channel.language, channel.priority)


@dataclass(frozen=True)
class Inbound:
    conversation_id: str
    customer_id: int
    message: Message | None  # None: a duplicate of a message already stored
    new: bool  # the message opened a conversation


class Hub:
    def __init__(self, service):
        self.service = service
        self.contacts = Contacts(service.store.engine, clock=service.clock)
        self._db = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contacts")
        self.senders: dict[str, Sender] = {}
        self.watchers: dict[str, set[Watcher]] = {}
        self.tasks = TaskOwner("channels")
        self.chat = None  # the chat channel, when on (visitors' typing marks)
        self.workspace = None
        service.desk.listeners.append(self._on_work)
        service.controller.services.append(self)

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        await self.tasks.close()
        self._db.shutdown(wait=True)

    async def db(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run one `Contacts` call on the store thread."""
        return await asyncio.get_running_loop().run_in_executor(self._db, fn, *args)

    # -- inbound --------------------------------------------------------------------------------

    async def inbound(self, media: str, kind: str, identity: str, body: str, routing: Routing, *,
                      channel_key: str, subject: str = "", external_id: str | None = None,
                      meta: dict[str, Any] | None = None, thread_ids: tuple[str, ...] = (),
                      name: str = "") -> Inbound:
        """Store a customer's message; a new conversation enters the ACD."""
        conversation, customer_id, message, new = await self.db(lambda: self.contacts.receive(
            media, kind, identity, body, channel_key=channel_key, queue=routing.queue,
            new_id=f"{media}-{uuid.uuid4().hex[:16]}", subject=subject, external_id=external_id, meta=meta,
            thread_ids=thread_ids, name=name))
        if message is None:
            log.warning("channels.duplicate", media=media, conversation=conversation.id, external_id=external_id or "")
        if new:
            self._enter_acd(conversation, routing, f"{kind}:{identity}")
        if message is not None:
            self.tell(conversation.id, {"type": "message", **message_view(message)})
        return Inbound(conversation.id, customer_id, message, new)

    def _enter_acd(self, conversation: Conversation, routing: Routing, customer: str) -> None:
        interaction = Interaction(conversation.id, routing.queue, Media(conversation.media), dict(routing.skills),
                                  routing.language, routing.priority, self.service.clock(),
                                  customer[:Store.CUSTOMER_CHARS])
        try:
            self.service.desk.submit(interaction)
        except AcdError as exc:  # the message is kept; the conversation waits for an ACD that takes it
            log.error("channels.refused", conversation=conversation.id, queue=routing.queue, reason=str(exc))

    # -- agents ---------------------------------------------------------------------------------

    def item(self, conversation_id: str) -> WorkItem | None:
        """The conversation's interaction in the ACD (moves between queues keep the conversation id)."""
        return next((item for item in self.service.desk.items.values()
                     if item.interaction.id.split("~")[0] == conversation_id), None)

    def _accepted_by(self, agent_id: str, conversation_id: str) -> WorkItem:
        item = self.item(conversation_id)
        if item is None or item.agent_id != agent_id or item.state is not WorkState.ACCEPTED:
            raise UnknownConversation(f"conversation {conversation_id} is not accepted by {agent_id}")
        return item

    async def reply(self, agent_id: str, conversation_id: str, text: str) -> Message:
        """The agent's answer: stored, then sent by the channel; its delivery status is stored."""
        self._accepted_by(agent_id, conversation_id)
        if not text.strip():
            raise AcdError("a reply needs some text")
        return await self.send(conversation_id, agent_id, text)

    async def send(self, conversation_id: str, sender_id: str, text: str) -> Message:
        """Store an outbound message (from an agent, or `AUTO_REPLY`) and put it on its way."""
        conversation = await self.db(self.contacts.conversation, conversation_id)
        message = await self.db(lambda: self.contacts.add_message(conversation_id, conversation.media, "out",
                                                                  sender_id, text, status="sending"))
        sender = self.senders.get(conversation.media)
        try:
            status, error, external_id = await sender(conversation, message) if sender else \
                ("failed", f"the {conversation.media} channel is off", None)
        except Exception as exc:  # noqa: BLE001 - the reply is kept and shown as failed
            failed("channels.send_failed", exc, conversation=conversation_id)
            status, error, external_id = "failed", str(exc)[:200] or type(exc).__name__, None
        await self.db(self.contacts.message_status, message.id, status, error, external_id)
        if status == "failed":
            log.warning("channels.delivery_failed", conversation=conversation_id, media=conversation.media,
                        reason=error or "")
        shown = {**message_view(message), "status": status, "error": error}
        self.tell(conversation_id, {"type": "message", **shown})
        return Message(**{**message.__dict__, "status": status, "error": error})

    async def close(self, agent_id: str, conversation_id: str, disposition: str) -> None:
        item = self._accepted_by(agent_id, conversation_id)
        if not disposition.strip():
            raise AcdError("closing needs a disposition")
        self.service.desk.close(agent_id, item.interaction.id, disposition.strip()[:100])

    def _on_work(self, event: str, item: WorkItem) -> None:
        conversation_id = item.interaction.id.split("~")[0]
        if event == "accepted":
            self.tasks.spawn(self.db(self.contacts.assigned, conversation_id, item.agent_id), f"assign-{conversation_id}")
            agent = self.service.router.agents[item.agent_id]
            self.tell(conversation_id, {"type": "agent", "name": agent.name or agent.id})
        elif event == "closed":
            self.tasks.spawn(self._closed(conversation_id, item.outcome or "closed"), f"close-{conversation_id}")

    async def _closed(self, conversation_id: str, disposition: str) -> None:
        try:
            await self.db(self.contacts.close, conversation_id, disposition)
        except UnknownConversation:
            pass  # closed already
        self.tell(conversation_id, {"type": "closed", "disposition": disposition})

    # -- watchers -------------------------------------------------------------------------------

    def watch(self, conversation_id: str, watcher: Watcher) -> None:
        self.watchers.setdefault(conversation_id, set()).add(watcher)

    def unwatch(self, conversation_id: str, watcher: Watcher) -> None:
        found = self.watchers.get(conversation_id)
        if found:
            found.discard(watcher)
            if not found:
                del self.watchers[conversation_id]

    def tell(self, conversation_id: str, event: dict[str, Any]) -> None:
        for watcher in list(self.watchers.get(conversation_id, ())):
            try:
                watcher(event)
            except Exception as exc:  # noqa: BLE001 - one visitor's socket must not stop the others
                failed("channels.watcher_failed", exc, conversation=conversation_id)

    # -- customers ------------------------------------------------------------------------------

    async def last_contact(self, caller: str) -> dict[str, Any] | None:
        """The flow variable `last_contact` for a caller: {media, at (ISO time), days_ago, queue,
        agent}, or None for a caller we have never heard from."""
        found = await self.db(self.contacts.last_contact, "phone", caller) if caller else None
        if not found:
            return None
        return {"media": found["kind"], "at": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(found["at"])),
                "days_ago": int((self.service.clock() - found["at"]) // 86400),
                "queue": found.get("queue") or "", "agent": found.get("agent") or ""}

    async def call_ended(self, call_id: str, caller: str, flow: str, path: str, recordings: list[str]) -> None:
        await self.db(self.contacts.call_note, call_id, caller, flow, path, recordings)


def message_view(message: Message) -> dict[str, Any]:
    return {"id": message.id, "direction": message.direction, "sender": message.sender, "body": message.body,
            "at": message.at, "status": message.status, "error": message.error,
            "attachments": (message.meta or {}).get("attachments", [])}
