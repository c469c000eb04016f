"""Multi-skill simulation scenarios (YAML): queues as in acd.yaml, groups of agents, traffic.

    hours: 8
    seed: 7
    sl_seconds: 20
    queues: {billing: {strategy: best-skill, wrap_up: 10}}
    agents:
      - {id: en-billing, count: 5, queues: [billing], skills: {billing: 3}, languages: [en]}
    traffic:
      - {queue: billing, calls_per_hour: 60, aht: 240, patience: 180,
         skills: {billing: 2}, language: en, priority: 0}
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .config import ConfigReader
from .errors import AcdConfigError, ScenarioError
from .model import Agent, Media, Queue
from .simulate import TrafficClass

TOP_KEYS = ("name", "hours", "seed", "sl_seconds", "queues", "agents", "traffic")
TRAFFIC_KEYS = ("queue", "calls_per_hour", "aht", "patience", "skills", "language", "priority", "media")


@dataclass(frozen=True)
class Scenario:
    name: str
    hours: float
    seed: int
    sl_seconds: float
    queues: list[Queue]
    agents: list[Agent]
    traffic: list[TrafficClass]


def load(path: str | Path) -> Scenario:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioError(f"{path}{f':{mark.line + 1}' if mark else ''}: invalid YAML: "
                            f"{getattr(exc, 'problem', None) or exc}") from None
    try:
        return _read(ConfigReader(str(path), root), data, path.stem)
    except AcdConfigError as exc:
        raise ScenarioError(str(exc)) from None


def _read(reader: ConfigReader, data: Any, default_name: str) -> Scenario:
    data = reader.mapping((), data, TOP_KEYS)
    raw_queues = reader.mapping(("queues",), data.get("queues"))
    if not raw_queues:
        raise reader.fail(("queues",), "at least one queue is needed")
    queues = {str(name): reader.queue(("queues", name), str(name), raw) for name, raw in raw_queues.items()}
    agents: list[Agent] = []
    for index, raw in enumerate(reader.sequence(("agents",), data.get("agents"))):
        raw = dict(reader.mapping(("agents", index), raw))
        count = int(reader.number(("agents", index, "count"), raw.pop("count", 1), whole=True, minimum=1))
        for n in range(count):
            member = reader.agent(("agents", index), raw, queues, ())
            member.id = f"{member.id}-{n + 1}" if count > 1 else member.id
            agents.append(member)
    if len({agent.id for agent in agents}) != len(agents):
        raise reader.fail(("agents",), "agent ids repeat (give each group its own id)")
    traffic = [_traffic(reader, ("traffic", index), raw, queues)
               for index, raw in enumerate(reader.sequence(("traffic",), data.get("traffic")))]
    if not traffic:
        raise reader.fail(("traffic",), "at least one traffic class is needed")
    return Scenario(
        name=str(data.get("name", default_name)),
        hours=reader.number(("hours",), data.get("hours", 8), minimum=0.01),
        seed=int(reader.number(("seed",), data.get("seed", 1), whole=True)),
        sl_seconds=reader.number(("sl_seconds",), data.get("sl_seconds", 20)),
        queues=list(queues.values()), agents=agents, traffic=traffic)


def _traffic(reader: ConfigReader, path: tuple, raw: Any, queues: dict[str, Queue]) -> TrafficClass:
    raw = reader.mapping(path, raw, TRAFFIC_KEYS)
    for key in ("queue", "calls_per_hour", "aht"):
        if key not in raw:
            raise reader.fail(path, f"missing {key}")
    if raw["queue"] not in queues:
        raise reader.fail(path + ("queue",), f"unknown queue {raw['queue']} (known: {', '.join(queues)})")
    skills = {}
    for skill, level in reader.mapping(path + ("skills",), raw.get("skills")).items():
        level = reader.number(path + ("skills", skill), level, whole=True, minimum=1)
        if level > 5:
            raise reader.fail(path + ("skills", skill), f"minimum level must be 1-5, got {level}")
        skills[skill] = int(level)
    media = raw.get("media", "voice")
    if media not in {m.value for m in Media}:
        raise reader.fail(path + ("media",), f"unknown media {media!r}")
    patience = raw.get("patience")
    return TrafficClass(
        queue=raw["queue"],
        calls_per_hour=reader.number(path + ("calls_per_hour",), raw["calls_per_hour"]),
        aht_s=reader.number(path + ("aht",), raw["aht"], minimum=1),
        patience_s=None if patience is None else reader.number(path + ("patience",), patience, minimum=1),
        skills=skills,
        language=reader.text(path + ("language",), raw.get("language", "en")),
        priority=int(reader.number(path + ("priority",), raw.get("priority", 0), whole=True, minimum=-100)),
        media=Media(media))
