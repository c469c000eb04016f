"""Agent feature codes dialed from an agent phone (extensions.conf `[agents]`).

    *11 log in    *12 log out    *13 pause    *14 ready

The agent is the one whose `endpoint` (acd.yaml) placed the call. It hears a short
confirmation (or why not), then the controller hangs up.
"""
from __future__ import annotations

from acd.errors import AcdError
from ivr.live.acd.service import AcdService
from ivr.live.call import Call

from .agent_commands import LOGIN, LOGOUT, PAUSE, READY

FEATURE_ARG = "feature"
PAUSE_REASON = "break"  # used by *13 when acd.yaml lists it; else its first pause reason

VERB = {"*11": LOGIN, "*12": LOGOUT, "*13": PAUSE, "*14": READY}
SAID = {"*11": "You are logged in.", "*12": "You are logged out.", "*13": "You are paused.",
        "*14": "You are ready for calls."}


def endpoint_of(call: Call) -> str:
    """`PJSIP/agent1-00000004` -> `agent1`."""
    name = call.record.channel.split("/", 1)[-1]
    return name.rsplit("-", 1)[0]


class FeatureCodes:
    def __init__(self, service: AcdService):
        self.service = service
        service.controller.handlers[FEATURE_ARG] = self.handle

    def apply(self, agent_id: str, code: str) -> str:
        if code not in SAID:
            raise AcdError(f"unknown feature code {code}")
        commands = self.service.agents
        reason = None
        if code == "*13":
            reasons = self.service.acd.pause_reasons
            reason = PAUSE_REASON if PAUSE_REASON in reasons or not reasons else reasons[0]
        commands.do(VERB[code], agent_id, reason)
        return SAID[code]

    async def handle(self, call: Call, args: list[str]) -> None:
        code = args[0] if args else ""
        agent = self.service.agent_by_endpoint(endpoint_of(call))
        await call.answer()
        if agent is None:
            said, outcome = "This phone belongs to no agent.", "unknown-agent"
        else:
            try:
                said, outcome = self.apply(agent.id, code), "ok"
            except AcdError as exc:
                said, outcome = "That is not possible now.", str(exc)
        call.log("acd.feature", code=code, agent=agent.id if agent else "", outcome=outcome)
        await call.play(await self.service.tts.media(said, "en"))
