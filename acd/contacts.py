"""Customers and their conversations: who wrote, called, chatted or texted, and every message.

A sibling of `store.py` on the same database (SQLAlchemy 2; SQLite or PostgreSQL by URL):

- a customer has identities (`phone`, `email`, `chat`); an identity belongs to one customer. A
  manual merge moves every identity and conversation of one customer to another and leaves the
  first as a pointer (`merged_into`), so an old id still finds the customer;
- a conversation is one ACD interaction of a non-voice media (its id is the interaction id), tied
  to a customer and a channel key (the email thread, the chat visitor, the SMS number);
- a message belongs to a conversation, inbound or outbound, with the channel's own id
  (`external_id`: the email Message-ID, the SMS gateway's id) unique per media, so a message
  delivered twice is stored once; outbound messages carry a delivery status;
- a call note keeps what the timeline shows of a voice call (IVR path, queue, recording).

The methods are synchronous: the live engine calls them off its event loop, one at a time.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .errors import ContactError, UnknownConversation, UnknownCustomer
from .store import interactions, metadata

IDENTITY_KINDS = ("phone", "email", "chat")
TEXT_CHARS = 100_000  # the longest message body kept (an email's text part, cut there)

customers = sa.Table(
    "contact_customers", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("merged_into", sa.Integer),
)

identities = sa.Table(
    "contact_identities", metadata,
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("value", sa.String(320), primary_key=True),
    sa.Column("customer_id", sa.Integer, nullable=False, index=True),
)

conversations = sa.Table(
    "contact_conversations", metadata,
    sa.Column("id", sa.String(100), primary_key=True),  # the ACD interaction id
    sa.Column("media", sa.String(10), nullable=False),
    sa.Column("customer_id", sa.Integer, nullable=False, index=True),
    sa.Column("channel_key", sa.String(400), nullable=False, index=True),
    sa.Column("subject", sa.String(400), nullable=False, default=""),
    sa.Column("queue", sa.String(100), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, index=True),  # open | closed
    sa.Column("agent_id", sa.String(100)),
    sa.Column("opened_at", sa.Float, nullable=False),
    sa.Column("closed_at", sa.Float),
    sa.Column("disposition", sa.String(100)),
)

messages = sa.Table(
    "contact_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("conversation_id", sa.String(100), nullable=False, index=True),
    sa.Column("media", sa.String(10), nullable=False),
    sa.Column("direction", sa.String(3), nullable=False),  # in | out
    sa.Column("sender", sa.String(320), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("external_id", sa.String(400)),
    sa.Column("status", sa.String(20), nullable=False),  # received | sent | delivered | failed | read
    sa.Column("error", sa.String(400)),
    sa.Column("meta", sa.JSON, nullable=False),  # attachments, headers the channel needs again
    sa.UniqueConstraint("media", "external_id", name="uq_contact_message_external"),
)

call_notes = sa.Table(
    "contact_call_notes", metadata,
    sa.Column("call_id", sa.String(100), primary_key=True),
    sa.Column("customer_id", sa.Integer, nullable=False, index=True),
    sa.Column("caller", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("flow", sa.String(100), nullable=False),
    sa.Column("path", sa.String(2000), nullable=False),
    sa.Column("recordings", sa.JSON, nullable=False),
)


@dataclass(frozen=True)
class Conversation:
    id: str
    media: str
    customer_id: int
    channel_key: str
    subject: str
    queue: str
    status: str
    agent_id: str | None
    opened_at: float
    closed_at: float | None
    disposition: str | None


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: str
    media: str
    direction: str
    sender: str
    body: str
    at: float
    external_id: str | None
    status: str
    error: str | None
    meta: dict[str, Any] = field(default_factory=dict)


class Contacts:
    def __init__(self, engine: Engine, clock=time.time):
        self.engine, self.clock = engine, clock
        metadata.create_all(engine)

    # -- customers --------------------------------------------------------------------------

    def customer_for(self, kind: str, value: str, name: str = "") -> int:
        """The customer this identity belongs to, created on first contact."""
        if kind not in IDENTITY_KINDS:
            raise ContactError(f"identity kind {kind!r} is not one of {', '.join(IDENTITY_KINDS)}")
        value = normalized(kind, value)
        with self.engine.begin() as connection:
            found = connection.execute(sa.select(identities.c.customer_id).where(
                identities.c.kind == kind, identities.c.value == value)).scalar()
            if found is not None:
                return _resolve(connection, found)
            customer = connection.execute(customers.insert().values(name=name[:200], created_at=self.clock())
                                          ).inserted_primary_key[0]
            connection.execute(identities.insert().values(kind=kind, value=value, customer_id=customer))
            return customer

    def find_customer(self, kind: str, value: str) -> int | None:
        with self.engine.connect() as connection:
            found = connection.execute(sa.select(identities.c.customer_id).where(
                identities.c.kind == kind, identities.c.value == normalized(kind, value))).scalar()
            return None if found is None else _resolve(connection, found)

    def customer(self, customer_id: int) -> dict[str, Any]:
        with self.engine.connect() as connection:
            resolved = _resolve(connection, customer_id)
            row = connection.execute(sa.select(customers).where(customers.c.id == resolved)).first()
            if row is None:
                raise UnknownCustomer(f"unknown customer {customer_id}")
            ids = connection.execute(sa.select(identities.c.kind, identities.c.value).where(
                identities.c.customer_id == resolved).order_by(identities.c.kind, identities.c.value)).all()
        return {"id": resolved, "name": row.name, "identities": [f"{kind}:{value}" for kind, value in ids]}

    def merge(self, source: int, target: int) -> int:
        """Move everything of customer `source` to `target` (both may be old, merged ids)."""
        with self.engine.begin() as connection:
            source, target = _resolve(connection, source), _resolve(connection, target)
            for customer_id in (source, target):
                if connection.execute(sa.select(customers.c.id).where(customers.c.id == customer_id)).first() is None:
                    raise UnknownCustomer(f"unknown customer {customer_id}")
            if source == target:
                raise ContactError(f"customer {source} is already customer {target}")
            for table in (identities, conversations, call_notes):
                connection.execute(table.update().where(table.c.customer_id == source).values(customer_id=target))
            connection.execute(customers.update().where(customers.c.id == source).values(merged_into=target))
        return target

    # -- one inbound message, in one transaction -------------------------------------------------

    def receive(self, media: str, kind: str, identity: str, body: str, *, channel_key: str, queue: str,
                new_id: str, subject: str = "", external_id: str | None = None, meta: dict[str, Any] | None = None,
                thread_ids: tuple[str, ...] = (), name: str = "") -> tuple[Conversation, int, Message | None, bool]:
        """Store a customer's message: its customer found or created, its open conversation found
        (by a thread id, else by channel key) or opened as `new_id`. Returns (conversation,
        customer, message or None when `external_id` is already stored, whether it is new)."""
        value, now = normalized(kind, identity), self.clock()
        with self.engine.begin() as connection:
            found = connection.execute(sa.select(identities.c.customer_id).where(
                identities.c.kind == kind, identities.c.value == value)).scalar()
            if found is None:
                customer_id = connection.execute(customers.insert().values(name=name[:200], created_at=now)
                                                 ).inserted_primary_key[0]
                connection.execute(identities.insert().values(kind=kind, value=value, customer_id=customer_id))
            else:
                customer_id = _resolve(connection, found)
            if external_id and connection.execute(sa.select(messages.c.id).where(
                    messages.c.media == media, messages.c.external_id == external_id[:400])).first():
                return _by_message(connection, media, [external_id]), customer_id, None, False
            conversation = _by_message(connection, media, list(thread_ids)) if thread_ids else None
            if conversation is None or conversation.status != "open":
                row = connection.execute(sa.select(conversations).where(
                    conversations.c.media == media, conversations.c.channel_key == channel_key[:400],
                    conversations.c.status == "open").order_by(conversations.c.opened_at.desc())).first()
                conversation = None if row is None else Conversation(*row)
            new = conversation is None
            if new:
                values = dict(id=new_id, media=media, customer_id=customer_id, channel_key=channel_key[:400],
                              subject=subject[:400], queue=queue, status="open", agent_id=None, opened_at=now,
                              closed_at=None, disposition=None)
                connection.execute(conversations.insert().values(**values))
                conversation = Conversation(**values)
            values = dict(conversation_id=conversation.id, media=media, direction="in", sender=identity[:320],
                          body=body[:TEXT_CHARS], at=now, external_id=external_id[:400] if external_id else None,
                          status="received", error=None, meta=meta or {})
            message_id = connection.execute(messages.insert().values(**values)).inserted_primary_key[0]
        return conversation, customer_id, Message(message_id, **values), new

    # -- conversations ------------------------------------------------------------------------

    def open_conversation(self, conversation_id: str, media: str, customer_id: int, channel_key: str,
                          queue: str, subject: str = "") -> None:
        with self.engine.begin() as connection:
            connection.execute(conversations.insert().values(
                id=conversation_id, media=media, customer_id=customer_id, channel_key=channel_key[:400],
                subject=subject[:400], queue=queue, status="open", opened_at=self.clock()))

    def find_open(self, media: str, channel_key: str) -> Conversation | None:
        query = (sa.select(conversations).where(conversations.c.media == media,
                                                conversations.c.channel_key == channel_key[:400],
                                                conversations.c.status == "open")
                 .order_by(conversations.c.opened_at.desc()))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else Conversation(*row)

    def conversation(self, conversation_id: str) -> Conversation:
        with self.engine.connect() as connection:
            row = connection.execute(sa.select(conversations).where(conversations.c.id == conversation_id)).first()
        if row is None:
            raise UnknownConversation(f"unknown conversation {conversation_id}")
        return Conversation(*row)

    def open_conversations(self) -> list[Conversation]:
        query = sa.select(conversations).where(conversations.c.status == "open").order_by(conversations.c.opened_at)
        with self.engine.connect() as connection:
            return [Conversation(*row) for row in connection.execute(query)]

    def assigned(self, conversation_id: str, agent_id: str | None) -> None:
        with self.engine.begin() as connection:
            connection.execute(conversations.update().where(conversations.c.id == conversation_id)
                               .values(agent_id=agent_id))

    def close(self, conversation_id: str, disposition: str) -> None:
        with self.engine.begin() as connection:
            done = connection.execute(conversations.update().where(
                conversations.c.id == conversation_id, conversations.c.status == "open")
                .values(status="closed", closed_at=self.clock(), disposition=disposition[:100]))
            if done.rowcount == 0:
                raise UnknownConversation(f"conversation {conversation_id} is not open")

    def conversation_by_message(self, media: str, external_ids: list[str]) -> Conversation | None:
        """The conversation holding any of these messages (an email reply names its thread)."""
        with self.engine.connect() as connection:
            return _by_message(connection, media, external_ids)

    # -- messages -------------------------------------------------------------------------------

    def add_message(self, conversation_id: str, media: str, direction: str, sender: str, body: str, *,
                    external_id: str | None = None, status: str = "received",
                    meta: dict[str, Any] | None = None) -> Message | None:
        """Store one message; None when a message with this `external_id` is already stored."""
        values = dict(conversation_id=conversation_id, media=media, direction=direction, sender=sender[:320],
                      body=body[:TEXT_CHARS], at=self.clock(), external_id=external_id[:400] if external_id else None,
                      status=status, error=None, meta=meta or {})
        try:
            with self.engine.begin() as connection:
                message_id = connection.execute(messages.insert().values(**values)).inserted_primary_key[0]
        except sa.exc.IntegrityError:
            return None
        return Message(message_id, **values)

    def has_message(self, media: str, external_id: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(sa.select(messages.c.id).where(
                messages.c.media == media, messages.c.external_id == external_id[:400])).first() is not None

    def message_status(self, message_id: int, status: str, error: str | None = None,
                       external_id: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "error": error[:400] if error else None}
        if external_id:
            values["external_id"] = external_id[:400]
        with self.engine.begin() as connection:
            connection.execute(messages.update().where(messages.c.id == message_id).values(**values))

    def status_by_external(self, media: str, external_id: str, status: str, error: str | None = None) -> bool:
        with self.engine.begin() as connection:
            done = connection.execute(messages.update().where(
                messages.c.media == media, messages.c.external_id == external_id[:400])
                .values(status=status, error=error[:400] if error else None))
        return done.rowcount > 0

    def mark_read(self, conversation_id: str, direction: str, upto: int) -> None:
        with self.engine.begin() as connection:
            connection.execute(messages.update().where(
                messages.c.conversation_id == conversation_id, messages.c.direction == direction,
                messages.c.id <= upto, messages.c.status.in_(("received", "sent", "delivered")))
                .values(status="read"))

    def messages(self, conversation_id: str) -> list[Message]:
        query = sa.select(messages).where(messages.c.conversation_id == conversation_id).order_by(messages.c.id)
        with self.engine.connect() as connection:
            return [Message(*row) for row in connection.execute(query)]

    # -- calls and the timeline ---------------------------------------------------------------

    def call_note(self, call_id: str, caller: str, flow: str, path: str, recordings: list[str]) -> None:
        """What the timeline shows of a call: its IVR path and recordings (the caller becomes a customer)."""
        customer_id = self.customer_for("phone", caller or "anonymous")
        values = dict(customer_id=customer_id, caller=caller[:200], at=self.clock(), flow=flow[:100],
                      path=path[:2000], recordings=list(recordings))
        with self.engine.begin() as connection:
            updated = connection.execute(call_notes.update().where(call_notes.c.call_id == call_id).values(**values))
            if updated.rowcount == 0:
                connection.execute(call_notes.insert().values(call_id=call_id, **values))

    def timeline(self, customer_id: int) -> list[dict[str, Any]]:
        """Everything of the customer, oldest first: calls (IVR path, queue, agent, recordings),
        chats, emails and SMS with their messages."""
        with self.engine.connect() as connection:
            customer_id = _resolve(connection, customer_id)
            phones = [v for (v,) in connection.execute(sa.select(identities.c.value).where(
                identities.c.customer_id == customer_id, identities.c.kind == "phone"))]
            notes = connection.execute(sa.select(call_notes).where(call_notes.c.customer_id == customer_id)).all()
            calls = connection.execute(sa.select(interactions).where(
                interactions.c.media == "voice", interactions.c.customer.in_(phones))).all() if phones else []
            convs = connection.execute(sa.select(conversations).where(
                conversations.c.customer_id == customer_id)).all()
            ids = [row.id for row in convs]
            msgs = connection.execute(sa.select(messages).where(messages.c.conversation_id.in_(ids))
                                      .order_by(messages.c.id)).all() if ids else []
        by_call = {row.id.split("~")[0]: row for row in calls}
        entries: list[dict[str, Any]] = []
        for note in notes:
            acd = by_call.pop(note.call_id, None)
            entries.append(_call_entry(note.call_id, note.at, note.caller, note.flow, note.path,
                                       list(note.recordings), acd))
        for call_id, acd in by_call.items():
            entries.append(_call_entry(call_id, acd.enqueued_at, acd.customer, "", "", [], acd))
        for row in convs:
            entries.append({"kind": row.media, "id": row.id, "at": row.opened_at, "subject": row.subject,
                            "queue": row.queue, "status": row.status, "agent": row.agent_id,
                            "disposition": row.disposition, "messages": [
                                {"id": m.id, "direction": m.direction, "sender": m.sender, "body": m.body,
                                 "at": m.at, "status": m.status, "error": m.error,
                                 "attachments": (m.meta or {}).get("attachments", [])}
                                for m in msgs if m.conversation_id == row.id]})
        return sorted(entries, key=lambda entry: entry["at"])

    def last_contact(self, kind: str, value: str) -> dict[str, Any] | None:
        """The customer's latest contact before now, of any media (None for a new customer)."""
        customer_id = self.find_customer(kind, value)
        if customer_id is None:
            return None
        entries = self.timeline(customer_id)
        return entries[-1] if entries else None


def normalized(kind: str, value: str) -> str:
    value = value.strip()[:320]
    return value.lower() if kind == "email" else value


def _resolve(connection: Connection, customer_id: int) -> int:
    """Follow merges to the customer that holds everything now."""
    seen = set()
    while customer_id not in seen:
        seen.add(customer_id)
        target = connection.execute(sa.select(customers.c.merged_into).where(customers.c.id == customer_id)).scalar()
        if target is None:
            return customer_id
        customer_id = target
    return customer_id


def _by_message(connection: Connection, media: str, external_ids: list[str]) -> Conversation | None:
    if not external_ids:
        return None
    query = (sa.select(conversations).join(messages, messages.c.conversation_id == conversations.c.id)
             .where(messages.c.media == media, messages.c.external_id.in_([i[:400] for i in external_ids]))
             .order_by(conversations.c.opened_at.desc()))
    row = connection.execute(query).first()
    return None if row is None else Conversation(*row)


def _call_entry(call_id: str, at: float, caller: str, flow: str, path: str, recordings: list[str], acd) -> dict:
    return {"kind": "voice", "id": call_id, "at": at, "caller": caller, "flow": flow, "path": path,
            "recordings": recordings, "queue": acd.queue if acd is not None else None,
            "agent": acd.agent_id if acd is not None else None,
            "outcome": acd.outcome if acd is not None else None}
