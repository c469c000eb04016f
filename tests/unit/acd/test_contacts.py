"""Customers, conversations and messages (`acd.contacts`) on SQLite and PostgreSQL."""
from __future__ import annotations

import pytest

from acd.contacts import Contacts
from acd.errors import ContactError, UnknownConversation, UnknownCustomer
from acd.store import Store


@pytest.fixture
def contacts(store_url):
    store = Store(store_url)
    clock = iter(range(1000, 100000))
    yield Contacts(store.engine, clock=lambda: float(next(clock)))
    store.close()


def test_given_an_identity_when_it_comes_back_then_it_is_the_same_customer_and_emails_ignore_case(contacts):
    first = contacts.customer_for("email", "Carol@Example.com", "Carol")
    assert contacts.customer_for("email", "carol@example.com") == first
    assert contacts.customer_for("phone", "+15551234") != first
    with pytest.raises(ContactError, match="identity kind 'fax'"):
        contacts.customer_for("fax", "123")


def test_given_a_message_id_when_it_is_stored_twice_then_it_is_kept_once(contacts):
    customer = contacts.customer_for("email", "a@example.com")
    contacts.open_conversation("email-1", "email", customer, "<root@x>", "billing", "Hello")
    assert contacts.add_message("email-1", "email", "in", "a@example.com", "hi", external_id="<root@x>")
    assert contacts.add_message("email-1", "email", "in", "a@example.com", "hi", external_id="<root@x>") is None
    assert [m.body for m in contacts.messages("email-1")] == ["hi"]
    assert contacts.conversation_by_message("email", ["<other@x>", "<root@x>"]).id == "email-1"


def test_given_two_customers_when_merged_then_identities_conversations_and_calls_follow(contacts):
    chat = contacts.customer_for("chat", "visitor-abcdefghijklmnop")
    contacts.open_conversation("chat-1", "chat", chat, "visitor-abcdefghijklmnop", "billing")
    contacts.add_message("chat-1", "chat", "in", "visitor", "can I pay by card?")
    contacts.call_note("call-1", "+15550001", "support-line", "greet>menu>billing", ["/r/qa-1.wav"])
    phone = contacts.find_customer("phone", "+15550001")
    assert contacts.merge(chat, phone) == phone
    assert contacts.find_customer("chat", "visitor-abcdefghijklmnop") == phone
    assert contacts.customer(chat)["id"] == phone  # an old id still finds the customer
    timeline = contacts.timeline(chat)
    assert [entry["kind"] for entry in timeline] == ["chat", "voice"]
    assert timeline[1]["path"] == "greet>menu>billing" and timeline[1]["recordings"] == ["/r/qa-1.wav"]
    assert contacts.last_contact("phone", "+15550001")["kind"] == "voice"
    with pytest.raises(ContactError, match="already customer"):
        contacts.merge(chat, phone)
    with pytest.raises(UnknownCustomer):
        contacts.merge(phone, 424242)


def test_given_a_conversation_when_closed_twice_then_the_second_is_refused(contacts):
    customer = contacts.customer_for("phone", "+1555")
    contacts.open_conversation("sms-1", "sms", customer, "+1555", "billing")
    contacts.close("sms-1", "resolved")
    assert contacts.find_open("sms", "+1555") is None
    with pytest.raises(UnknownConversation):
        contacts.close("sms-1", "resolved")
    assert contacts.conversation("sms-1").disposition == "resolved"
