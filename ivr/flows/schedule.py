"""Named business-hours schedules (`flows/schedules.yaml`), defined once and used by `schedule` nodes.

    office:
      timezone: Europe/Paris
      hours:
        mon-fri: ["08:30-12:30", "13:30-18:00"]
        sat: "09:00-12:00"
      holidays: ["2026-12-25", "2027-01-01"]

Days are `mon`..`sun` or a range (`mon-fri`); ranges are `HH:MM-HH:MM` in the schedule's
time zone, the end excluded (`24:00` ends at midnight). A day not listed is closed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ivr.errors import FlowError

from .problems import Problem
from .source import SourceDoc

SCHEDULES_FILE = "schedules.yaml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPEN, CLOSED, HOLIDAY = "open", "closed", "holiday"

_DAY_KEY = r"^(mon|tue|wed|thu|fri|sat|sun)(-(mon|tue|wed|thu|fri|sat|sun))?$"
_RANGE = {"type": "string", "pattern": r"^[0-9]{2}:[0-9]{2}-[0-9]{2}:[0-9]{2}$",
          "x-expected": "a time range like \"08:00-18:00\""}
SCHEDULE_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": ["timezone", "hours"],
    "properties": {
        "description": {"type": "string"},
        "timezone": {"type": "string", "minLength": 1, "description": "IANA time zone, e.g. Europe/Paris"},
        "hours": {
            "type": "object",
            "propertyNames": {"pattern": _DAY_KEY, "x-expected": "a day (mon..sun) or a day range (mon-fri)"},
            "additionalProperties": {"anyOf": [_RANGE, {"type": "array", "items": _RANGE}],
                                     "x-expected": "a time range like \"08:00-18:00\" or a list of them"},
        },
        "holidays": {"type": "array", "items": {"type": "string", "pattern": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
                                                "x-expected": "a date like \"2026-12-25\""}},
    },
}
SCHEDULES_FILE_SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "IVR business-hours schedules (flows/schedules.yaml)",
    "type": "object",
    "propertyNames": {"pattern": r"^[A-Za-z0-9_-]+$"},
    "additionalProperties": SCHEDULE_SCHEMA,
}


@dataclass(frozen=True)
class Schedule:
    name: str
    zone: ZoneInfo
    hours: dict[int, list[tuple[time, time | None]]]  # weekday -> [(start, end)], end None = midnight
    holidays: frozenset[date] = field(default_factory=frozenset)

    def status(self, now: datetime) -> str:
        """OPEN, CLOSED or HOLIDAY at `now` (a naive time is taken as the schedule's local time)."""
        local = now.astimezone(self.zone) if now.tzinfo else now.replace(tzinfo=self.zone)
        if local.date() in self.holidays:
            return HOLIDAY
        moment = local.time().replace(tzinfo=None)
        for start, end in self.hours.get(local.weekday(), []):
            if start <= moment and (end is None or moment < end):
                return OPEN
        return CLOSED


def parse_schedules(doc: SourceDoc, problems: list[Problem]) -> dict[str, Schedule]:
    """Build schedules from a schema-valid schedules file; semantic problems go to `problems`."""
    schedules = {}
    for name, raw in (doc.data or {}).items():
        schedule = _parse_one(name, raw, doc, problems)
        if schedule is not None:
            schedules[name] = schedule
    return schedules


def _parse_one(name: str, raw: dict[str, Any], doc: SourceDoc, problems: list[Problem]) -> Schedule | None:
    count = len(problems)
    zone = None
    try:
        zone = ZoneInfo(raw["timezone"])
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(doc.problem((name, "timezone"), "flow.bad-schedule", f"unknown time zone '{raw['timezone']}'"))
    hours: dict[int, list[tuple[time, time | None]]] = {}
    for key, ranges in raw["hours"].items():
        first, _, last = key.partition("-")
        start_day, end_day = DAYS.index(first), DAYS.index(last or first)
        if end_day < start_day:
            problems.append(doc.problem((name, "hours", key), "flow.bad-schedule",
                                        f"day range '{key}' runs backwards", on_key=True))
            continue
        for index, text in enumerate([ranges] if isinstance(ranges, str) else ranges):
            path = (name, "hours", key) if isinstance(ranges, str) else (name, "hours", key, index)
            try:
                span = _time_range(text)
            except FlowError as exc:
                problems.append(doc.problem(path, exc.code, str(exc)))
                continue
            for day in range(start_day, end_day + 1):
                hours.setdefault(day, []).append(span)
    holidays = set()
    for index, text in enumerate(raw.get("holidays", [])):
        try:
            holidays.add(date.fromisoformat(text))
        except ValueError:
            problems.append(doc.problem((name, "holidays", index), "flow.bad-schedule", f"'{text}' is not a valid date"))
    if len(problems) > count or zone is None:
        return None
    return Schedule(name, zone, hours, frozenset(holidays))


def _time_range(text: str) -> tuple[time, time | None]:
    start_text, end_text = text.split("-")
    start, end = _clock(start_text, text), _clock(end_text, text)
    if start is None:
        raise FlowError(f"time range '{text}' cannot start at 24:00", "flow.bad-schedule")
    if end is not None and end <= start:
        raise FlowError(f"time range '{text}' ends before it starts (split ranges that cross midnight)",
                        "flow.bad-schedule")
    return start, end


def _clock(text: str, whole: str) -> time | None:
    hour, minute = int(text[:2]), int(text[3:])
    if (hour, minute) == (24, 0):
        return None
    if hour > 23 or minute > 59:
        raise FlowError(f"'{text}' in '{whole}' is not a time of day", "flow.bad-schedule")
    return time(hour, minute)
