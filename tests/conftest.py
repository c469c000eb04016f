"""Shared fixtures. Tests that need the PBX fail (never skip) when it cannot start."""
from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

import pytest

from ivr import config as config_module
from ivr import log
from ivr.errors import IvrError

ROOT = Path(__file__).resolve().parents[1]
log.setup("info")  # the controller's event lines show up in a failing test's captured stderr


@pytest.fixture(scope="session")
def config() -> config_module.Config:
    """The shipped service config (IVR_* environment overrides apply, e.g. to test on other ports)."""
    return config_module.load(ROOT / "ivr.yaml")


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


def ari_request(config: config_module.Config, method: str, path: str):
    request = urllib.request.Request(config.ari.url.rstrip("/") + "/ari" + path, method=method)
    token = base64.b64encode(f"{config.ari.username}:{config.ari.password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


def ari_get(config: config_module.Config, path: str):
    """A plain synchronous ARI GET, for asserting what the PBX itself says."""
    return ari_request(config, "GET", path)


@pytest.fixture
def pbx_state(config, pbx):
    """Callable returning (channels, bridges) currently on the PBX."""
    return lambda: (ari_get(config, "/channels"), ari_get(config, "/bridges"))
