"""`ivr serve` as a real child process, for tests and benchmarks that kill it (SIGKILL) and start another.

    with ServeProcess.configured(config, workdir, flows_dir=..., routes={"100": "queue-test"},
                                 acd_file=..., store_url="sqlite:///...") as serve:
        serve.start()                       # returns once the controller says event=ari.connected
        serve.control("POST", "/agents/agent2/login")
        serve.kill()                        # SIGKILL: no cleanup, calls stay in the Stasis app
        serve.start()                       # a new controller on the same config, store and log

The config is written as a YAML file beside its log (`IVR_CONFIG`), from the loaded `Config`
(every path already absolute); IVR_* environment overrides of the parent still apply on top.
The log of every controller started from one `ServeProcess` is appended to `serve.log`.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from ..config import Config
from ..errors import ConfigError
from ..live.http_guard import read_token

ROOT = Path(__file__).resolve().parents[2]
LOGFMT = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|\S*)')


def parse_line(line: str) -> dict[str, str]:
    """One logfmt line as a dict (quoted values unquoted)."""
    return {key: (json.loads(value) if value.startswith('"') else value) for key, value in LOGFMT.findall(line)}


def until(check, timeout: float, what: str, interval: float = 0.1):
    """Poll `check` until it returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


class ServeProcess:
    def __init__(self, config_path: Path, config: Config, workdir: Path):
        self.config_path, self.config, self.workdir = config_path, config, workdir
        self.log_path = workdir / "serve.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0  # controllers started so far

    @classmethod
    def configured(cls, config: Config, workdir: Path, **changes: Any) -> "ServeProcess":
        """Write `config` with `changes` (flows_dir, routes, acd_file, store_url, control_port,
        log_level) as a config file in `workdir`."""
        workdir.mkdir(parents=True, exist_ok=True)
        flows = dataclasses.replace(config.flows, dir=str(changes.get("flows_dir", config.flows.dir)),
                                    routes=dict(changes.get("routes", config.flows.routes)))
        acd = dataclasses.replace(config.acd, file=str(changes.get("acd_file", config.acd.file)),
                                  store_url=changes.get("store_url", config.acd.store_url))
        control = dataclasses.replace(config.control, port=changes.get("control_port", config.control.port))
        log = dataclasses.replace(config.log, level=changes.get("log_level", config.log.level))
        config = dataclasses.replace(config, flows=flows, acd=acd, control=control, log=log)
        raw = dataclasses.asdict(config)
        raw.pop("source")
        path = workdir / "ivr.yaml"
        path.write_text(yaml.safe_dump(raw, sort_keys=False))
        return cls(path, config, workdir)

    # -- the process ---------------------------------------------------------------------------
    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def start(self, timeout: float = 30.0, env: dict[str, str] | None = None,
              command: list[str] | None = None) -> "ServeProcess":
        """Start a controller (`command`, default `python -m ivr serve`) and wait until it has
        connected to ARI (and re-attached calls)."""
        if self.proc and self.proc.poll() is None:
            raise RuntimeError(f"ivr serve is already running (pid {self.proc.pid})")
        connected_before = self.count("ari.connected")
        with self.log_path.open("a") as log_file:
            log_file.write(f"# --- controller {self.starts + 1} ---\n")
            log_file.flush()
            self.proc = subprocess.Popen(
                command or [sys.executable, "-m", "ivr", "serve"], cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT,
                env={**os.environ, **self._pinned(), **(env or {}), "IVR_CONFIG": str(self.config_path)})
        self.starts += 1

        def connected() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"ivr serve exited {self.proc.returncode}: {self.tail()}")
            return self.count("ari.connected") > connected_before
        until(connected, timeout, f"ivr serve to connect to ARI; log: {self.log_path}")
        if self.config.acd.file and Path(self.config.acd.file).exists():
            until(self._control_up, timeout, "the control API to answer")
        return self

    def _pinned(self) -> dict[str, str]:
        """What this config changed wins over the parent's IVR_* overrides of the same keys."""
        c = self.config
        return {"IVR_FLOWS_DIR": c.flows.dir, "IVR_ACD_FILE": c.acd.file, "IVR_ACD_STORE_URL": c.acd.store_url,
                "IVR_CONTROL_PORT": str(c.control.port), "IVR_CONTROL_TOKEN_FILE": c.control.token_file,
                "IVR_LOG_LEVEL": c.log.level}

    def _control_up(self) -> bool:
        try:
            self.control("GET", "/agents")
            return True
        except (OSError, urllib.error.URLError, ConfigError):  # not listening, or no token written yet
            return False

    def kill(self) -> None:
        """SIGKILL: the controller gets no chance to clean anything up."""
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        """SIGINT (like Ctrl-C), then SIGKILL if it does not go within 10 s."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def signal_debug(self) -> None:
        """SIGUSR2: a controller run by bench/soak_serve.py takes a tracemalloc snapshot."""
        os.kill(self.pid, signal.SIGUSR2)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def rss_kb(self) -> int:
        """Resident memory of the running controller, from /proc/<pid>/status."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError(f"no VmRSS for pid {self.pid}")

    def __enter__(self) -> "ServeProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what it says --------------------------------------------------------------------------
    def text(self) -> str:
        return self.log_path.read_text() if self.log_path.exists() else ""

    def tail(self, chars: int = 3000) -> str:
        return self.text()[-chars:]

    def events(self, name: str | None = None, **fields: str) -> list[dict[str, str]]:
        """Parsed log lines of event `name` (all when None) whose fields match."""
        found = []
        for line in self.text().splitlines():
            if "event=" not in line or (name and f"event={name} " not in line + " "):
                continue
            parsed = parse_line(line)
            if all(parsed.get(key) == value for key, value in fields.items()):
                found.append(parsed)
        return found

    def count(self, name: str) -> int:
        return self.text().count(f"event={name} ") + self.text().count(f"event={name}\n")

    def control(self, method: str, path: str) -> Any:
        """One request to the control API (`ivr agents`/`ivr queues`); the decoded JSON answer."""
        url = f"http://{self.config.control.host}:{self.config.control.port}{path}"
        token = read_token(Path(self.config.control.token_file))
        request = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None,
                                         headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.loads(response.read() or b"null")

    def agents(self) -> dict[str, str]:
        """agent id -> state, as the running controller holds them."""
        return {agent["id"]: agent["state"] for agent in self.control("GET", "/agents")}

    def waiting(self, queue: str) -> list[str]:
        """Customers waiting in `queue`, in order, as the running controller holds them."""
        return [call["customer"] for call in self.control("GET", f"/queues/{queue}")["calls"]]
