"""Fixtures for the ACD tests: a throwaway PostgreSQL cluster (fails, never skips, when it cannot start)."""
from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile

import pytest


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
