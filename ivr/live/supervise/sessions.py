"""Supervision sessions: `ivr sup listen|whisper|barge TARGET`, `ivr sup mode`, `ivr sup leave`, `ivr sup list`.

A session calls the supervisor's phone (`--via`, else the supervisor's endpoint) into our Stasis
app with the arguments `supervise,<session id>`; its channel enters the app only when answered,
and then joins the call in the asked mode (`legs.py`). The session ends, and only the
supervisor's side with it, when the supervisor hangs up or leaves, or when the call it watches
ends. Each step lands in the store (`acd.qa_store.sup_sessions`): who, whom, which call, the modes
with their times, how it ended.
"""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from acd import qa_store
from ivr import log
from ivr.config import SupervisorConfig
from ivr.config_check import NAME
from ivr.errors import (AriError, NotYourQueue, SupervisionRefused, UnknownSession, UnknownSupervisedCall,
                        UnknownSupervisor)
from ivr.live.call import Call
from ivr.live.states import SUPERVISION_TRANSITIONS, SupervisionState, WaiterState, move
from ivr.pbx.ari import Event

from .legs import BRIDGE_PREFIX, SNOOP_PREFIX, Legs, Mode

if TYPE_CHECKING:
    from ivr.live.acd.handoff import Waiter
    from ivr.live.acd.service import AcdService

SUPERVISE_ARG = "supervise"
CHANNEL_PREFIX = "sup-call-"
RING_TIMEOUT_S = 30


@dataclass(eq=False)
class Session:
    id: str
    supervisor: str
    via: str
    mode: Mode
    waiter: Waiter
    requested_at: float
    state: SupervisionState = SupervisionState.RINGING
    legs: Legs | None = None
    switching: asyncio.Lock = field(default_factory=asyncio.Lock)

    @property
    def channel_id(self) -> str:
        return f"{CHANNEL_PREFIX}{self.id}"

    @property
    def agent_id(self) -> str:
        return self.waiter.offer.agent_id if self.waiter.offer else ""

    def move(self, to: SupervisionState) -> None:
        self.state = move(self.state, to, SUPERVISION_TRANSITIONS, f"supervision {self.id}")

    def view(self) -> dict[str, Any]:
        return {"session": self.id, "supervisor": self.supervisor, "via": self.via, "mode": self.mode.value,
                "state": self.state.value, "agent": self.agent_id, "call": self.waiter.interaction.id,
                "queue": self.waiter.interaction.queue, "requested_at": self.requested_at}


class Supervision:
    def __init__(self, service: AcdService):
        self.service = service
        self.config = service.config
        self.ari = service.controller.ari
        self.supervisors: dict[str, SupervisorConfig] = {s.id: s for s in self.config.supervisors}
        self.sessions: dict[str, Session] = {}
        qa_store.ensure_tables(service.store)
        controller = service.controller
        controller.handlers[SUPERVISE_ARG] = self.answered
        controller.passive_prefixes.append(SNOOP_PREFIX)
        controller.leftover_prefixes += [SNOOP_PREFIX, BRIDGE_PREFIX]
        controller.listeners.append(self.on_event)
        controller.resumers.append(self._orphan)
        unknown = sorted({q for s in self.supervisors.values() for q in s.queues} - set(service.router.queues))
        if unknown:
            log.warning("sup.unknown_queues", queues=",".join(unknown), note="supervisors name queues acd.yaml lacks")

    # -- commands (control API) --------------------------------------------------------------

    async def start(self, supervisor_id: str, target: str, mode: Mode, via: str | None) -> Session:
        supervisor = self.supervisors.get(supervisor_id)
        if supervisor is None:
            raise UnknownSupervisor(f"unknown supervisor {supervisor_id!r} (supervisors in the config: "
                                    f"{', '.join(self.supervisors) or 'none'})")
        if via is not None and not NAME.fullmatch(via):
            raise SupervisionRefused(f"--via {via!r} is not an endpoint name (letters, digits, '.', '_' or '-')")
        waiter = self._bridged(target)
        if waiter.interaction.queue not in supervisor.queues:
            raise NotYourQueue(f"supervisor {supervisor_id} may not supervise queue {waiter.interaction.queue} "
                               f"(their queues: {', '.join(supervisor.queues) or 'none'})")
        session = Session(uuid.uuid4().hex[:12], supervisor_id, via or supervisor.endpoint, mode, waiter,
                          self.service.clock())
        self.sessions[session.id] = session
        self._journal(session, "sup-requested", qa_store.session_requested, session.supervisor, session.via,
                      session.agent_id, waiter.interaction.id, waiter.interaction.queue, mode.value,
                      session.requested_at)
        log.event("sup.requested", session=session.id, supervisor=supervisor_id, mode=mode.value,
                  agent=session.agent_id, interaction=waiter.interaction.id, via=session.via)
        try:
            await self.ari.post("/channels", params={
                "endpoint": f"PJSIP/{session.via}", "app": self.config.ari.app,
                "appArgs": f"{SUPERVISE_ARG},{session.id}", "channelId": session.channel_id,
                "timeout": RING_TIMEOUT_S, "callerId": f'"supervise {session.agent_id}" <{session.agent_id}>'})
        except AriError as exc:
            self._end(session, "failed")
            raise SupervisionRefused(f"cannot call {session.via}: {exc}") from None
        return session

    def _bridged(self, target: str) -> Waiter:
        """The call in progress that `target` names: an agent id, or the call's (interaction's) id."""
        for waiter in self.service.waiters.values():
            if waiter.state is not WaiterState.BRIDGED or waiter.bridge is None or waiter.offer is None:
                continue
            if target in (waiter.offer.agent_id, waiter.interaction.id, waiter.call.channel_id):
                return waiter
        if target in self.service.router.agents:
            raise UnknownSupervisedCall(f"agent {target} is on no call now")
        raise UnknownSupervisedCall(f"no call in progress with id {target} (give an agent id or a call id "
                                    "from `ivr calls list`)")

    def session(self, session_id: str) -> Session:
        session = self.sessions.get(session_id)
        if session is None:
            raise UnknownSession(f"unknown supervision session {session_id} (see `ivr sup list`)")
        return session

    async def switch(self, session_id: str, mode: Mode) -> Session:
        session = self.session(session_id)
        async with session.switching:
            if mode is session.mode:
                return session
            if session.legs is not None:
                await session.legs.detach()
                await session.legs.attach(mode)
            session.mode = mode
        self._journal(session, "sup-mode", qa_store.session_mode, mode.value, self.service.clock())
        log.event("sup.mode", session=session.id, mode=mode.value)
        return session

    async def leave(self, session_id: str) -> Session:
        session = self.session(session_id)
        await self.ari.delete(f"/channels/{session.channel_id}", missing_ok=True)
        self._end(session, "left")
        return session

    def list(self) -> list[dict[str, Any]]:
        return [session.view() for session in self.sessions.values()]

    # -- the supervisor's phone answered: its channel runs this ---------------------------------

    async def answered(self, call: Call, args: list[str]) -> None:
        session = self.sessions.get(args[0]) if args else None
        if session is None or session.state is not SupervisionState.RINGING:
            return  # left while ringing: the controller hangs up
        if session.waiter.closed:
            self._end(session, "call-ended")  # over before the supervisor answered
            return
        offer = session.waiter.offer
        session.legs = Legs(self.ari, self.config.ari.app, session.id, call.channel_id, offer.channel_id,
                            session.waiter.bridge, self.service.controller.entered)
        session.move(SupervisionState.JOINED)
        self._journal(session, "sup-answered", qa_store.session_answered, self.service.clock())
        outcome = "call-ended"
        try:
            async with session.switching:
                await session.legs.attach(session.mode)
            log.event("sup.joined", session=session.id, mode=session.mode.value)
            await offer.done.wait()
        except asyncio.CancelledError:
            outcome = "hung-up"
            raise
        except Exception:
            outcome = "failed"  # the controller logs it and hangs up the supervisor's phone
            raise
        finally:
            await session.legs.detach(final=True)
            self._end(session, outcome)

    def on_event(self, event: Event) -> None:
        """A supervisor's phone that never answered (rang out, busy, unreachable)."""
        if "channel" not in event:
            return
        if event["type"] != "ChannelDestroyed" or not event["channel"]["id"].startswith(CHANNEL_PREFIX):
            return
        session = self.sessions.get(event["channel"]["id"][len(CHANNEL_PREFIX):])
        if session is not None and session.state is SupervisionState.RINGING:
            self._end(session, "unanswered")

    def _orphan(self, call: Call):
        """After a restart: a supervisor's phone of a session the new controller never knew is hung up."""
        if call.channel_id.startswith(CHANNEL_PREFIX):
            async def hang_up() -> None:
                call.log("sup.orphan_hung_up")
            return hang_up
        return None

    def _end(self, session: Session, outcome: str) -> None:
        if session.state is SupervisionState.ENDED:
            return
        session.move(SupervisionState.ENDED)
        self.sessions.pop(session.id, None)
        self._journal(session, "sup-ended", qa_store.session_ended, outcome, self.service.clock())
        log.event("sup.ended", session=session.id, outcome=outcome)

    def _journal(self, session: Session, what: str, write, *values) -> None:
        self.service.journal.submit(what, lambda writer: write(writer, session.id, *values))
