"""What `ivr agents`, `ivr queues` and `ivr top` show: plain JSON-able views of the live ACD."""
from __future__ import annotations

from typing import Any

from acd.errors import UnknownInteraction, UnknownQueue
from acd.model import AgentState
from acd.store import ExplanationRecord
from ivr.errors import RecordingRefused
from ivr.live.acd.service import AcdService
from ivr.live.states import WaiterState


def agents(service: AcdService) -> list[dict[str, Any]]:
    now = service.clock()
    held = {agent_id: interaction for interaction, agent_id in service.router.held().items()}
    out = []
    for agent in service.router.agents.values():
        interaction = held.get(agent.id)
        waiter = service.waiters.get(interaction) if interaction else None
        out.append({"id": agent.id, "name": agent.name, "state": agent.state.value, "reason": agent.pause_reason,
                    "since_s": round(now - agent.state_since, 1) if agent.state_since else None,
                    "queues": list(agent.queues), "interaction": interaction,
                    "caller": waiter.call.record.caller if waiter else None,
                    "skills": dict(agent.skills), "languages": list(agent.languages),
                    "fallback_languages": list(agent.fallback_languages)})
    return out


def queues(service: AcdService) -> list[dict[str, Any]]:
    router = service.router
    held_in: dict[str, int] = {}
    for waiter in service.waiters.values():
        if waiter.offer:
            held_in[waiter.interaction.queue] = held_in.get(waiter.interaction.queue, 0) + 1
    for item in service.desk.items.values():  # chats, emails, SMS offered or in hand
        if item.agent_id:
            held_in[item.interaction.queue] = held_in.get(item.interaction.queue, 0) + 1
    out, now = [], service.clock()
    for name in router.queues:
        members = [agent for agent in router.agents.values() if name in agent.queues]
        waiting = router.waiting(name)
        out.append({"name": name, "waiting": len(waiting), "offered_or_talking": held_in.get(name, 0),
                    "longest_wait_s": round(max((now - i.enqueued_at for i in waiting), default=0.0), 1),
                    "agents_available": sum(agent.state is AgentState.AVAILABLE for agent in members),
                    "agents_logged_in": sum(agent.state is not AgentState.LOGGED_OUT for agent in members)})
    return out


def wallboard(service: AcdService) -> dict[str, Any]:
    """`ivr top`'s frame: the queues with today's service level and abandons, and the agents."""
    today = service.day_stats.today
    board = []
    for summary in queues(service):
        queue, tally = service.router.queues[summary["name"]], today.get(summary["name"])
        board.append({**summary, "offered_today": tally.offered if tally else 0,
                      "answered_today": tally.answered if tally else 0,
                      "abandoned_today": tally.abandoned if tally else 0,
                      "service_level": tally.service_level if tally else None,
                      "sl_target": queue.sl_target, "sl_within_s": queue.sl_within_s})
    return {"as_of": service.clock(), "queues": board, "agents": agents(service)}


def queue(service: AcdService, name: str) -> dict[str, Any]:
    router = service.router
    if name not in router.queues:
        raise UnknownQueue(f"unknown queue {name} (known: {', '.join(router.queues)})")
    now = service.clock()
    waiting = [{"interaction": i.id, "position": position, "priority": i.priority, "language": i.language,
                "skills": i.skills, "waited_s": round(now - i.enqueued_at, 1),
                "estimated_wait_s": round(router.estimated_wait_s(i.id), 1), "customer": i.customer}
               for position, i in enumerate(router.waiting(name), start=1)]
    summary = next(q for q in queues(service) if q["name"] == name)
    return {**summary, "calls": waiting}


def explain(service: AcdService, interaction_id: str) -> dict[str, Any] | None:
    """Why each agent can or cannot take a waiting interaction now; None when it is not waiting."""
    now = service.clock()
    try:
        explanation = service.router.explain(interaction_id, now)
    except UnknownInteraction:
        return None
    return {"interaction": interaction_id, "source": "live", "as_of": now, "left": None,
            "eligible": explanation.eligible(), "lines": explanation.lines()}


def stored_explanation(record: ExplanationRecord) -> dict[str, Any]:
    """An explanation kept in the store when the interaction left its queue."""
    return {"interaction": record.interaction_id, "source": "store", "as_of": record.at, "left": record.left,
            "eligible": list(record.eligible), "lines": list(record.lines)}


def bridged_call(service: AcdService, call_id: str):
    """The waiter of a call talking to an agent, by its call (interaction) id or the caller's channel id."""
    for waiter in service.waiters.values():
        if waiter.state is WaiterState.BRIDGED and call_id in (waiter.interaction.id, waiter.call.channel_id):
            return waiter
    raise RecordingRefused(f"no call talking to an agent with id {call_id} (see `ivr calls list`)")


def calls(service: AcdService) -> list[dict[str, Any]]:
    """Calls talking to an agent: who, where, since when, and their QA recording."""
    now, out = service.clock(), []
    for waiter in service.waiters.values():
        if waiter.state is not WaiterState.BRIDGED:
            continue
        recording = service.recorder.by_interaction.get(waiter.interaction.id)
        out.append({"call": waiter.interaction.id, "queue": waiter.interaction.queue,
                    "agent": waiter.offer.agent_id if waiter.offer else None, "caller": waiter.call.record.caller,
                    "in_acd_s": round(now - waiter.interaction.enqueued_at, 1),
                    "recording": None if recording is None else ("paused" if recording.paused_at else "on")})
    return out
