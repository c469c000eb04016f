"""Runs a flow on any CallPort (a live call or the simulator) and says how it ended.

    runner = FlowRunner(load_result, port, variables={"vip": True})
    outcome = await runner.run("support-line")            # at the flow's start node
    outcome = await runner.run("after-hours", "message")  # or at a given node

The run can be cancelled at any await (the live engine cancels it when the caller hangs
up); cancellation is never swallowed. A flow that keeps going for more than `max_steps`
nodes ends with an error outcome instead of looping forever.

A node that raises (anything but cancellation) is logged with its traceback on one line and
counted in `NODE_FAILURES`; the run goes on at the flow's `failed:` node, once per run. A
second failure, or one in a flow without `failed:`, ends the run with an ERROR outcome.
"""
from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ivr import log
from ivr.errors import FlowError

from .context import RunContext
from .model import End, Flow, FlowSet, Jump
from .port import CallPort, QueueRequest
from .trace import NODE, NOTE, Trace

DEFAULT_MAX_STEPS = 500
QUEUED, TRANSFERRED, HANGUP, ERROR = "queued", "transferred", "hangup", "error"
CRASHED = "flow.node-crashed"  # the error code of a node that raised something other than a FlowError
NODE_FAILURES: Counter[str] = Counter()  # "flow:node" -> how many runs a node failed in, since start


@dataclass
class Outcome:
    kind: str  # QUEUED, TRANSFERRED, HANGUP or ERROR
    flow: str  # where the run ended
    node: str
    queue: QueueRequest | None = None  # QUEUED: what was asked of the ACD
    queue_result: str | None = None  # QUEUED: 'answered', 'abandoned' or 'overflow'
    transfer_to: str | None = None  # TRANSFERRED: the destination
    recordings: list[str] = field(default_factory=list)  # messages recorded on the way
    error: str | None = None  # ERROR: what went wrong, and its stable code
    error_code: str | None = None
    variables: dict[str, Any] = field(default_factory=dict)
    trace: Trace = field(default_factory=Trace)
    steps: int = 0

    @property
    def visited(self) -> list[str]:
        return self.trace.visited

    def describe(self) -> str:
        """One line: how the call ended."""
        if self.kind == QUEUED and self.queue:
            q = self.queue
            skills = ", ".join(f"{name}>={level}" for name, level in q.skills.items()) or "none"
            text = f"queued: {q.queue} (skills {skills}; language {q.language}; priority {q.priority}) " \
                   f"-> {self.queue_result}"
        elif self.kind == TRANSFERRED:
            text = f"transferred: {self.transfer_to}"
        elif self.kind == HANGUP:
            text = "hangup"
        else:
            text = f"error: {self.error} [{self.error_code}] at {self.flow}:{self.node}"
        if self.recordings:
            text += f" (recorded: {', '.join(self.recordings)})"
        return text


class FlowRunner:
    def __init__(self, flows: FlowSet, port: CallPort, *, variables: dict[str, Any] | None = None,
                 language: str | None = None, max_steps: int = DEFAULT_MAX_STEPS):
        """`language`, when given, is the caller's known language: it wins over the entry flow's."""
        self.flows = flows
        self.language = language
        self.port = port
        self.initial_variables = dict(variables or {})
        self.max_steps = max_steps
        self.trace: Trace | None = None

    async def run(self, flow: str, node: str | None = None) -> Outcome:
        """Run from `flow`'s start (or `node`) until the call is queued, transferred or hung up."""
        trace = self.trace = Trace(entry_flow=flow)  # readable after a hang-up cancelled the run
        ctx = RunContext(self.flows, self.port, {}, trace)
        flow_name, node_id, steps = flow, node, 0
        recovered = False
        try:
            entry = self._flow(flow)
            if self.language or entry.language:
                self.port.language = self.language or entry.language
            ctx.variables.update(copy.deepcopy(entry.variables))
            ctx.variables.update(copy.deepcopy(self.initial_variables))
            current = entry
            while True:
                node_id = node_id or current.start
                step_node = current.nodes.get(node_id)
                if step_node is None:
                    raise FlowError(f"flow '{flow_name}' has no node '{node_id}'", "flow.unknown-target")
                if steps == self.max_steps:
                    raise FlowError(f"more than {self.max_steps} steps: the flow seems to loop", "flow.max-steps")
                steps += 1
                ctx.flow, ctx.node_id = current, node_id
                trace.add(NODE, flow_name, node_id, step_node.kind)
                try:
                    after = await step_node.run(ctx)
                except Exception as exc:  # noqa: BLE001 - one node's fault must not drop the call
                    self._failed(flow_name, node_id, exc)
                    if recovered or not current.failed:
                        return self._failure(ctx, steps, exc, (flow_name, node_id))
                    recovered = True
                    trace.add(NOTE, flow_name, node_id, f"failed: {_reason(exc)}; going on at {current.failed}")
                    ctx.variables["flow_error"] = _reason(exc)
                    after = current.failed
                if isinstance(after, End):
                    return self._outcome(ctx, after.kind, steps, queue=after.queue, queue_result=after.queue_result,
                                         transfer_to=after.transfer_to)
                if isinstance(after, Jump):
                    flow_name, node_id = after.flow, after.node
                    current = self._flow(flow_name)
                    for name, value in current.variables.items():
                        ctx.variables.setdefault(name, copy.deepcopy(value))
                else:
                    node_id = after
        except FlowError as exc:
            return self._outcome(ctx, ERROR, steps, error=str(exc), error_code=exc.code,
                                 where=(flow_name, node_id or ""))

    def _failed(self, flow: str, node: str, exc: Exception) -> None:
        NODE_FAILURES[f"{flow}:{node}"] += 1
        log.error("flow.node_failed", flow=flow, node=node, exc=exc)

    def _failure(self, ctx: RunContext, steps: int, exc: Exception, where: tuple[str, str]) -> Outcome:
        code = exc.code if isinstance(exc, FlowError) else CRASHED
        return self._outcome(ctx, ERROR, steps, error=_reason(exc), error_code=code, where=where)

    def _flow(self, name: str) -> Flow:
        flow = self.flows.flows.get(name)
        if flow is None:
            raise FlowError(f"unknown flow '{name}'", "flow.unknown-flow")
        return flow

    def _outcome(self, ctx: RunContext, kind: str, steps: int, *, where: tuple[str, str] | None = None,
                 **details: Any) -> Outcome:
        flow, node = where or (ctx.flow_name, ctx.node_id)
        return Outcome(kind=kind, flow=flow, node=node, recordings=list(ctx.recordings),
                       variables=dict(ctx.variables), trace=ctx.trace, steps=steps, **details)


def _reason(exc: Exception) -> str:
    return str(exc) if isinstance(exc, FlowError) else f"{type(exc).__name__}: {exc}"
