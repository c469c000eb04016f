"""What the restart tests share: `ivr serve` as a process, callers, agent phones, the store's rows,
and a throwaway PostgreSQL cluster that can be stopped and started under a running controller."""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest
import sqlalchemy as sa

from acd.store import agent_states, interactions
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.scripted_caller import caller_scenario
from ivr.testing.serve_process import ServeProcess, until

HERE = Path(__file__).parent
FLOWS = HERE / "restart_flows"
ACD_FILE = HERE / "acd-test.yaml"
OPEN = ("waiting", "offered", "answered")


def free_tcp_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Rig:
    """A controller process on the restart flows, its callers and agent phones, and its store."""

    def __init__(self, config, workdir: Path, store_url: str):
        self.config, self.store_url = config, store_url
        self.serve = ServeProcess.configured(
            config, workdir, flows_dir=FLOWS, acd_file=ACD_FILE, store_url=store_url,
            routes={"100": "restart-test", "199": "echo-digit"}, control_port=free_tcp_port())
        self.engine = sa.create_engine(store_url, pool_pre_ping=True)
        self.phones: list[AgentPhone] = []
        self.callers: list = []
        self.target = f"127.0.0.1:{config.sip.port}"

    def phone(self, agent: str, answer_after_ms: int | None = 500) -> AgentPhone:
        password = next(a.password for a in self.config.agents if a.id == agent)
        phone = AgentPhone(agent, password, target=self.target, answer_after_ms=answer_after_ms).start()
        self.phones.append(phone)
        return phone

    def login(self, agent: str) -> None:
        self.serve.control("POST", f"/agents/{agent}/login")

    def call(self, caller: str, steps: list[str], end: str = "hangup", service: str = "100"):
        started = sipp.start_calls(caller_scenario(steps, end=end, bye_timeout_ms=60000), target=self.target,
                                   service=service, caller=caller, timeout_s=120)
        self.callers.append(started)
        return started

    def finish(self, started, timeout: float = 120.0) -> sipp.SippResult:
        self.callers.remove(started)
        return sipp.finish(*started, timeout)

    def stop_callers(self) -> None:
        for proc, _ in self.callers:
            if proc.poll() is None:
                proc.kill()
            proc.communicate()
        self.callers.clear()

    def stop_phones(self) -> None:
        for phone in self.phones:
            phone.stop()
        self.phones.clear()

    # -- the store -------------------------------------------------------------------------
    def rows(self) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(sa.select(interactions).order_by(interactions.c.seq)))

    def row(self, customer: str):
        return next((row for row in self.rows() if row.customer == customer), None)

    def stored_agents(self) -> dict[str, str]:
        with self.engine.connect() as connection:
            return {row.agent_id: row.state for row in connection.execute(sa.select(agent_states))}

    def open_rows(self) -> list:
        return [(row.customer, row.status) for row in self.rows() if row.status in OPEN]

    def close(self) -> None:
        """Stop everything; calls a failed test left up (SIPp killed: no BYE) are hung up on the PBX,
        or the next controller would adopt them."""
        self.stop_callers()
        self.stop_phones()
        self.serve.stop()
        self.engine.dispose()
        hang_up_all(self.config)


def hang_up_all(config) -> None:
    from ivr.testing.ari_sync import ari_get, ari_request

    for channel in ari_get(config, "/channels"):
        ari_request(config, "DELETE", f"/channels/{channel['id']}")
    for bridge in ari_get(config, "/bridges"):
        ari_request(config, "DELETE", f"/bridges/{bridge['id']}")


def bridged(pbx_state) -> bool:
    return any(len(bridge["channels"]) == 2 for bridge in pbx_state()[1])


class PostgresCluster:
    """A PostgreSQL cluster of our own (Debian's postgresql, initdb'd in a temp dir, a free port):
    `stop` and `start` it at will. Fails the test, never skips, when it cannot run."""

    def __init__(self):
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): apt-get install postgresql")
        self.bin = os.path.dirname(found[-1])
        self.base = tempfile.mkdtemp(prefix="restart-pg-")
        self.data, self.log = os.path.join(self.base, "data"), os.path.join(self.base, "server.log")
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self.port = free_tcp_port()
        self._pg(["initdb", "-D", self.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8"])
        self.start()

    def _pg(self, command: list[str], timeout: float = 120) -> None:
        command = [f"{self.bin}/{command[0]}", *command[1:]]
        if os.geteuid() == 0:  # initdb and postgres refuse to run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True, timeout=timeout)
        except (subprocess.SubprocessError, OSError) as exc:
            detail = (getattr(exc, "stderr", "") or "") + (Path(self.log).read_text()[-1500:]
                                                           if os.path.exists(self.log) else "")
            pytest.fail(f"PostgreSQL {command[-1]} failed: {exc}: {detail}")

    def start(self) -> None:
        self._pg(["pg_ctl", "-D", self.data, "-l", self.log, "-w", "-t", "60", "-o",
                  f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -F", "start"])

    def stop(self) -> None:
        self._pg(["pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])

    def database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def destroy(self) -> None:
        subprocess.run((["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else [])
                       + [f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(self.base, ignore_errors=True)


__all__ = ["Rig", "PostgresCluster", "bridged", "until", "free_tcp_port", "OPEN"]
