"""What happened during a run, step by step: nodes entered, prompts heard, keys read."""
from __future__ import annotations

from dataclasses import dataclass, field

NODE = "node"
HEAR = "hear"
KEY = "key"
NO_KEY = "no-key"
SAID = "said"
NOTE = "note"


@dataclass(frozen=True)
class Step:
    kind: str  # NODE, HEAR, KEY, NO_KEY, SAID or NOTE
    flow: str
    node: str
    text: str = ""


@dataclass
class Trace:
    steps: list[Step] = field(default_factory=list)
    entry_flow: str = ""

    def add(self, kind: str, flow: str, node: str, text: str = "") -> None:
        self.steps.append(Step(kind, flow, node, text))

    @property
    def visited(self) -> list[str]:
        """Node ids in order; nodes of flows other than the entry flow read `flow:node`."""
        return [self.label(step) for step in self.steps if step.kind == NODE]

    @property
    def heard(self) -> list[str]:
        return [step.text for step in self.steps if step.kind == HEAR]

    def label(self, step: Step) -> str:
        return step.node if step.flow == self.entry_flow else f"{step.flow}:{step.node}"

    def lines(self) -> list[str]:
        """A readable account of the run, one line per step (keys typed in a row share a line)."""
        out: list[str] = []
        typed = ""
        for index, step in enumerate(self.steps):
            if step.kind == KEY and len(step.text) == 1:
                typed += step.text
                after = self.steps[index + 1] if index + 1 < len(self.steps) else None
                if after is None or after.kind != KEY or len(after.text) != 1 or after.node != step.node:
                    out.append(f"   presses: {typed}")
                    typed = ""
            elif step.kind == NODE:
                out.append(f"-> {self.label(step)} ({step.text})")
            elif step.kind == HEAR:
                out.append(f"   hears: {step.text}")
            elif step.kind == KEY:
                out.append(f"   presses: {step.text}")
            elif step.kind == NO_KEY:
                out.append(f"   presses nothing ({step.text})")
            elif step.kind == SAID:
                out.append(f"   says: {step.text}")
            else:
                out.append(f"   {step.text}")
        return out
