"""The flow model: flows, their nodes, and what a node returns when it has run."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from ivr.errors import FlowError

from .port import QueueRequest
from .problems import ERROR, Problem
from .source import Path_, SourceDoc

if TYPE_CHECKING:
    from .context import RunContext
    from .schedule import Schedule


@dataclass(frozen=True)
class Target:
    """A node id this node may go to, and where the flow file names it."""

    node: str
    path: Path_


@dataclass(frozen=True)
class Reference:
    """Something outside the node that must exist: a `schedule`, `queue`, `sound` or `flow`."""

    kind: str
    name: str
    path: Path_
    node: str | None = None  # for a flow: the node to enter, when not its start


@dataclass(frozen=True)
class Jump:
    """Continue in another flow (at its start, or at `node`)."""

    flow: str
    node: str | None = None


@dataclass(frozen=True)
class End:
    """The flow is over: the call was queued, transferred or hung up."""

    kind: str  # "queued" | "transferred" | "hangup"
    queue: QueueRequest | None = None
    queue_result: str | None = None
    transfer_to: str | None = None


Next = str | Jump | End  # a node id in the same flow, another flow, or the end


class Node:
    """Extension point: one kind of flow node.

    A node kind is a class registered with `ivr.flows.nodes.register`. It declares:

    - `kind`: the key that marks a node of this kind in YAML (`say`, `menu`, ...);
    - `schema()`: the JSON Schema of the whole node mapping (the loader validates it first);
    - `parse(node_id, raw, at)`: build the node from schema-valid data; report semantic
      problems (bad regex, bad expression...) through `at`;
    - `targets()` and `references()`: for the loader's graph and reference checks;
    - `ends_flow`: whether a call may leave the flow here (hangup, queue, transfer, goto);
    - `listens`: whether the node uses speech recognition (needs a model for the language);
    - `run(ctx)`: act on the call only through `ctx` (which wraps the `CallPort`) and
      return the next node id, a `Jump` or an `End`. It must not swallow cancellation.
    """

    kind: ClassVar[str]
    ends_flow: ClassVar[bool] = False
    id: str

    @classmethod
    def schema(cls) -> dict:
        raise FlowError(f"node kind {cls.kind} has no schema", "flow.internal")

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Node:
        raise FlowError(f"node kind {cls.kind} cannot parse", "flow.internal")

    def targets(self) -> list[Target]:
        return []

    def references(self) -> list[Reference]:
        return []

    @property
    def listens(self) -> bool:
        return False

    async def run(self, ctx: RunContext) -> Next:
        raise FlowError(f"node kind {self.kind} cannot run", "flow.internal")


class ParseContext:
    """Handed to `Node.parse`: paths for marks, and a way to report problems."""

    def __init__(self, doc: SourceDoc, node_id: str, problems: list[Problem]):
        self.doc = doc
        self.node_id = node_id
        self.base: Path_ = ("nodes", node_id)
        self.problems = problems

    def path(self, *parts: str | int) -> Path_:
        return self.base + parts

    def error(self, path: Path_, code: str, message: str) -> None:
        self.problems.append(self.doc.problem(path, code, message, severity=ERROR))

    def attempt(self, path: Path_, build: Callable[[], Any]) -> Any:
        """Run `build`; a FlowError it raises becomes a problem at `path` and the result None."""
        try:
            return build()
        except FlowError as exc:
            self.error(path, exc.code, str(exc))
            return None


@dataclass(frozen=True)
class FlowTest:
    """A test written in a flow file (see `ivr.flows.flowtests`)."""

    name: str
    spec: dict[str, Any]
    path: Path_


@dataclass
class Flow:
    name: str
    file: str
    start: str
    nodes: dict[str, Node]
    failed: str | None = None  # where a run goes on when a node raises (see runner)
    language: str | None = None  # the language a call starts in when it enters here
    description: str = ""
    variables: dict[str, Any] = field(default_factory=dict)
    tests: list[FlowTest] = field(default_factory=list)
    doc: SourceDoc | None = None

    def __repr__(self) -> str:
        return f"Flow({self.name!r}, {len(self.nodes)} nodes)"


@dataclass
class FlowSet:
    """Flows by name, and the named schedules they use."""

    flows: dict[str, Flow] = field(default_factory=dict)
    schedules: dict[str, Schedule] = field(default_factory=dict)
    queue_overflows: dict[str, str] = field(default_factory=dict)  # queue -> flow node, from acd.yaml

    @property
    def node_count(self) -> int:
        return sum(len(flow.nodes) for flow in self.flows.values())
