"""The ACD configuration, `acd.yaml`: queues, agents, known skills and pause reasons.

Every error is one line: `file:line: key.path: what is wrong`.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dataclasses

import yaml

from .errors import AcdConfigError
from .model import MAX_LEVEL, MIN_LEVEL, Agent, Announcements, ExpansionStep, Media, Queue
from .rules import SYSTEM_PAUSE_REASONS
from .strategies import STRATEGIES

DEFAULT_PATH = Path("acd.yaml")
TOP_KEYS = ("skills", "pause_reasons", "queues", "agents")
QUEUE_KEYS = ("strategy", "ring_timeout", "wrap_up", "max_wait", "overflow", "announcements",
              "music_on_hold", "expansion", "initial_aht", "service_level", "recording")
SERVICE_LEVEL_KEYS = ("target", "within")
RECORDING_POLICIES = ("always", "never", "on-demand")
RECORDING_KEYS = ("policy", "consent")
STEP_KEYS = ("after", "lower_levels_by", "fallback_languages", "any_agent")
ANNOUNCEMENT_KEYS = ("position", "estimated_wait", "every")
OVERFLOW_KEYS = ("queue", "node")
AGENT_KEYS = ("id", "name", "endpoint", "queues", "skills", "languages", "fallback_languages", "capacity")


@dataclass(frozen=True)
class ConfigWarning:
    """`file:line: key.path: message`, as errors read, for a setting that loads but needs a look."""

    source: str
    line: int | None
    message: str  # `key.path: what`

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.message}" if self.line is not None else \
            f"{self.source}: {self.message}"


@dataclass(frozen=True)
class AcdConfig:
    queues: dict[str, Queue]
    agents: list[Agent]
    skills: tuple[str, ...]
    pause_reasons: tuple[str, ...]
    source: str
    warnings: tuple[ConfigWarning, ...] = ()  # valid, but likely not what was meant

    def check_pause_reason(self, reason: str) -> None:
        """Pause reasons are the configured ones plus the ACD's own (`no-answer`, ...)."""
        if reason not in self.pause_reasons and reason not in SYSTEM_PAUSE_REASONS:
            raise AcdConfigError(f"{self.source}: pause_reasons: unknown pause reason {reason} "
                                 f"(known: {', '.join(self.pause_reasons + SYSTEM_PAUSE_REASONS)})")


def overflow_nodes(queues: dict[str, Queue]) -> dict[str, str]:
    """Queue name -> the flow node its callers overflow to in the end, after any moves between
    queues (a chain that ends in a queue without a node target is left out)."""
    nodes = {}
    for name, queue in queues.items():
        seen = {name}
        while queue.overflow_queue and queue.overflow not in seen:
            seen.add(queue.overflow)
            queue = queues[queue.overflow]
        if queue.overflow and not queue.overflow_queue:
            nodes[name] = queue.overflow
    return nodes


def load(path: str | Path = DEFAULT_PATH) -> AcdConfig:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise AcdConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse(text, str(path))


def parse(text: str, source: str = "<acd.yaml>") -> AcdConfig:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc).replace("\n", " ")
        raise AcdConfigError(f"{where}: invalid YAML: {problem}") from None
    return ConfigReader(source, root).read(data)


class ConfigReader:
    """Reads and checks configuration sections; the simulator's scenarios reuse it."""

    def __init__(self, source: str, root: yaml.Node | None):
        self.source, self.root = source, root
        self.warnings: list[ConfigWarning] = []

    def fail(self, path: tuple, message: str) -> AcdConfigError:
        return AcdConfigError(self.where(path, message))

    def warn(self, path: tuple, message: str) -> None:
        self.warnings.append(ConfigWarning(self.source, self._line(path), _keyed(path, message)))

    def where(self, path: tuple, message: str) -> str:
        return str(ConfigWarning(self.source, self._line(path), _keyed(path, message)))

    def _line(self, path: tuple) -> int | None:
        node, line = self.root, None
        for part in path:
            if isinstance(node, yaml.MappingNode):
                found = [(k, v) for k, v in node.value if k.value == part]
                if not found:
                    break
                line, node = found[0][0].start_mark.line + 1, found[0][1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
                line = node.start_mark.line + 1
            else:
                break
        if line is None and self.root is not None:
            line = self.root.start_mark.line + 1
        return line

    # -- typed getters --------------------------------------------------------------------

    def mapping(self, path: tuple, value: Any, known: tuple[str, ...] | None = None) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected a mapping, got {_show(value)}")
        for key in value:
            if known is not None and key not in known:
                raise self.fail(path + (key,), f"unknown key (known: {', '.join(known)})")
        return value

    def sequence(self, path: tuple, value: Any) -> list:
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, got {_show(value)}")
        return value

    def names(self, path: tuple, value: Any) -> tuple[str, ...]:
        items = self.sequence(path, value)
        for index, item in enumerate(items):
            if not isinstance(item, str) or not item:
                raise self.fail(path + (index,), f"expected a name, got {_show(item)}")
        duplicates = sorted({item for item in items if items.count(item) > 1})
        if duplicates:
            raise self.fail(path, f"{duplicates[0]} is listed twice")
        return tuple(items)

    def number(self, path: tuple, value: Any, whole: bool = False, minimum: float = 0) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or (whole and not isinstance(value, int)):
            raise self.fail(path, f"expected a {'whole ' if whole else ''}number, got {_show(value)}")
        if value < minimum:
            raise self.fail(path, f"must be at least {minimum}, got {value}")
        return value

    def flag(self, path: tuple, value: Any) -> bool:
        if not isinstance(value, bool):
            raise self.fail(path, f"expected true or false, got {_show(value)}")
        return value

    def text(self, path: tuple, value: Any) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"expected text, got {_show(value)}")
        return value

    # -- sections -------------------------------------------------------------------------

    def read(self, data: Any) -> AcdConfig:
        if not isinstance(data, dict):
            raise self.fail((), "expected a mapping with queues, agents, skills and pause_reasons")
        self.mapping((), data, TOP_KEYS)
        skills = self.names(("skills",), data.get("skills"))
        pause_reasons = self.names(("pause_reasons",), data.get("pause_reasons"))
        raw_queues = self.mapping(("queues",), data.get("queues"))
        if not raw_queues:
            raise self.fail(("queues",), "at least one queue is needed")
        queues = {str(name): self.queue(("queues", name), str(name), raw) for name, raw in raw_queues.items()}
        queues = self.overflow_targets(queues, raw_queues)
        agents = [self.agent(("agents", index), raw, queues, skills)
                  for index, raw in enumerate(self.sequence(("agents",), data.get("agents")))]
        seen: set[str] = set()
        for index, agent in enumerate(agents):
            if agent.id in seen:
                raise self.fail(("agents", index, "id"), f"agent {agent.id} is defined twice")
            seen.add(agent.id)
        return AcdConfig(queues, agents, skills, pause_reasons, self.source, tuple(self.warnings))

    def queue(self, path: tuple, name: str, raw: Any) -> Queue:
        raw = self.mapping(path, raw, QUEUE_KEYS)
        strategy = raw.get("strategy", "longest-idle")
        if strategy not in STRATEGIES:
            raise self.fail(path + ("strategy",), f"unknown strategy {_show(strategy)} "
                                                  f"(known: {', '.join(STRATEGIES)})")
        max_wait = raw.get("max_wait")
        overflow = raw.get("overflow")
        if max_wait is not None:
            max_wait = self.number(path + ("max_wait",), max_wait, minimum=1)
        if overflow is not None and not isinstance(overflow, dict):
            overflow = self.text(path + ("overflow",), overflow)
        if (max_wait is None) != (overflow is None):
            raise self.fail(path, "max_wait and overflow go together (how long, then which flow node)")
        announce = self.mapping(path + ("announcements",), raw.get("announcements"), ANNOUNCEMENT_KEYS)
        service_level = self.mapping(path + ("service_level",), raw.get("service_level"), SERVICE_LEVEL_KEYS)
        sl_target = self.number(path + ("service_level", "target"), service_level.get("target", 80), minimum=1)
        if sl_target > 100:
            raise self.fail(path + ("service_level", "target"), f"a percentage is at most 100, got {sl_target}")
        recording, consent = self.recording(path + ("recording",), raw.get("recording", "always"))
        return Queue(
            name=name,
            strategy=strategy,
            ring_timeout_s=self.number(path + ("ring_timeout",), raw.get("ring_timeout", 15), minimum=1),
            wrap_up_s=self.number(path + ("wrap_up",), raw.get("wrap_up", 0)),
            max_wait_s=max_wait,
            announcements=Announcements(
                position=self.flag(path + ("announcements", "position"), announce.get("position", True)),
                estimated_wait=self.flag(path + ("announcements", "estimated_wait"),
                                         announce.get("estimated_wait", True)),
                every_s=self.number(path + ("announcements", "every"), announce.get("every", 60), minimum=10),
            ),
            music_on_hold=self.text(path + ("music_on_hold",), raw.get("music_on_hold", "default")),
            expansion=self.steps(path + ("expansion",), raw.get("expansion")),
            initial_aht_s=self.number(path + ("initial_aht",), raw.get("initial_aht", 180), minimum=1),
            sl_target=sl_target,
            sl_within_s=self.number(path + ("service_level", "within"), service_level.get("within", 20), minimum=1),
            recording=recording,
            consent=consent,
        )

    def recording(self, path: tuple, raw: Any) -> tuple[str, Any]:
        """`recording: POLICY`, or `recording: {policy: POLICY, consent: PROMPTS}`: the consent
        prompt the caller hears on entering the queue, before any recording can start, written as
        flow prompts are (text, {say: ...}, {play: ...} or a list; the flow engine's prompt specs
        check and play it: `ivr.flows.prompt_specs.fixed_prompts`). A queue that records always
        without one gets a warning, not an error: older configs keep working."""
        settings = self.mapping(path, raw, RECORDING_KEYS) if isinstance(raw, dict) else {"policy": raw}
        policy = settings.get("policy", "always")
        where = path + ("policy",) if isinstance(raw, dict) else path
        if policy not in RECORDING_POLICIES:
            raise self.fail(where, f"unknown recording policy {_show(policy)} (known: {', '.join(RECORDING_POLICIES)})")
        consent = settings.get("consent")
        if "consent" in settings and (not consent or not isinstance(consent, (str, dict, list))):
            raise self.fail(path + ("consent",), f"expected text, {{say: ...}}, {{play: ...}} or a list of them, "
                                                 f"got {_show(consent)}")
        if policy == "always" and not consent:
            self.warn(where, f"queue {path[-2]} records every call but plays no consent prompt "
                             "(add recording: {policy: always, consent: {say: ...}})")
        return policy, consent

    def overflow_targets(self, queues: dict[str, Queue], raw_queues: dict) -> dict[str, Queue]:
        """`overflow: NAME` moves the caller to queue NAME when there is one, else to node NAME of
        the calling flow; `{queue: NAME}` must name a queue, `{node: NAME}` always means a node.
        Queue targets may chain but never loop, so a caller moves a bounded number of times."""
        resolved = {}
        for (key, raw_queue), (name, queue) in zip(raw_queues.items(), queues.items()):
            path, raw = ("queues", key, "overflow"), (raw_queue or {}).get("overflow")
            to_queue = False
            if isinstance(raw, dict):
                self.mapping(path, raw, OVERFLOW_KEYS)
                if len(raw) != 1:
                    raise self.fail(path, "give one of queue: NAME or node: NAME")
                (kind, target), = raw.items()
                target, to_queue = self.text(path + (kind,), target), kind == "queue"
                if to_queue and target not in queues:
                    raise self.fail(path + (kind,), f"unknown queue {target} (known: {', '.join(queues)})")
            elif raw is not None:
                target, to_queue = raw, raw in queues
            else:
                target = None
            resolved[name] = dataclasses.replace(queue, overflow=target, overflow_queue=to_queue)
        for name in resolved:
            chain = [name]
            while resolved[chain[-1]].overflow_queue:
                chain.append(resolved[chain[-1]].overflow)
                if chain[-1] in chain[:-1]:
                    raise self.fail(("queues", name, "overflow"), f"overflow cycle {' -> '.join(chain)} "
                                                                  "(a caller would move for ever)")
        return resolved

    def steps(self, path: tuple, raw: Any) -> tuple[ExpansionStep, ...]:
        steps = []
        for index, item in enumerate(self.sequence(path, raw)):
            where = path + (index,)
            item = self.mapping(where, item, STEP_KEYS)
            if "after" not in item:
                raise self.fail(where, "missing after (seconds of waiting before the step applies)")
            step = ExpansionStep(
                after_s=self.number(where + ("after",), item["after"], minimum=1),
                lower_levels_by=int(self.number(where + ("lower_levels_by",), item.get("lower_levels_by", 0),
                                                whole=True)),
                fallback_languages=self.flag(where + ("fallback_languages",), item.get("fallback_languages", False)),
                any_agent=self.flag(where + ("any_agent",), item.get("any_agent", False)),
            )
            if steps and step.after_s <= steps[-1].after_s:
                raise self.fail(where + ("after",), f"steps must come in increasing order of after "
                                                    f"({step.after_s:g} follows {steps[-1].after_s:g})")
            if not (step.lower_levels_by or step.fallback_languages or step.any_agent):
                raise self.fail(where, "a step must relax something (lower_levels_by, fallback_languages "
                                       "or any_agent)")
            steps.append(step)
        return tuple(steps)

    def agent(self, path: tuple, raw: Any, queues: dict[str, Queue], known_skills: tuple[str, ...]) -> Agent:
        raw = self.mapping(path, raw, AGENT_KEYS)
        if "id" not in raw:
            raise self.fail(path, "missing id")
        agent_id = self.text(path + ("id",), str(raw["id"]) if isinstance(raw["id"], int) else raw["id"])
        member_of = self.names(path + ("queues",), raw.get("queues"))
        if not member_of:
            raise self.fail(path + ("queues",), f"agent {agent_id} is in no queue")
        for index, name in enumerate(member_of):
            if name not in queues:
                raise self.fail(path + ("queues", index), f"unknown queue {name} (known: {', '.join(queues)})")
        skills = {}
        for skill, level in self.mapping(path + ("skills",), raw.get("skills")).items():
            where = path + ("skills", skill)
            if known_skills and skill not in known_skills:
                raise self.fail(where, f"unknown skill {skill} (add it to skills:)")
            level = self.number(where, level, whole=True, minimum=MIN_LEVEL)
            if level > MAX_LEVEL:
                raise self.fail(where, f"proficiency must be {MIN_LEVEL}-{MAX_LEVEL}, got {level}")
            skills[skill] = int(level)
        languages = self.names(path + ("languages",), raw.get("languages", ["en"]))
        if not languages:
            raise self.fail(path + ("languages",), f"agent {agent_id} speaks no language")
        fallback = self.names(path + ("fallback_languages",), raw.get("fallback_languages"))
        both = [language for language in fallback if language in languages]
        if both:
            raise self.fail(path + ("fallback_languages",), f"{both[0]} is already a language of the agent")
        capacity = {}
        for media, count in self.mapping(path + ("capacity",), raw.get("capacity", {"voice": 1})).items():
            if media not in {m.value for m in Media}:
                raise self.fail(path + ("capacity", media),
                                f"unknown media (known: {', '.join(m.value for m in Media)})")
            capacity[Media(media)] = int(self.number(path + ("capacity", media), count, whole=True))
        if capacity.get(Media.VOICE, 0) > 1:
            raise self.fail(path + ("capacity", "voice"), "an agent takes at most one voice call at a time")
        return Agent(id=agent_id, name=str(raw.get("name", agent_id)),
                     endpoint=self.text(path + ("endpoint",), raw.get("endpoint", agent_id)),
                     skills=skills, languages=languages, fallback_languages=fallback,
                     queues=member_of, capacity=capacity)


def _keyed(path: tuple, message: str) -> str:
    key_path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in path).lstrip(".")
    return f"{key_path}: {message}" if key_path else message


def _show(value: Any) -> str:
    return "nothing" if value is None else repr(value)
