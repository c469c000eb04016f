"""Email into the ACD: an SMTP listener (aiosmtpd) on the engine's loop, replies through a relay.

A mail that starts a thread opens a conversation (an `email` interaction in the ACD); a mail whose
In-Reply-To or References names a message of an open conversation joins it. Replies go out
through `channels.email.relay` with our own Message-ID, In-Reply-To (the customer's last mail)
and References (the whole thread), so the customer's mail program threads them and the answer
to our reply finds its conversation again.

What is refused or dropped, each with one log line:
- mail larger than `max_bytes`: refused during the SMTP dialogue (552), nothing kept;
- automatic mail (Auto-Submitted other than "no", Precedence bulk/junk/list) and mail carrying
  one of our own Message-IDs (a reply of ours coming back: a loop): accepted (250) and dropped,
  so an autoresponder never starts a ping-pong;
- nothing automatic is ever answered: `auto_reply` (an acknowledgement of a new thread, marked
  Auto-Submitted: auto-replied) goes only to mail that passed the checks above;
- malformed MIME: kept as far as it can be read (the text part, else the raw text), never a crash;
- the same Message-ID twice (a retransmission): stored once. Mail without a Message-ID gets one
  from a hash of its bytes, so its retransmission is recognised too.

Attachments are written under `attachments_dir/<hash of the Message-ID>/`; the message keeps
their file name, type, size and path.
"""
from __future__ import annotations

import asyncio
import email
import email.policy
import email.utils
import hashlib
import re
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP

from ivr import log
from ivr.config import EmailChannelConfig
from ivr.health import failed

from .hub import AUTO_REPLY, Hub, Routing

MESSAGE_ID = re.compile(r"<[^<>\s]{1,400}>")
SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
SEND_TIMEOUT_S = 15.0
AUTOMATIC_PRECEDENCE = ("bulk", "junk", "list")


class EmailChannel:
    name = "email"

    def __init__(self, hub: Hub, config: EmailChannelConfig):
        self.hub, self.config = hub, config
        self.routing = Routing.of(config)
        self._server: asyncio.base_events.Server | None = None
        hub.senders["email"] = self._send

    async def start(self) -> None:
        channel = self

        class Smtp(SMTP):
            async def push(self, status: str) -> None:
                if status.startswith("552"):
                    log.warning("email.refused", reason="larger than channels.email.max_bytes",
                                max_bytes=channel.config.max_bytes, peer=str(self.session.peer if self.session else ""))
                await super().push(status)

        loop = asyncio.get_running_loop()
        try:
            self._server = await loop.create_server(
                lambda: Smtp(self, data_size_limit=self.config.max_bytes, hostname=self.config.domain,
                             enable_SMTPUTF8=True, timeout=60),
                self.config.host, self.config.port)
        except OSError as exc:
            log.error("email.unavailable", reason=f"cannot listen on {self.config.host}:{self.config.port}: "
                                                  f"{exc.strerror} (channels.email.port in the config)")
            return
        log.event("email.listening", host=self.config.host, port=self.config.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    # -- inbound (aiosmtpd's handler hook) ------------------------------------------------------

    async def handle_DATA(self, server, session, envelope) -> str:
        raw: bytes = envelope.content if isinstance(envelope.content, bytes) else envelope.content.encode()
        try:
            parsed = parse(raw, self.config.domain)
        except Exception as exc:  # noqa: BLE001 - whatever the bytes, the listener answers
            failed("email.unreadable", exc, peer=str(session.peer))
            return "554 this message could not be read"
        if parsed["dropped"]:
            log.warning("email.dropped", reason=parsed["dropped"], message_id=parsed["message_id"],
                        sender=parsed["sender"])
            return "250 OK"
        if parsed["defects"]:
            log.warning("email.malformed", message_id=parsed["message_id"], defects=parsed["defects"])
        if not parsed["sender"]:
            sender = envelope.mail_from or ""
            parsed["sender"] = email.utils.parseaddr(sender)[1].lower() or "unknown"
        try:
            attachments = await asyncio.to_thread(self._keep_attachments, parsed["message_id"],
                                                  parsed.pop("attachments"))
            got = await self.hub.inbound(
                "email", "email", parsed["sender"], parsed["body"], self.routing, channel_key=parsed["root"],
                subject=parsed["subject"], external_id=parsed["message_id"], thread_ids=tuple(parsed["thread"]),
                meta={"attachments": attachments, "subject": parsed["subject"]}, name=parsed["name"])
        except Exception as exc:  # noqa: BLE001 - the sending server keeps it and tries again
            failed("email.store_failed", exc, message_id=parsed["message_id"])
            return "451 cannot store this message now, try again later"
        log.event("email.received", conversation=got.conversation_id, message_id=parsed["message_id"],
                  new=got.new, duplicate=got.message is None)
        if got.new and self.config.auto_reply:
            self.hub.tasks.spawn(self.hub.send(got.conversation_id, AUTO_REPLY, self.config.auto_reply),
                                 f"auto-reply-{got.conversation_id}")
        return "250 OK"

    def _keep_attachments(self, message_id: str, found: list[tuple[str, str, bytes]]) -> list[dict[str, Any]]:
        if not found:
            return []
        folder = Path(self.config.attachments_dir) / hashlib.sha256(message_id.encode()).hexdigest()[:20]
        folder.mkdir(parents=True, exist_ok=True)
        kept = []
        for number, (filename, content_type, data) in enumerate(found, start=1):
            safe = SAFE_NAME.sub("_", filename)[-100:].lstrip(".") or "attachment"
            path = folder / f"{number}-{safe}"
            path.write_bytes(data)
            kept.append({"filename": filename[:200], "content_type": content_type, "bytes": len(data),
                         "path": str(path)})
        return kept

    # -- outbound -------------------------------------------------------------------------------

    async def _send(self, conversation, message):
        messages = await self.hub.db(self.hub.contacts.messages, conversation.id)
        inbound = [m for m in messages if m.direction == "in"]
        last = inbound[-1] if inbound else None
        reply = EmailMessage()
        message_id = email.utils.make_msgid(domain=self.config.domain)
        reply["Message-ID"] = message_id
        reply["From"] = self.config.address
        reply["To"] = last.sender if last else ""
        subject = conversation.subject or ""
        reply["Subject"] = subject if subject.lower().startswith("re:") else f"Re: {subject}".strip()
        reply["Date"] = email.utils.formatdate(localtime=True)
        thread = [m.external_id for m in messages if m.external_id and MESSAGE_ID.fullmatch(m.external_id)]
        if last and last.external_id and MESSAGE_ID.fullmatch(last.external_id):
            reply["In-Reply-To"] = last.external_id
        if thread:
            reply["References"] = " ".join(thread[-20:])
        # RFC 3834: our acknowledgement says it is automatic, so the other side's robots do not answer it
        reply["Auto-Submitted"] = "auto-replied" if message.sender == AUTO_REPLY else "no"
        reply.set_content(message.body)
        if not self.config.relay:
            return "failed", "no channels.email.relay configured", message_id
        if not last:
            return "failed", "no customer address in this conversation", message_id
        host, _, port = self.config.relay.rpartition(":")
        try:
            await asyncio.to_thread(_deliver, host.strip("[]"), int(port), reply)
        except (OSError, smtplib.SMTPException) as exc:
            return "failed", f"relay {self.config.relay}: {exc}"[:300], message_id
        return "sent", None, message_id


def _deliver(host: str, port: int, message: EmailMessage) -> None:
    with smtplib.SMTP(host, port, timeout=SEND_TIMEOUT_S) as relay:
        relay.send_message(message)


def parse(raw: bytes, our_domain: str) -> dict[str, Any]:
    """What the ACD needs of a mail: sender, subject, text, thread ids, attachments, and why to
    drop it (automatic, or a loop of ours), read leniently."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    defects = [type(defect).__name__ for defect in message.defects]

    def header(name: str) -> str:
        try:
            value = message.get(name)
            return str(value) if value is not None else ""
        except Exception as exc:  # noqa: BLE001 - a malformed header reads as empty
            defects.append(f"{name}:{type(exc).__name__}")
            return ""
    message_id = next(iter(MESSAGE_ID.findall(header("Message-ID"))), "") or \
        f"<sha256-{hashlib.sha256(raw).hexdigest()[:32]}@no-message-id>"
    thread = MESSAGE_ID.findall(header("References")) + MESSAGE_ID.findall(header("In-Reply-To"))
    name, sender = email.utils.parseaddr(header("From"))
    auto = header("Auto-Submitted").strip().lower()
    precedence = header("Precedence").strip().lower()
    ours = [i for i in [message_id, *thread] if i.lower().endswith(f"@{our_domain.lower()}>")]
    dropped = ""
    if auto and auto != "no":
        dropped = f"automatic mail (Auto-Submitted: {auto[:40]})"
    elif precedence in AUTOMATIC_PRECEDENCE:
        dropped = f"automatic mail (Precedence: {precedence})"
    elif message_id in ours:
        dropped = "our own message came back (mail loop)"
    body, attachments = _text_and_attachments(message, raw, defects)
    return {"message_id": message_id, "thread": thread, "root": (thread or [message_id])[0],
            "sender": sender.lower()[:320], "name": name[:200], "subject": header("Subject")[:400],
            "body": body, "attachments": attachments, "dropped": dropped, "defects": ",".join(defects)[:300]}


def _text_and_attachments(message, raw: bytes, defects: list[str]) -> tuple[str, list[tuple[str, str, bytes]]]:
    body = ""
    try:
        part = message.get_body(preferencelist=("plain", "html"))
        if part is not None:
            body = part.get_content()
    except Exception as exc:  # noqa: BLE001 - malformed MIME: fall back to the raw text below
        defects.append(f"body:{type(exc).__name__}")
    if not body.strip():
        _, _, after_headers = raw.partition(b"\r\n\r\n") if b"\r\n\r\n" in raw else raw.partition(b"\n\n")
        body = after_headers.decode("utf-8", "replace")
    attachments = []
    try:
        for part in message.iter_attachments():
            data = part.get_payload(decode=True) or b""
            attachments.append((part.get_filename() or "attachment", part.get_content_type(), data))
    except Exception as exc:  # noqa: BLE001 - attachments of a broken mail are skipped, its text is kept
        defects.append(f"attachments:{type(exc).__name__}")
    return body, attachments
