"""`queue`: hand the caller to the ACD, asking for skills, a language and a priority.

    billing:
      queue: billing                      # or a template: "{chosen_queue}"
      skills: {billing: 2, french: 1}     # minimum levels 1-5; each may be an =expression
      language: "{language}"              # default: the call's language
      priority: 0                         # higher is served first; may be an =expression
      customer: "{account}"               # default: the caller's number
      overflow: voicemail                 # optional: where to go when the queue overflows
      abandoned: goodbye                  # optional: when the caller left the queue

On overflow the node's own `overflow:` wins; else the queue's `overflow:` in acd.yaml, when
the calling flow has a node of that name. Without a matching target the flow ends when the
queue is done with the call. The call's variables go along to the agent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ivr.errors import FlowRuntimeError

from ..context import RunContext
from ..expr import text_of
from ..languages import is_known_language
from ..model import End, Next, Node, ParseContext, Reference, Target
from ..port import QueueRequest
from ..values import Value, number_or_computed
from . import register
from .common import TARGET, TEXT_VALUE, node_schema

SKILL_LEVELS = range(1, 6)


@register
@dataclass
class Queue(Node):
    kind = "queue"
    ends_flow = True
    id: str
    queue: Value
    skills: dict[str, Value] = field(default_factory=dict)
    language: Value | None = None
    priority: Value = field(default_factory=lambda: Value(0))
    customer: Value | None = None
    overflow: str | None = None
    abandoned: str | None = None

    @classmethod
    def schema(cls) -> dict:
        return node_schema("queue", TEXT_VALUE, {
            "skills": {"type": "object", "propertyNames": {"pattern": r"^[A-Za-z0-9_-]+$",
                                                           "x-expected": "a skill name"},
                       "additionalProperties": number_or_computed(1, 5)},
            "language": TEXT_VALUE,
            "priority": number_or_computed(),
            "customer": TEXT_VALUE,
            "overflow": TARGET,
            "abandoned": TARGET,
        })

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Queue | None:
        def value(path: tuple[str, ...], source: Any) -> Value | None:
            return at.attempt(at.path(*path), lambda: Value.parse(source))

        parts = {key: value((key,), raw[key]) for key in ("queue", "language", "priority", "customer") if key in raw}
        skills = {name: value(("skills", name), level) for name, level in raw.get("skills", {}).items()}
        if None in parts.values() or None in skills.values():
            return None
        language = parts.get("language")
        if language is not None and language.is_fixed and not is_known_language(language.source):
            at.error(at.path("language"), "flow.unknown-language", f"unknown language code '{language.source}'")
            return None
        return cls(node_id, parts["queue"], skills, language, parts.get("priority", Value(0)),
                   parts.get("customer"), raw.get("overflow"), raw.get("abandoned"))

    def targets(self) -> list[Target]:
        return [Target(node, ("nodes", self.id, key))
                for key, node in (("overflow", self.overflow), ("abandoned", self.abandoned)) if node]

    def references(self) -> list[Reference]:
        return [Reference("queue", self.queue.source, ("nodes", self.id, "queue"))] if self.queue.is_fixed else []

    async def run(self, ctx: RunContext) -> Next:
        request = self.request(ctx)
        ctx.note(f"queue {request.queue} skills={request.skills} language={request.language} "
                 f"priority={request.priority}")
        result = await ctx.port.queue(request)
        ctx.note(f"queue result: {result.outcome}")
        if result.outcome == "overflow":
            target = self.overflow or self.acd_overflow_node(ctx, result.overflow_to)
            if target:
                return target
        if result.outcome == "abandoned" and self.abandoned:
            return self.abandoned
        return End("queued", queue=request, queue_result=result.outcome)

    @staticmethod
    def acd_overflow_node(ctx: RunContext, target: str | None) -> str | None:
        """The queue's overflow target from acd.yaml, when the calling flow has such a node."""
        if target is None:
            return None
        if ctx.flow is not None and target in ctx.flow.nodes:
            ctx.note(f"overflow to {target} (acd.yaml)")
            return target
        ctx.note(f"acd.yaml overflows to {target}, which is not a node of this flow: the flow ends")
        return None

    def request(self, ctx: RunContext) -> QueueRequest:
        skills = {}
        for name, value in self.skills.items():
            level = value.get(ctx.lookup)
            level = int(level) if isinstance(level, str) and level.isdigit() else level
            if not isinstance(level, int) or isinstance(level, bool) or level not in SKILL_LEVELS:
                raise FlowRuntimeError(f"skill '{name}' level must be 1-5, got {level!r}", "flow.bad-skill-level")
            skills[name] = level
        priority = self.priority.get(ctx.lookup)
        try:
            priority = int(priority)
        except (TypeError, ValueError):
            raise FlowRuntimeError(f"priority must be a whole number, got {priority!r}", "flow.bad-priority") from None
        language = text_of(self.language.get(ctx.lookup)) if self.language else ctx.port.language
        queue = text_of(self.queue.get(ctx.lookup))
        if not queue:
            raise FlowRuntimeError("the queue name is empty", "flow.unknown-queue")
        customer = text_of(self.customer.get(ctx.lookup)) if self.customer else ctx.port.caller
        return QueueRequest(queue=queue, skills=skills, language=language, priority=priority,
                            customer=customer, data=dict(ctx.variables))
