"""Loading and validating a set of flows: the one code path shared by `ivr flows check`,
`ivr flows test`, `ivr flows simulate` and the live server.

    result = load_flows("flows", known_queues=read_queue_names("acd.yaml"))
    if result.has_errors:
        ...  # keep serving the previous set; print result.problems
    else:
        FlowRunner(result, port).run("support-line")

A directory loads every `*.yaml` / `*.yml` in it; `schedules.yaml` holds the named
schedules. A single file loads with its directory's other flows and schedules as context
(so its gotos resolve), but only its own problems are reported.
"""
from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import yaml

from acd import config as acd_config
from acd.errors import AcdConfigError
from ivr.errors import FlowError

from .flowfile import read_flow_file
from .graph import check_graph
from .languages import DEFAULT_LANGUAGE, matching_language
from .model import Flow, FlowSet, Reference
from .nodes.queue import Queue as QueueNode
from .problems import ERROR, WARNING, Problem
from .prompt_specs import SOUND_FILE_EXTENSIONS, config_prompts, is_sound_file, is_unplayable_audio
from .schedule import SCHEDULES_FILE, parse_schedules
from .schema import validate
from .source import read_yaml

FLOW_SUFFIXES = (".yaml", ".yml")


@dataclass
class LoadResult(FlowSet):
    """The flows and schedules that were built, and every problem found (errors and warnings)."""

    problems: list[Problem] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(problem.is_error for problem in self.problems)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]


def load_flows(source: str | Path | Iterable[str | Path], *, known_queues: set[str] | None = None,
               known_sounds: set[str] | None = None, speech_languages: Collection[str] | None = None,
               queue_overflows: Mapping[str, str] | None = None) -> LoadResult:
    """Load and validate flows from a directory, a file, or several of them.

    `known_queues`: queue names to check `queue` nodes against (None: not checked).
    `known_sounds`: Asterisk sound names to check `play` against (None: not checked);
    sound *files* (`sounds/x.wav`) are always checked against the flows directory.
    `speech_languages`: the languages with a speech model (None: not checked). A node that
    listens in a flow whose language has no model is an error; with no model at all, speech
    is off and it is only a warning (the node takes keys only).
    `queue_overflows`: queue -> the flow node acd.yaml overflows it to; a flow that queues there
    without such a node (and without its own `overflow:`) gets a warning. The simulator uses it.
    """
    sources = [Path(source)] if isinstance(source, (str, Path)) else [Path(s) for s in source]
    result = LoadResult(queue_overflows=dict(queue_overflows or {}))
    selected: dict[Path, Path] = {}  # resolved -> as given (for display)
    context: dict[Path, Path] = {}
    directories: dict[Path, Path] = {}
    for path in sources:
        if path.is_dir():
            directories.setdefault(path.resolve(), path)
            for file in _flow_files(path):
                selected.setdefault(file.resolve(), file)
        elif path.is_file():
            if path.name != SCHEDULES_FILE:  # named with the flows (flows/*.yaml): read as schedules only
                selected.setdefault(path.resolve(), path)
            directories.setdefault(path.parent.resolve(), path.parent)
        else:
            result.problems.append(Problem(str(path), 1, 1, ERROR, "flow.not-found", "no such file or directory"))
    for directory in directories.values():
        for file in _flow_files(directory):
            if file.resolve() not in selected:
                context.setdefault(file.resolve(), file)
    _load_schedules(directories.values(), result)

    broken: dict[str, set[str]] = {}
    failed_files: list[Path] = []
    reported: set[str] = set()
    for resolved, shown in [*selected.items(), *context.items()]:
        flow, broken_nodes, problems = read_flow_file(resolved, str(shown))
        if resolved in selected:
            result.files.append(str(shown))
            result.problems.extend(problems)
        if flow is None:
            failed_files.append(resolved)
            continue
        if flow.name in result.flows:
            if resolved in selected:
                first = result.flows[flow.name].file
                result.problems.append(flow.doc.problem(("name",), "flow.duplicate-flow",
                                                        f"flow '{flow.name}' is already defined in {first}"))
            continue
        result.flows[flow.name] = flow
        broken[flow.name] = broken_nodes
        if resolved in selected:
            reported.add(flow.name)
    for name in reported:
        flow = result.flows[name]
        implied = {node.id: target for node, target in _acd_overflows(flow, result.queue_overflows)}
        result.problems.extend(check_graph(flow, broken[name], implied))
        result.problems.extend(_check_references(flow, result, broken, failed_files, known_queues, known_sounds))
        if speech_languages is not None:
            result.problems.extend(_check_speech(flow, speech_languages))
        result.problems.extend(_check_overflow_nodes(flow, result.queue_overflows))
    result.problems.sort(key=lambda p: (p.file, p.line, p.column, p.message))
    return result


def read_queue_overflows(path: str | Path) -> dict[str, str] | None:
    """Queue name -> the flow node acd.yaml sends its overflowing callers to (after moves between
    queues); None when the file is absent."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return acd_config.overflow_nodes(acd_config.load(path).queues)
    except AcdConfigError as exc:
        raise FlowError(str(exc), "flow.bad-acd-config") from None


def read_acd_warnings(path: str | Path) -> list[Problem]:
    """acd.yaml's warnings (a queue that records always without a consent prompt) as problems, for
    `ivr flows check`; none when the file is absent. Raises FlowError for a consent prompt the
    live ACD could not play."""
    path = Path(path)
    if not path.exists():
        return []
    try:
        acd = acd_config.load(path)
    except AcdConfigError as exc:
        raise FlowError(str(exc), "flow.bad-acd-config") from None
    config_prompts(acd.queues, acd.source)  # a consent prompt the live ACD could not play is an error
    warnings = acd.warnings
    return [Problem(warning.source, warning.line or 1, 1, WARNING, "acd.no-consent", warning.message)
            for warning in warnings]


def read_queue_names(path: str | Path) -> set[str] | None:
    """Queue names from the ACD config's top-level `queues:` mapping; None when the file is absent."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise FlowError(f"{path}: cannot read the queue names: {exc}".splitlines()[0], "flow.bad-acd-config") from None
    queues = data.get("queues", {}) if isinstance(data, dict) else None
    if not isinstance(queues, dict):
        raise FlowError(f"{path}: 'queues' must be a mapping of queue name to settings", "flow.bad-acd-config")
    return {str(name) for name in queues}


def _flow_files(directory: Path) -> list[Path]:
    return sorted(file for file in directory.iterdir()
                  if file.suffix in FLOW_SUFFIXES and file.name != SCHEDULES_FILE and file.is_file())


def _load_schedules(directories: Iterable[Path], result: LoadResult) -> None:
    for directory in directories:
        path = directory / SCHEDULES_FILE
        if not path.is_file():
            continue
        doc, problems = read_yaml(path, str(path))
        if not problems:
            problems = [problem for _, problem in validate(doc, "schedules")]
            if not problems:
                for name, schedule in parse_schedules(doc, problems).items():
                    if name in result.schedules:
                        problems.append(doc.problem((name,), "flow.duplicate-schedule",
                                                    f"schedule '{name}' is defined twice", on_key=True))
                    result.schedules[name] = schedule
        result.problems.extend(problems)


def _check_references(flow: Flow, flows: LoadResult, broken: dict[str, set[str]], failed_files: list[Path],
                      known_queues: set[str] | None, known_sounds: set[str] | None) -> list[Problem]:
    doc = flow.doc
    assert doc is not None
    flows_dir = Path(flow.file).parent
    problems = []
    for node in flow.nodes.values():
        for ref in node.references():
            message = _reference_problem(ref, flows, broken, failed_files, flows_dir, known_queues, known_sounds)
            if message:
                code, text = message
                problems.append(doc.problem(ref.path, code, text))
    return problems


def _acd_overflows(flow: Flow, queue_overflows: Mapping[str, str]) -> list[tuple[QueueNode, str]]:
    """Queue nodes without an `overflow:` of their own, and the node acd.yaml overflows their queue to."""
    return [(node, queue_overflows[node.queue.source]) for node in flow.nodes.values()
            if isinstance(node, QueueNode) and not node.overflow and node.queue.is_fixed
            and node.queue.source in queue_overflows]


def _check_overflow_nodes(flow: Flow, queue_overflows: Mapping[str, str]) -> list[Problem]:
    assert flow.doc is not None
    return [flow.doc.problem(
        ("nodes", node.id, "queue"), "flow.no-overflow-node",
        f"acd.yaml overflows queue '{node.queue.source}' to '{target}', which is not a node of this flow "
        "(the call would end there): add the node or an overflow: target", severity=WARNING)
        for node, target in _acd_overflows(flow, queue_overflows) if target not in flow.nodes]


def _check_speech(flow: Flow, speech_languages: Collection[str]) -> list[Problem]:
    language = flow.language or DEFAULT_LANGUAGE
    if matching_language(language, speech_languages):
        return []
    if speech_languages:
        severity, message = ERROR, (f"listens in '{language}', which has no speech model "
                                    f"(speech.models has: {', '.join(sorted(speech_languages))})")
    else:
        severity, message = WARNING, "speech is off (no speech.models configured): this node takes keys only"
    assert flow.doc is not None
    return [flow.doc.problem(("nodes", node.id), "flow.no-speech-model", message, severity=severity, on_key=True)
            for node in flow.nodes.values() if node.listens]


def _reference_problem(ref: Reference, flows: LoadResult, broken: dict[str, set[str]], failed_files: list[Path],
                       flows_dir: Path, known_queues: set[str] | None,
                       known_sounds: set[str] | None) -> tuple[str, str] | None:
    if ref.kind == "schedule" and ref.name not in flows.schedules:
        defined = f"defined: {', '.join(sorted(flows.schedules))}" if flows.schedules \
            else f"no {SCHEDULES_FILE} beside the flows"
        return "flow.unknown-schedule", f"unknown schedule '{ref.name}' ({defined})"
    if ref.kind == "queue" and known_queues is not None and ref.name not in known_queues:
        return "flow.unknown-queue", f"unknown queue '{ref.name}' (the ACD has: {', '.join(sorted(known_queues))})"
    if ref.kind == "flow":
        target = flows.flows.get(ref.name)
        if target is None:
            failed = [str(f.name) for f in failed_files if f.stem == ref.name]
            hint = f" ({failed[0]} has errors)" if failed else ""
            return "flow.unknown-flow", f"unknown flow '{ref.name}'{hint}"
        if ref.node and ref.node not in target.nodes and ref.node not in broken.get(ref.name, set()):
            return "flow.unknown-target", f"flow '{ref.name}' has no node '{ref.node}'"
    if ref.kind == "sound":
        return _sound_problem(ref.name, flows_dir, known_sounds)
    return None


def _sound_problem(name: str, flows_dir: Path, known_sounds: set[str] | None) -> tuple[str, str] | None:
    if is_unplayable_audio(name):
        return "flow.unplayable-sound", (f"sound file '{name}': Asterisk plays {', '.join(SOUND_FILE_EXTENSIONS)} "
                                         f"files (convert it, e.g. sox {name} -r 8000 -c 1 "
                                         f"{PurePosixPath(name).with_suffix('.wav')})")
    if is_sound_file(name):
        relative = PurePosixPath(name)
        if relative.is_absolute() or ".." in relative.parts:
            return "flow.bad-sound-path", f"sound file '{name}' must be a path inside the flows directory"
        if not (flows_dir / relative).is_file():
            return "flow.missing-sound", f"sound file '{name}' not found in {flows_dir}"
        return None
    if known_sounds is not None and name not in known_sounds:
        return "flow.unknown-sound", f"unknown sound '{name}'"
    return None
