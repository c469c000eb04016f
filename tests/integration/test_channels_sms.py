"""SMS into the ACD: real HTTP to the signed webhook, replies to a local HTTP gateway."""
from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from channels_support import serving_channels, until
from ivr.channels.sms import signed_headers
from ivr.testing.channel_config import free_port

SECRET = "test-sms-secret"


class Gateway(BaseHTTPRequestHandler):
    """A local SMS gateway: keeps what it is posted, answers with an id (or 503 when told to)."""

    posted: list = []
    failing = False

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Gateway.posted.append((dict(self.headers), json.loads(body)))
        status, answer = (503, b'{"error": "down"}') if Gateway.failing else (200, b'{"id": "SM-out-%d"}' % len(Gateway.posted))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def gateway():
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/send"
    server.shutdown()


@pytest.fixture(scope="module")
def serving(config, pbx, tmp_path_factory, gateway):
    with serving_channels(config, tmp_path_factory.mktemp("sms"), sms={
            "secret": SECRET, "gateway_url": gateway, "number": "+15550100"}) as serving:
        yield serving


@pytest.fixture
def acd(serving):
    yield serving
    serving.logout_all()


def post(serving, path: str, fields: dict, *, secret: str = SECRET, timestamp: float | None = None,
         headers: dict | None = None) -> tuple[int, dict]:
    sms = serving.config.channels.sms
    body = urllib.parse.urlencode(fields).encode()
    sent = headers if headers is not None else signed_headers(secret, body, timestamp)
    request = urllib.request.Request(f"http://{sms.host}:{sms.port}{path}", data=body, method="POST", headers={
        "Content-Type": "application/x-www-form-urlencoded", **sent})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def messages(serving, conversation: str):
    return serving.thread.call(lambda: serving.hub.db(serving.hub.contacts.messages, conversation))


def test_given_a_webhook_when_its_signature_is_bad_then_403_and_when_good_then_an_interaction(acd):
    acd.login("agent1")
    fields = {"MessageSid": "SM-1", "From": "+15551230001", "To": "+15550100", "Body": "Where is my parcel?"}
    assert post(acd, "/sms", fields, secret="wrong-secret")[0] == 403
    assert post(acd, "/sms", fields, headers={})[0] == 403
    status, answer = post(acd, "/sms", fields)
    assert status == 200
    offer = acd.workspace.wait_offer("agent1", "sms")
    assert offer["conversation"] == answer["conversation"] and offer["customer"] == "phone:+15551230001"
    assert offer["last"]["body"] == "Where is my parcel?"


def test_given_a_webhook_when_it_is_replayed_then_it_is_refused_and_stored_once(acd):
    fields = {"MessageSid": "SM-2", "From": "+15551230002", "Body": "hello"}
    body = urllib.parse.urlencode(fields).encode()
    headers = signed_headers(SECRET, body)
    status, answer = post(acd, "/sms", fields, headers=headers)
    assert status == 200
    assert post(acd, "/sms", fields, headers=headers)[0] == 409  # the same request again
    assert post(acd, "/sms", fields)[0] == 409  # re-signed, same MessageSid
    assert post(acd, "/sms", {**fields, "MessageSid": "SM-3"}, timestamp=time.time() - 3600)[0] == 403  # stale
    assert [m.body for m in messages(acd, answer["conversation"])] == ["hello"]


def test_given_an_accepted_sms_when_the_agent_replies_then_the_gateway_gets_it_and_failures_are_shown(acd):
    acd.login("agent1")
    status, answer = post(acd, "/sms", {"MessageSid": "SM-4", "From": "+15551230004", "Body": "Is it open today?"})
    conversation = answer["conversation"]
    acd.workspace.wait_offer("agent1", "sms", conversation=conversation)
    acd.workspace.act("agent1", conversation, "accept")
    sent = acd.workspace.act("agent1", conversation, "reply", {"text": "Yes, until 6 pm."})["message"]
    assert sent["status"] == "sent"
    headers, posted = Gateway.posted[-1]
    assert posted == {"from": "+15550100", "to": "+15551230004", "body": "Yes, until 6 pm."}
    assert headers["X-Ivr-Signature"].startswith("sha256=")
    # the gateway later reports it undelivered
    sid = f"SM-out-{len(Gateway.posted)}"
    assert post(acd, "/sms/status", {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003"})[0] == 200
    Gateway.failing = True
    try:
        failed = acd.workspace.act("agent1", conversation, "reply", {"text": "Anything else?"})["message"]
    finally:
        Gateway.failing = False
    assert failed["status"] == "failed" and "503" in failed["error"]
    shown = acd.workspace.ok("GET", f"/conversations/{conversation}")["messages"]
    assert [(m["body"], m["status"]) for m in shown] == [
        ("Is it open today?", "read"), ("Yes, until 6 pm.", "failed"), ("Anything else?", "failed")]
    assert shown[1]["error"] == "gateway: undelivered 30003"
