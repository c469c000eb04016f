"""bench/shape.py's figures: per side, as ratios, and the one-line summary."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ivr.testing.sipp import SippResult
from wire import Wire

TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """CPU of a process, its threads and its reaped children (utime, stime, cutime, cstime)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / TICK


def machine_busy() -> float:
    """CPU seconds the whole machine spent busy (every process, every core)."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values[:8]) - idle) / TICK


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


@dataclass
class Phase:
    result: SippResult
    wire: Wire
    cpu: dict[str, float]   # process name -> CPU seconds over the phase
    elapsed_s: float
    busy: float             # the whole machine's busy CPU seconds over the phase
    pcap: Path
    failed_in_controller: int = 0
    serve_log: Path | None = None

    @property
    def placed(self) -> int:
        return self.result.successful + self.result.failed

    @property
    def ok(self) -> int:
        return min(self.result.successful, self.wire.agent_answered)

    @property
    def failed(self) -> int:
        return self.placed - self.ok

    @property
    def cpu_per_call(self) -> float:
        return sum(self.cpu.values()) / max(self.placed, 1)

    def lines(self, side: str) -> list[str]:
        d2p, k2a = self.wire.dtmf_to_prompt_ms, self.wire.key_to_answer_ms
        others = self.busy - sum(self.cpu.values())
        return [
            f"{side}: calls={self.placed} ok={self.ok} failed={self.failed} (sipp failed {self.result.failed}, "
            f"agent answered {self.wire.agent_answered}, controller call.failed {self.failed_in_controller}) "
            f"peak_concurrent={self.result.peak_concurrent}",
            f"{side}: dtmf_to_prompt_ms p50={percentile(d2p, .5):.2f} p99={percentile(d2p, .99):.2f} "
            f"max={max(d2p, default=float('nan')):.2f} (n={len(d2p)})",
            f"{side}: key_to_agent_answer_ms p50={percentile(k2a, .5):.1f} p99={percentile(k2a, .99):.1f} "
            f"(n={len(k2a)}; includes the 1.1 s hello-world both sides play before queueing)",
            f"{side}: cpu_s_per_call={self.cpu_per_call:.4f} ("
            + ", ".join(f"{name} {seconds / max(self.placed, 1):.4f}" for name, seconds in self.cpu.items())
            + f") over {self.elapsed_s:.0f} s; machine busy {self.busy / self.elapsed_s:.2f} cores, of which "
            f"outside these processes {others / self.elapsed_s:.2f} (SIPp, dumpcap, other users)",
        ]


def report(phases: dict[str, Phase], concurrent: int) -> int:
    for side, phase in phases.items():
        print("\n".join(phase.lines(side)))
    ours, native = phases.get("ours"), phases.get("native")
    if not (ours and native):
        return 0 if all(p.failed == 0 for p in phases.values()) else 1
    p50 = percentile(ours.wire.dtmf_to_prompt_ms, .5) / percentile(native.wire.dtmf_to_prompt_ms, .5)
    p99 = percentile(ours.wire.dtmf_to_prompt_ms, .99) / percentile(native.wire.dtmf_to_prompt_ms, .99)
    k2a = percentile(ours.wire.key_to_answer_ms, .99) / percentile(native.wire.key_to_answer_ms, .99)
    cpu = ours.cpu_per_call / native.cpu_per_call
    print(f"ratios ours/native: dtmf_to_prompt p50 {p50:.2f} p99 {p99:.2f}; key_to_agent_answer p99 {k2a:.2f}; "
          f"cpu per call {cpu:.2f}")
    print(f"ours_failed={ours.failed} native_failed={native.failed} concurrent={concurrent} "
          f"ours_peak={ours.result.peak_concurrent} native_peak={native.result.peak_concurrent} "
          f"p99_ratio={p99:.2f} cpu_ratio={cpu:.2f}")
    return 0 if ours.failed == native.failed == 0 else 1
