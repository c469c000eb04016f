"""`schedule`: route on business hours, using a schedule named in `flows/schedules.yaml`.

    hours: {schedule: office, open: menu, closed: after_hours, holiday: holiday_message}

`holiday` is optional; without it a holiday goes to `closed`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ivr.errors import FlowRuntimeError

from ..context import RunContext
from ..model import Next, Node, ParseContext, Reference, Target
from ..schedule import HOLIDAY, OPEN
from . import register
from .common import TARGET, node_schema


@register
@dataclass
class ScheduleNode(Node):
    kind = "schedule"
    id: str
    schedule: str
    open: str
    closed: str
    holiday: str | None = None

    @classmethod
    def schema(cls) -> dict:
        return node_schema("schedule", {"type": "string", "minLength": 1},
                           {"open": TARGET, "closed": TARGET, "holiday": TARGET}, required=("open", "closed"))

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> ScheduleNode:
        return cls(node_id, raw["schedule"], raw["open"], raw["closed"], raw.get("holiday"))

    def targets(self) -> list[Target]:
        return [Target(node, ("nodes", self.id, key))
                for key, node in (("open", self.open), ("closed", self.closed), ("holiday", self.holiday)) if node]

    def references(self) -> list[Reference]:
        return [Reference("schedule", self.schedule, ("nodes", self.id, "schedule"))]

    async def run(self, ctx: RunContext) -> Next:
        schedule = ctx.flowset.schedules.get(self.schedule)
        if schedule is None:
            raise FlowRuntimeError(f"unknown schedule '{self.schedule}'", "flow.unknown-schedule")
        now = ctx.port.now()
        status = schedule.status(now)
        ctx.note(f"schedule {self.schedule} at {now.isoformat(timespec='minutes')}: {status}")
        if status == OPEN:
            return self.open
        if status == HOLIDAY and self.holiday:
            return self.holiday
        return self.closed
