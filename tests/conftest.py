"""Shared fixtures. Tests that need the PBX fail (never skip) when it cannot start."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest

from ivr import config as config_module
from ivr import log
from ivr.errors import IvrError
from ivr.testing.ari_sync import ari_get, ari_request
from ivr.testing.channel_config import without_channels

ROOT = Path(__file__).resolve().parents[1]
log.setup("info")  # the controller's event lines show up in a failing test's captured stderr


@pytest.fixture(scope="session")
def config() -> config_module.Config:
    """The shipped service config (IVR_* environment overrides apply, e.g. to test on other ports),
    with the email, chat and SMS channels off: a test turns on the ones it needs, on free ports."""
    return without_channels(config_module.load(ROOT / "ivr.yaml"))


@pytest.fixture(scope="session")
def pbx(config):
    """The local Asterisk, brought up once per session (left running if it already was)."""
    from ivr.pbx.local import LocalPbx

    local = LocalPbx(config, say=lambda _: None)
    was_running = local.pid() is not None
    try:
        local.up()
    except IvrError as exc:
        pytest.fail(f"the local PBX cannot start: {exc}")
    _hang_up_leftovers(config)
    yield local
    if not was_running:
        local.down()


@pytest.fixture
def serve(config, pbx):
    """A controller connected to the local PBX, on its own loop in a thread."""
    from ivr.testing.serve_thread import ServeThread

    with ServeThread(config) as thread:
        yield thread
    if thread.error:
        raise thread.error


def _hang_up_leftovers(config: config_module.Config) -> None:
    """Calls left in Stasis by an interrupted earlier run would be adopted by our controllers."""
    for channel in ari_get(config, "/channels"):
        ari_request(config, "DELETE", f"/channels/{channel['id']}")


@pytest.fixture
def pbx_state(config, pbx):
    """Callable returning (channels, bridges) currently on the PBX."""
    return lambda: (ari_get(config, "/channels"), ari_get(config, "/bridges"))


# -- a throwaway PostgreSQL cluster (fails, never skips, when it cannot start) --

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the `postgres` user Debian creates.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL cluster initdb'd in a temp dir, on a free loopback port; yields its admin URL."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        pytest.fail("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): "
                    "apt-get install postgresql")
    bin_dir = os.path.dirname(found[-1])
    base = tempfile.mkdtemp(prefix="acd-pg-")
    data, log = os.path.join(base, "data"), os.path.join(base, "server.log")
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = _free_port()
    try:
        subprocess.run(_as_postgres([f"{bin_dir}/initdb", "-D", data, "-U", "postgres", "--auth=trust",
                                     "--no-sync", "-E", "UTF8"]),
                       check=True, capture_output=True, text=True, timeout=120)
        subprocess.run(_as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-l", log, "-w", "-t", "60", "-o",
                                     f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -F", "start"]),
                       check=True, capture_output=True, text=True, timeout=90)
    except (subprocess.SubprocessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or ""
        if os.path.exists(log):
            detail += open(log).read()[-2000:]
        shutil.rmtree(base, ignore_errors=True)
        pytest.fail(f"PostgreSQL could not start: {exc}: {detail}")
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    subprocess.run(_as_postgres([f"{bin_dir}/pg_ctl", "-D", data, "-m", "immediate", "stop"]),
                   capture_output=True, timeout=60)
    shutil.rmtree(base, ignore_errors=True)


_databases = itertools.count(1)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path):
    """A fresh, empty database URL: an SQLite file, then a new PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'acd.sqlite'}"
        return
    import psycopg

    server = request.getfixturevalue("postgres_server")
    name = f"acd_test_{os.getpid()}_{next(_databases)}"
    admin = server.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield f"{server}/{name}"
