"""The chat page and the agent workspace in a real headless chromium: a visitor chats, an agent
accepts the offer, reads the customer's timeline, replies and closes."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as seen
from selenium.webdriver.support.ui import WebDriverWait

from channels_support import serving_channels
from ivr.testing.browser import Browser


@pytest.fixture(scope="module")
def serving(config, pbx, tmp_path_factory):
    with serving_channels(config, tmp_path_factory.mktemp("browser"), chat={}) as serving:
        yield serving


@pytest.fixture
def browsers():
    opened = []

    def open_one():
        browser = Browser()
        opened.append(browser)
        return browser.driver
    yield open_one
    for browser in opened:
        browser.close()


def text_in(driver, css: str, text: str, timeout: float = 10):
    WebDriverWait(driver, timeout).until(seen.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))


def test_given_a_visitor_on_the_chat_page_when_an_agent_works_it_in_the_workspace_then_both_see_it_through(
        serving, browsers):
    serving.login("agent1")
    agent, visitor = browsers(), browsers()
    control, chat = serving.config.control, serving.config.channels.chat
    agent.get(f"http://{control.host}:{control.port}/workspace#token={serving.workspace.token}&agent=agent1")
    text_in(agent, "#state", "state: available")
    assert "token" not in agent.current_url  # the page took the token out of the address bar
    visitor.get(f"http://{chat.host}:{chat.port}/")
    visitor.find_element(By.ID, "text").send_keys("My card was charged twice")
    visitor.find_element(By.ID, "send").click()
    text_in(visitor, "#status", "Waiting for an agent")
    text_in(agent, "#inbox", "My card was charged twice")
    agent.find_element(By.CSS_SELECTOR, ".item.offered button.accept").click()
    text_in(agent, "#timeline", "My card was charged twice")
    text_in(visitor, "#agent", "Amy One")
    text_in(visitor, ".msg.in .meta", "read")  # the agent has it on screen

    agent.find_element(By.ID, "reply").send_keys("Sorry about that, refunding now.")
    agent.find_element(By.ID, "send").click()
    text_in(visitor, "#log", "Sorry about that, refunding now.")
    text_in(agent, "#timeline", "Sorry about that, refunding now.")

    agent.find_element(By.ID, "disposition").send_keys("refunded")
    agent.find_element(By.ID, "close").click()
    text_in(visitor, "#status", "The agent closed this chat")
    text_in(agent, "#timeline", "Closed.")
    conversation = serving.thread.call(lambda: serving.hub.db(serving.hub.contacts.open_conversations))
    assert conversation == []
    closed = serving.row(next(iter(serving.service.store.ended()[-1:])).id)
    assert (closed.media, closed.outcome, closed.agent_id) == ("chat", "answered", "agent1")
