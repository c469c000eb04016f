"""Email into the ACD: smtplib to the real SMTP listener, replies to a local SMTP sink (aiosmtpd)."""
from __future__ import annotations

import smtplib
import threading
from email.message import EmailMessage
from email.parser import BytesParser
from email import policy

import pytest
from aiosmtpd.controller import Controller

from channels_support import serving_channels, until
from ivr.testing.channel_config import free_port


class Sink:
    """The relay: keeps every mail it is handed."""

    def __init__(self):
        self.mails: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.mails.append(BytesParser(policy=policy.default).parsebytes(envelope.content))
        return "250 OK"


@pytest.fixture(scope="module")
def sink():
    handler = Sink()
    relay = Controller(handler, hostname="127.0.0.1", port=free_port())
    relay.start()
    yield handler, relay.port
    relay.stop()


@pytest.fixture(scope="module")
def serving(config, pbx, tmp_path_factory, sink):
    folder = tmp_path_factory.mktemp("email")
    with serving_channels(config, folder, email={"relay": f"127.0.0.1:{sink[1]}", "skills": {"billing": 2},
                                                 "max_bytes": 1_000_000, "auto_reply": "",
                                                 "attachments_dir": str(folder / "attachments")}) as serving:
        yield serving


@pytest.fixture
def acd(serving):
    yield serving
    serving.logout_all()


def send(serving, mail: EmailMessage | bytes, sender: str = "carol@example.com") -> None:
    email = serving.config.channels.email
    with smtplib.SMTP(email.host, email.port, timeout=30) as smtp:
        if isinstance(mail, bytes):
            smtp.sendmail(sender, ["support@localhost"], mail)
        else:
            smtp.send_message(mail)


def mail(subject: str, body: str, message_id: str, **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = "Carol <carol@example.com>", "support@localhost"
    message["Subject"], message["Message-ID"] = subject, message_id
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message


def messages(serving, conversation: str):
    return serving.thread.call(lambda: serving.hub.db(serving.hub.contacts.messages, conversation))


def test_given_a_new_mail_when_it_arrives_then_the_skilled_agent_gets_it_and_the_reply_is_threaded(acd, sink):
    acd.login("agent2", "agent1")  # agent2 has billing 1 < 2: only agent1 may take it
    first = mail("Invoice 42", "The total is wrong.", "<first-42@example.com>")
    first.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf")
    send(acd, first)
    offer = acd.workspace.wait_offer("agent1", "email")
    assert offer["subject"] == "Invoice 42" and offer["customer"] == "email:carol@example.com"
    assert not any(w["media"] == "email" for w in acd.workspace.inbox("agent2")["work"])
    conversation = offer["conversation"]
    acd.workspace.act("agent1", conversation, "accept")
    kept = messages(acd, conversation)[0].meta["attachments"][0]
    assert (kept["filename"], kept["bytes"]) == ("invoice.pdf", len(b"%PDF-1.4 fake"))
    assert open(kept["path"], "rb").read() == b"%PDF-1.4 fake"

    sent = acd.workspace.act("agent1", conversation, "reply", {"text": "Corrected, sorry."})["message"]
    assert sent["status"] == "sent"
    handler, _ = sink
    reply = until(lambda: handler.mails and handler.mails[-1], 10, "the reply at the relay")
    assert reply["To"] == "carol@example.com" and reply["Subject"] == "Re: Invoice 42"
    assert reply["In-Reply-To"] == "<first-42@example.com>"
    assert "<first-42@example.com>" in reply["References"]
    assert "Corrected, sorry." in reply.get_body().get_content()

    # the customer answers our reply: it joins the same conversation, no new interaction
    send(acd, mail("Re: Invoice 42", "Thanks!", "<second-42@example.com>", In_Reply_To=reply["Message-ID"],
                   References=f"<first-42@example.com> {reply['Message-ID']}"))
    until(lambda: len(messages(acd, conversation)) == 3, 10, "the answer in the conversation")
    assert [m.direction for m in messages(acd, conversation)] == ["in", "out", "in"]
    assert len(acd.service.desk.items) == 1
    acd.workspace.act("agent1", conversation, "close", {"disposition": "corrected"})
    assert acd.row(conversation).outcome == "answered"


def test_given_bad_mail_when_it_arrives_then_each_is_refused_or_dropped_and_nothing_is_duplicated(acd, caplog):
    acd.login("agent1")
    # a 30 MB mail: refused in the SMTP dialogue
    with pytest.raises((smtplib.SMTPDataError, smtplib.SMTPSenderRefused, smtplib.SMTPServerDisconnected)) as big:
        send(acd, mail("huge", "x" * (30 * 1024 * 1024), "<huge@example.com>"))
    assert getattr(big.value, "smtp_code", 552) == 552
    # automatic replies and our own Message-IDs coming back are dropped
    send(acd, mail("Out of office", "I am away.", "<ooo@example.com>", Auto_Submitted="auto-replied"))
    send(acd, mail("Re: x", "loop", "<abc@ivr.localhost>"))
    # malformed MIME: a multipart without its closing boundary and a broken header; sent twice
    broken = (b"From: dave@example.com\r\nTo: support@localhost\r\nSubject: =?utf-8?q?broken=\r\n"
              b"Message-ID: <broken-1@example.com>\r\nMIME-Version: 1.0\r\n"
              b'Content-Type: multipart/mixed; boundary="XX"\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\n'
              b"my order never came\r\n--XX\r\nContent-Type: application/octet-stream\r\n"
              b"Content-Transfer-Encoding: base64\r\n\r\n!!!notbase64")
    send(acd, broken, "dave@example.com")
    send(acd, broken, "dave@example.com")
    offer = acd.workspace.wait_offer("agent1", "email")
    stored = messages(acd, offer["conversation"])
    assert len(stored) == 1 and "my order never came" in stored[0].body
    all_conversations = acd.thread.call(lambda: acd.hub.db(acd.hub.contacts.open_conversations))
    assert [c.id for c in all_conversations] == [offer["conversation"]]
    events = [r.getMessage() for r in caplog.records]
    assert {"email.refused", "email.dropped", "email.malformed"} <= set(events)
    acd.workspace.act("agent1", offer["conversation"], "accept")


def test_given_an_auto_reply_text_when_a_thread_starts_then_it_is_acknowledged_once_and_marked_automatic(
        acd, sink):
    handler, _ = sink
    acd.on_loop(lambda: setattr(acd.config.channels.email, "auto_reply", "We got your mail."))
    try:
        before = len(handler.mails)
        send(acd, mail("Refund", "Please refund order 7.", "<refund-7@example.com>"))
        ack = until(lambda: len(handler.mails) > before and handler.mails[-1], 10, "the acknowledgement")
        assert ack["Auto-Submitted"] == "auto-replied" and ack["In-Reply-To"] == "<refund-7@example.com>"
        assert "We got your mail." in ack.get_body().get_content()
        # the customer's autoresponder answers it: dropped, and never acknowledged again
        send(acd, mail("Re: Refund", "I am on holiday.", "<ooo-7@example.com>", Auto_Submitted="auto-replied",
                       In_Reply_To=ack["Message-ID"]))
        send(acd, mail("Re: Refund", "Also order 8.", "<refund-8@example.com>", In_Reply_To=ack["Message-ID"]))
        conversation = until(lambda: next(iter(acd.service.desk.items), None), 10, "the conversation in the ACD")
        until(lambda: len(messages(acd, conversation)) == 3, 10, "the customer's second mail in the thread")
        assert [(m.direction, m.sender) for m in messages(acd, conversation)] == [
            ("in", "carol@example.com"), ("out", "auto-reply"), ("in", "carol@example.com")]
        assert len(handler.mails) == before + 1
    finally:
        acd.on_loop(lambda: setattr(acd.config.channels.email, "auto_reply", ""))
