"""States of the live objects (a call, a caller in the ACD, an offer to an agent), each an enum
with its transition table, like `acd.model.AgentState`. `move` is the one way to change one."""
from __future__ import annotations

from enum import Enum
from typing import TypeVar

from ..errors import IllegalMove

S = TypeVar("S", bound=Enum)


def move(current: S, to: S, table: dict[S, frozenset[S]], what: str) -> S:
    """`to`, if the table allows `current -> to`; else IllegalMove naming `what`."""
    if to is not current and to not in table[current]:
        raise IllegalMove(f"{what}: {current.value} -> {to.value} is not allowed")
    return to


class CallState(str, Enum):
    """Our side of one channel in the app."""

    ACTIVE = "active"          # in our app, the flow (or a handler) drives it
    LEFT = "left"              # hung up (either side) or sent on to the dialplan: no more commands


class EndedBy(str, Enum):
    CALLER = "caller"          # the caller (or Asterisk) hung up
    CONTROLLER = "controller"  # our flow hung up
    TRANSFER = "transfer"      # sent to the dialplan by a transfer
    FAILURE = "failure"        # a failure in our handling ended it (logged with its traceback)


CALL_TRANSITIONS = {CallState.ACTIVE: frozenset({CallState.LEFT}), CallState.LEFT: frozenset()}


class WaiterState(str, Enum):
    """A caller in the ACD, from enqueue until the router and the store know how it ended."""

    WAITING = "waiting"        # in its queue, music on hold
    OFFERED = "offered"        # an agent's phone rings for it
    BRIDGED = "bridged"        # talking to the agent
    ENDED = "ended"            # answered and over, abandoned or overflowed: nothing more to tell the router


W = WaiterState
WAITER_TRANSITIONS = {
    W.WAITING: frozenset({W.OFFERED, W.ENDED}),
    W.OFFERED: frozenset({W.WAITING, W.BRIDGED, W.ENDED}),
    W.BRIDGED: frozenset({W.ENDED}),
    W.ENDED: frozenset(),
}


class OfferState(str, Enum):
    RINGING = "ringing"        # originated (or being originated) to the agent's phone
    ANSWERED = "answered"      # the agent picked up: its channel entered our app
    WITHDRAWN = "withdrawn"    # we ended it (caller left, agent paused): not a ring-no-answer
    UNANSWERED = "unanswered"  # rang out, busy, unreachable or failed: the caller goes back to its place


O = OfferState
OFFER_TRANSITIONS = {
    O.RINGING: frozenset({O.ANSWERED, O.WITHDRAWN, O.UNANSWERED}),
    O.ANSWERED: frozenset(),
    O.WITHDRAWN: frozenset(),
    O.UNANSWERED: frozenset(),
}


class WorkState(str, Enum):
    """A chat, email or SMS in the ACD: offered to an agent's workspace instead of ringing a phone."""

    WAITING = "waiting"        # in its queue
    OFFERED = "offered"        # shown in an agent's workspace, not yet accepted
    ACCEPTED = "accepted"      # the agent works on it
    CLOSED = "closed"          # closed with a disposition, or overflowed out of the ACD


K = WorkState
WORK_TRANSITIONS = {
    K.WAITING: frozenset({K.OFFERED, K.CLOSED}),
    K.OFFERED: frozenset({K.WAITING, K.ACCEPTED, K.CLOSED}),
    K.ACCEPTED: frozenset({K.CLOSED}),
    K.CLOSED: frozenset(),
}


class SupervisionState(str, Enum):
    """A supervisor's side of a supervision session."""

    RINGING = "ringing"        # the supervisor's phone is being called
    JOINED = "joined"          # answered: listening, whispering or barging
    ENDED = "ended"            # left, hung up, unanswered, or the call it watched ended


SUPERVISION_TRANSITIONS = {
    SupervisionState.RINGING: frozenset({SupervisionState.JOINED, SupervisionState.ENDED}),
    SupervisionState.JOINED: frozenset({SupervisionState.ENDED}),
    SupervisionState.ENDED: frozenset(),
}
