"""The ACD on real calls: SIPp callers queue through the local Asterisk, SIPp agent phones answer."""
from __future__ import annotations

import contextlib
import dataclasses
import socket
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from acd.model import AgentState
from acd.store import interactions
from ivr.live.flow_service import FlowService
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.scripted_caller import caller_scenario
from ivr.testing.serve_thread import ServeThread

HERE = Path(__file__).parent


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(check, timeout: float = 20.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


class Acd:
    """The controller with the ACD, and what the tests ask of it."""

    def __init__(self, config, thread: ServeThread):
        self.config, self.thread = config, thread
        self.service = thread.acd_service
        self.phones: list[AgentPhone] = []
        self.callers: list = []

    def restart(self) -> None:
        """Stop the controller and start a new one on the same store; calls stay on the PBX."""
        self.thread.stop()
        self.config = dataclasses.replace(self.config, control=dataclasses.replace(self.config.control,
                                                                                   port=free_tcp_port()))
        self.thread = ServeThread(self.config, FlowService.from_config(self.config), acd=True).start()
        self.service = self.thread.acd_service

    def on_loop(self, fn):
        async def run():
            return fn()
        return self.thread.call(run)

    def login(self, *agents: str) -> None:
        for agent in agents:
            self.on_loop(lambda agent=agent: self.service.agent_available(agent, login=True))

    def phone(self, agent: str, answer_after_ms: int | None = 500, busy: bool = False) -> AgentPhone:
        password = next(a.password for a in self.config.agents if a.id == agent)
        phone = AgentPhone(agent, password, target=f"127.0.0.1:{self.config.sip.port}",
                           answer_after_ms=answer_after_ms, busy=busy).start()
        self.phones.append(phone)
        return phone

    def call(self, caller: str, hang_up_after_ms: int, end: str = "hangup"):
        """A caller that hangs up after `hang_up_after_ms` (end="hangup") or waits that long, then
        for the controller to hang up (end="await-bye")."""
        started = sipp.start_calls(caller_scenario([f"wait {hang_up_after_ms}"], end=end),
                                   target=f"127.0.0.1:{self.config.sip.port}", caller=caller, timeout_s=60)
        self.callers.append(started)
        return started

    def rows(self) -> list:
        assert self.thread.call(self.service.journal.drain, 15), "the store writes did not land"
        with self.service.store.engine.connect() as connection:
            return list(connection.execute(sa.select(interactions).order_by(interactions.c.seq)))

    def row(self, customer: str):
        return next((row for row in self.rows() if row.customer == customer), None)

    def ended(self, customer: str, timeout: float = 30.0):
        return until(lambda: (row := self.row(customer)) is not None and row.status == "ended" and row,
                     timeout, f"the interaction of {customer} to end")

    def state_log(self, agent_id: str) -> list:
        assert self.thread.call(self.service.journal.drain, 15), "the store writes did not land"
        return self.service.store.state_log(agent_id)

    def agent(self, agent_id: str):
        return self.service.router.agents[agent_id]

    def finish_callers(self) -> None:
        for proc, stats in self.callers:
            result = sipp.finish(proc, stats, 90)
            assert result.returncode == 0, result.output[-1500:]


@contextlib.contextmanager
def serving_acd(config, pbx_state, store_dir: Path, *, acd_file: Path, flows_dir: Path, flow: str):
    """A controller with the ACD of `acd_file`, its number 100 running `flow`; afterwards every
    caller has finished and nothing is left on the PBX."""
    routed = dataclasses.replace(
        config,
        flows=dataclasses.replace(config.flows, dir=str(flows_dir), routes={"100": flow}),
        acd=dataclasses.replace(config.acd, file=str(acd_file), store_url=f"sqlite:///{store_dir}/acd.sqlite"),
        control=dataclasses.replace(config.control, port=free_tcp_port(), token_file=str(store_dir / "token")),
        metrics=dataclasses.replace(config.metrics, port=free_tcp_port()))
    thread = ServeThread(routed, FlowService.from_config(routed), acd=True).start()
    acd = Acd(routed, thread)
    try:
        yield acd
        acd.finish_callers()
        until(lambda: pbx_state() == ([], []), 15, "no channel and no bridge left on the PBX")
    finally:
        for phone in acd.phones:
            phone.stop()
        acd.thread.stop()  # the one running now: a test may have restarted the controller


@pytest.fixture
def acd(config, pbx, pbx_state, tmp_path):
    with serving_acd(config, pbx_state, tmp_path, acd_file=HERE / "acd-test.yaml", flows_dir=HERE / "acd_flows",
                     flow="acd-test") as serving:
        yield serving


def test_given_a_french_billing_caller_when_french_and_english_agents_are_ready_then_the_french_agent_answers(
        acd, pbx_state):
    acd.phone("agent1"), acd.phone("agent2")
    acd.login("agent1", "agent2")
    acd.call("3355501", hang_up_after_ms=5000)
    until(lambda: any(len(b["channels"]) == 2 for b in pbx_state()[1]), 15, "caller and agent bridged")
    assert acd.agent("agent1").state is AgentState.BUSY
    assert acd.agent("agent2").state is AgentState.AVAILABLE
    row = acd.ended("3355501")
    assert (row.outcome, row.agent_id) == ("answered", "agent1")


def test_given_two_waiting_callers_when_an_agent_frees_up_then_the_higher_priority_one_is_served_first(acd):
    acd.phone("agent2")
    acd.login("agent2")
    acd.on_loop(lambda: acd.service.agent_unavailable("agent2", AgentState.PAUSED, "break"))
    acd.call("5550100", hang_up_after_ms=14000)
    until(lambda: acd.row("5550100"), 15, "the first caller queued")
    acd.call("9955501", hang_up_after_ms=7000)
    until(lambda: acd.row("9955501"), 15, "the urgent caller queued")
    acd.on_loop(lambda: acd.service.agent_available("agent2"))
    urgent, plain = acd.ended("9955501"), acd.ended("5550100")
    assert urgent.outcome == "answered" and urgent.agent_id == "agent2"
    assert plain.answered_at is None or urgent.answered_at < plain.answered_at


def test_given_only_a_less_skilled_agent_when_the_step_time_passes_then_the_requirement_relaxes(acd):
    acd.phone("agent3")
    acd.login("agent3")
    acd.call("1255501", hang_up_after_ms=7000)
    row = acd.ended("1255501")
    assert (row.outcome, row.agent_id) == ("answered", "agent3")
    assert row.offered_at - row.enqueued_at >= 3.0


def test_given_an_agent_who_does_not_answer_then_the_next_agent_gets_the_call_and_the_first_is_paused(acd):
    acd.phone("agent2", answer_after_ms=None)
    acd.phone("agent3")
    acd.login("agent2", "agent3")
    acd.call("5550101", hang_up_after_ms=12000)
    row = acd.ended("5550101", timeout=40)
    assert (row.outcome, row.agent_id) == ("answered", "agent3")
    agent2 = acd.agent("agent2")
    assert (agent2.state, agent2.pause_reason) == (AgentState.PAUSED, "no-answer")


def test_given_a_ringing_agent_when_the_caller_hangs_up_then_the_agent_is_freed_and_nothing_is_left(
        acd, pbx_state):
    acd.phone("agent2", answer_after_ms=None)
    acd.login("agent2")
    acd.call("5550102", hang_up_after_ms=2500)
    until(lambda: acd.agent("agent2").state is AgentState.RINGING, 10, "agent2 ringing")
    row = acd.ended("5550102")
    assert row.outcome == "abandoned"
    until(lambda: acd.agent("agent2").state is AgentState.AVAILABLE, 5, "agent2 available again")
    until(lambda: pbx_state() == ([], []), 10, "no channel and no bridge left")


def test_given_an_answered_call_when_it_ends_then_the_agent_wraps_up_before_the_next_call(acd):
    acd.phone("agent2")
    acd.login("agent2")
    acd.call("5550103", hang_up_after_ms=3000)
    acd.ended("5550103")
    assert acd.agent("agent2").state is AgentState.WRAP_UP
    acd.call("5550104", hang_up_after_ms=6000)
    second = acd.ended("5550104")
    first = acd.row("5550103")
    assert second.agent_id == "agent2" and second.offered_at - first.ended_at >= 3.0
    log = acd.state_log("agent2")
    assert [c.to_state for c in log if c.at >= first.ended_at - 0.5][:2] == [AgentState.WRAP_UP, AgentState.AVAILABLE]


def test_given_a_bridged_call_and_waiting_callers_when_the_controller_restarts_then_states_and_places_hold(
        acd, pbx_state):
    acd.phone("agent2")
    acd.login("agent2")
    acd.call("5550110", hang_up_after_ms=14000)
    until(lambda: any(len(b["channels"]) == 2 for b in pbx_state()[1]), 15, "the first caller bridged")
    acd.call("5550111", hang_up_after_ms=30000)
    until(lambda: acd.row("5550111"), 15, "the second caller queued")
    acd.call("5550112", hang_up_after_ms=30000)
    until(lambda: acd.row("5550112"), 15, "the third caller queued")
    second, third = acd.row("5550111").id, acd.row("5550112").id
    restarted_at = time.time()

    acd.restart()
    assert acd.agent("agent2").state is AgentState.BUSY  # still on the call that outlived the restart
    assert [len(b["channels"]) for b in pbx_state()[1]] == [2]  # and still talking
    until(lambda: acd.on_loop(lambda: len(acd.service.router.waiting())) == 2, 10, "both callers back in the queue")
    assert acd.on_loop(lambda: [acd.service.router.position(i) for i in (second, third)]) == [1, 2]

    first = acd.ended("5550110")
    assert (first.outcome, first.agent_id) == ("answered", "agent2") and first.ended_at > restarted_at
    row = until(lambda: (r := acd.row("5550111")).answered_at and r, 20, "the second caller answered")
    assert row.agent_id == "agent2" and row.offered_at - first.ended_at >= 3.0  # after its wrap-up
    assert acd.ended("5550112", timeout=40).outcome == "abandoned"
    since = [c.to_state for c in acd.state_log("agent2") if c.at >= restarted_at]
    assert since[:3] == [AgentState.WRAP_UP, AgentState.AVAILABLE, AgentState.RINGING]


@pytest.mark.parametrize("phone, reason", [("unregistered", "unreachable"), ("busy", "phone-busy")])
def test_given_an_agent_whose_phone_cannot_take_the_call_then_the_call_goes_on_at_once_and_the_agent_is_paused(
        acd, phone, reason):
    if phone == "busy":
        acd.phone("agent2", busy=True)
    acd.phone("agent3")
    acd.login("agent2", "agent3")  # best-skill offers agent2 first
    acd.call("5550113", hang_up_after_ms=6000)
    row = acd.ended("5550113")
    assert (row.outcome, row.agent_id) == ("answered", "agent3")
    assert row.offered_at - row.enqueued_at < 2.0  # no ring timeout waited out
    agent2 = acd.agent("agent2")
    assert (agent2.state, agent2.pause_reason) == (AgentState.PAUSED, reason)


def test_given_a_logged_out_agent_when_it_dials_star_11_then_it_is_logged_in_and_receives_the_next_call(acd):
    phone = acd.phone("agent1")
    assert acd.agent("agent1").state is AgentState.LOGGED_OUT
    phone.dial("*11")  # from agent1's own endpoint; the controller confirms and hangs up
    until(lambda: acd.agent("agent1").state is AgentState.AVAILABLE, 10, "agent1 logged in")
    log = acd.state_log("agent1")
    assert [(c.from_state, c.to_state) for c in log] == [(AgentState.LOGGED_OUT, AgentState.AVAILABLE)]
    acd.call("3355502", hang_up_after_ms=5000)
    row = acd.ended("3355502")
    assert (row.outcome, row.agent_id) == ("answered", "agent1")
