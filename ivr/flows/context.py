"""What a running node sees: the call (through its CallPort), the call's variables, the trace.

Names in expressions and templates read, in order: the built-ins (`caller`, `dialed`,
`language`, `time.*`), then the call's variables. Dotted names walk into mappings
(`account.balance`) and lists (`items.0`). Anything undefined reads as null.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from ivr.errors import FlowRuntimeError

from .languages import is_known_language
from .port import CallPort, Heard, Prompt
from .prompt_specs import PromptSpec
from .trace import HEAR, KEY, NO_KEY, NOTE, SAID, Trace

if TYPE_CHECKING:
    from .model import Flow, FlowSet

READ_ONLY = frozenset({"caller", "dialed", "time"})
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def time_fields(now: datetime) -> dict[str, Any]:
    return {"hour": now.hour, "minute": now.minute, "weekday": WEEKDAYS[now.weekday()],
            "date": now.date().isoformat(), "hhmm": now.strftime("%H:%M")}


class RunContext:
    def __init__(self, flowset: FlowSet, port: CallPort, variables: dict[str, Any], trace: Trace):
        self.flowset = flowset
        self.port = port
        self.variables = variables
        self.trace = trace
        self.flow: Flow | None = None
        self.node_id = ""
        self.recordings: list[str] = []

    # -- data ----------------------------------------------------------------
    def lookup(self, path: tuple[str, ...]) -> Any:
        root = path[0]
        if root == "caller":
            value: Any = self.port.caller
        elif root == "dialed":
            value = self.port.dialed
        elif root == "language":
            value = self.port.language
        elif root == "time":
            value = time_fields(self.port.now())
        else:
            value = self.variables.get(root)
        for part in path[1:]:
            if isinstance(value, dict):
                value = value.get(part)
            elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
                value = value[int(part)]
            else:
                return None
        return value

    def assign(self, name: str, value: Any) -> None:
        """Set a variable (`account.balance` creates nested mappings); `language` switches the call's language."""
        if name == "language":
            self.set_language(value)
            return
        parts = name.split(".")
        if parts[0] in READ_ONLY:
            raise FlowRuntimeError(f"'{parts[0]}' is read-only", "flow.read-only")
        scope = self.variables
        for part in parts[:-1]:
            inner = scope.get(part)
            if not isinstance(inner, dict):
                inner = scope[part] = {}
            scope = inner
        scope[parts[-1]] = value

    def set_language(self, code: Any) -> None:
        if not isinstance(code, str) or not is_known_language(code):
            raise FlowRuntimeError(f"unknown language {code!r}", "flow.unknown-language")
        self.port.language = code
        self.note(f"language is now {code}")

    # -- the caller ----------------------------------------------------------
    def render(self, specs: list[PromptSpec]) -> list[Prompt]:
        return [spec.render(self.port.language, self.lookup) for spec in specs]

    async def prompt(self, specs: list[PromptSpec], *, interruptible: bool = False) -> str | None:
        if not specs:
            return None
        prompts = self.render(specs)
        for prompt in prompts:
            self.trace.add(HEAR, self.flow_name, self.node_id,
                           f'"{prompt.say}"' if prompt.say is not None else f"[{prompt.play}]")
        key = await self.port.prompt(prompts, interruptible=interruptible)
        if key is not None:
            self.trace.add(KEY, self.flow_name, self.node_id, f"{key} (during the prompt)")
        return key

    async def read_digit(self, timeout_s: float) -> str | None:
        key = await self.port.read_digit(timeout_s)
        if key is None:
            self.trace.add(NO_KEY, self.flow_name, self.node_id, f"{timeout_s:g} s")
        else:
            self.trace.add(KEY, self.flow_name, self.node_id, key)
        return key

    def can_listen(self) -> bool:
        return self.port.can_listen()

    async def listen(self, specs: list[PromptSpec], grammar: list[str] | None, timeout_s: float) -> Heard:
        """Play `specs` and listen for an answer: a key, words (within `grammar` if given) or silence."""
        prompts = self.render(specs)
        for prompt in prompts:
            self.trace.add(HEAR, self.flow_name, self.node_id,
                           f'"{prompt.say}"' if prompt.say is not None else f"[{prompt.play}]")
        heard = await self.port.listen(grammar, timeout_s, prompts=prompts)
        if heard.key is not None:
            self.trace.add(KEY, self.flow_name, self.node_id, heard.key)
        elif heard.text:
            self.trace.add(SAID, self.flow_name, self.node_id, f'"{heard.text}" (confidence {heard.confidence:g})')
        else:
            self.trace.add(NO_KEY, self.flow_name, self.node_id, f"{timeout_s:g} s, nothing said")
        return heard

    def note(self, text: str) -> None:
        self.trace.add(NOTE, self.flow_name, self.node_id, text)

    @property
    def flow_name(self) -> str:
        return self.flow.name if self.flow else ""
