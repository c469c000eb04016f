"""SMS into the ACD: a signed webhook for inbound messages and delivery reports, an HTTP gateway out.

Inbound, as SMS gateways post it (form-encoded, Twilio-style field names):

    POST /sms          MessageSid=<gateway id>&From=+15551234&To=+15550100&Body=text
    POST /sms/status   MessageSid=<id of our reply>&MessageStatus=delivered|failed|undelivered&ErrorCode=...

Each request carries `X-Ivr-Timestamp: <UNIX seconds>` and
`X-Ivr-Signature: sha256=<hex HMAC-SHA256(channels.sms.secret, timestamp + "." + raw body)>`.
Refused, each with one log line: a missing or wrong signature (403), a timestamp further than
`max_age_s` from now (403: an old request replayed), a signature already used, or a MessageSid
already stored (409: replayed; nothing stored twice). Bodies over 16 KiB get 413.

Outbound, a reply is posted to `gateway_url` as JSON {"from", "to", "body"}, signed the same way;
a 2xx answer with {"id": ...} marks it sent (the id matches later delivery reports), anything
else marks it failed with the reason, shown in the workspace.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import parse_qsl

import aiohttp
from aiohttp import web

from ivr import log
from ivr.config import SmsChannelConfig

from .hub import Hub, Routing
from .listen import Listener

MAX_BODY = 16 * 1024
MAX_TEXT = 1600  # ten concatenated SMS
SEND_TIMEOUT_S = 10.0
FAILED_STATUSES = ("failed", "undelivered")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signed_headers(secret: str, body: bytes, timestamp: float | None = None) -> dict[str, str]:
    stamp = str(int(time.time() if timestamp is None else timestamp))
    return {"X-Ivr-Timestamp": stamp, "X-Ivr-Signature": sign(secret, stamp, body)}


class SmsChannel(Listener):
    name = "sms"

    def __init__(self, hub: Hub, config: SmsChannelConfig):
        super().__init__(config.host, config.port)
        self.hub, self.config = hub, config
        self.routing = Routing.of(config)
        self._used: dict[str, float] = {}  # signature -> when it stops being acceptable anyway
        self._http: aiohttp.ClientSession | None = None
        hub.senders["sms"] = self._send

    def app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.add_routes([web.post("/sms", self._inbound), web.post("/sms/status", self._status)])
        return app

    async def stop(self) -> None:
        await super().stop()
        if self._http is not None:
            await self._http.close()

    async def _verified(self, request: web.Request) -> dict[str, str]:
        """The form fields of a correctly signed, fresh, first-seen request; else an HTTP error."""
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            self._refuse("body too large")
            raise
        stamp, signature = request.headers.get("X-Ivr-Timestamp", ""), request.headers.get("X-Ivr-Signature", "")
        if not stamp.isdigit() or not hmac.compare_digest(signature.encode(),
                                                          sign(self.config.secret, stamp, body).encode()):
            raise self._refuse("missing or wrong signature", web.HTTPForbidden)
        now = time.time()
        if abs(now - int(stamp)) > self.config.max_age_s:
            raise self._refuse(f"signed {int(now - int(stamp))} s ago (replayed?)", web.HTTPForbidden)
        self._used = {sig: until for sig, until in self._used.items() if until > now}
        if signature in self._used:
            raise self._refuse("signature already used (replayed)", web.HTTPConflict)
        self._used[signature] = int(stamp) + self.config.max_age_s + 1
        try:
            return dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError:
            raise self._refuse("body is not UTF-8", web.HTTPBadRequest) from None

    def _refuse(self, reason: str, error=None):
        log.warning("sms.refused", reason=reason)
        if error is not None:
            return error(text=json.dumps({"error": reason}), content_type="application/json")
        return None

    async def _inbound(self, request: web.Request) -> web.Response:
        fields = await self._verified(request)
        sid, sender, text = fields.get("MessageSid", ""), fields.get("From", ""), fields.get("Body", "")
        if not sid or not sender or len(sid) > 200 or len(sender) > 40:
            raise self._refuse("MessageSid and From are required", web.HTTPBadRequest)
        if len(text) > MAX_TEXT:
            raise self._refuse(f"Body over {MAX_TEXT} characters", web.HTTPBadRequest)
        got = await self.hub.inbound("sms", "phone", sender, text, self.routing, channel_key=sender,
                                     external_id=f"in:{sid}")
        if got.message is None:
            raise self._refuse(f"MessageSid {sid[:60]} already received (replayed)", web.HTTPConflict)
        log.event("sms.received", conversation=got.conversation_id, sid=sid[:60], new=got.new)
        return web.json_response({"conversation": got.conversation_id})

    async def _status(self, request: web.Request) -> web.Response:
        fields = await self._verified(request)
        sid, status = fields.get("MessageSid", ""), fields.get("MessageStatus", "").lower()
        if not sid or status not in ("sent", "delivered", *FAILED_STATUSES):
            raise self._refuse("MessageSid and MessageStatus (sent|delivered|failed|undelivered) are required",
                               web.HTTPBadRequest)
        error = f"gateway: {status} {fields.get('ErrorCode', '')}".strip() if status in FAILED_STATUSES else None
        found = await self.hub.db(self.hub.contacts.status_by_external, "sms", f"out:{sid}",
                                  "failed" if error else status, error)
        if not found:
            raise web.HTTPNotFound(text=json.dumps({"error": f"no message {sid[:60]}"}), content_type="application/json")
        log.event("sms.status", sid=sid[:60], status=status)
        return web.json_response({"status": status})

    async def _send(self, conversation, message):
        if not self.config.gateway_url:
            return "failed", "no channels.sms.gateway_url configured", None
        body = json.dumps({"from": self.config.number, "to": conversation.channel_key, "body": message.body}).encode()
        if self._http is None:
            self._http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=SEND_TIMEOUT_S))
        try:
            async with self._http.post(self.config.gateway_url, data=body, headers={
                    "Content-Type": "application/json", **signed_headers(self.config.secret, body)}) as response:
                answer = await response.text()
                if response.status // 100 != 2:
                    return "failed", f"gateway answered {response.status}: {answer[:120]}", None
                sid = str(json.loads(answer).get("id", ""))[:200]
        except (aiohttp.ClientError, TimeoutError, ValueError, AttributeError) as exc:
            return "failed", f"gateway {self.config.gateway_url}: {type(exc).__name__} {exc}"[:300], None
        return "sent", None, f"out:{sid}" if sid else None
