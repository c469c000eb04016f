"""No password or token reaches a log line: config errors, a refused shipped password, ARI's 401,
the control API's 401 (http_guard). Every log line (ivr's logfmt and any other logger) is captured
and searched for the secret strings."""
from __future__ import annotations

import dataclasses
import io
import logging

import aiohttp
import pytest
from aiohttp import web

from ivr import config as config_module
from ivr import config_check, log
from ivr.config import AriConfig
from ivr.errors import AriAuthError, ConfigError
from ivr.live import http_guard
from ivr.pbx.ari import AriClient

SECRET = "Sup3r-secret-pass"  # a valid password: only its echo could give it away
BAD = "bad[pass]word-no"  # refused for its characters


@pytest.fixture
def lines(caplog):
    """Everything logged during the test: ivr's own lines and every other logger's."""
    stream = io.StringIO()
    log.setup("debug", stream)
    caplog.set_level(logging.DEBUG)
    yield lambda: stream.getvalue() + "\n".join(r.getMessage() for r in caplog.records)
    log.setup("info")


def logged_error(exc: Exception) -> None:
    log.error("cli.failed", exc=exc)  # what a command does with an error it cannot handle


def test_given_a_refused_password_in_the_environment_when_config_loads_then_the_error_line_hides_it(
        lines, monkeypatch, tmp_path):
    monkeypatch.setenv("IVR_ARI_PASSWORD", BAD)
    monkeypatch.setenv("IVR_AMI_PASSWORD", f"{BAD}\n[evil]")
    with pytest.raises(ConfigError) as caught:
        config_module.load()
    logged_error(caught.value)
    assert "ari.password" in str(caught.value) or "ami.password" in str(caught.value)
    assert BAD not in lines() and "[evil]" not in lines()


def test_given_a_shipped_password_beyond_loopback_when_refused_then_the_line_names_the_setting_not_the_value(
        config, lines):
    exposed = dataclasses.replace(config, sip=dataclasses.replace(config.sip, host="0.0.0.0"),
                                  ari=dataclasses.replace(config.ari, password="x-local-dev"))
    with pytest.raises(ConfigError) as caught:
        config_check.refuse_shipped_passwords(exposed)
    logged_error(caught.value)
    assert "ari.password" in lines() and "x-local-dev" not in lines()


async def refusing(unused_tcp_port) -> web.AppRunner:
    async def no(_request):
        return web.Response(status=401, text="Unauthorized")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", no)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", unused_tcp_port).start()
    return runner


async def test_given_a_wrong_ari_password_when_ari_answers_401_then_the_error_line_hides_it(lines, unused_tcp_port):
    runner = await refusing(unused_tcp_port)
    try:
        async with AriClient(AriConfig(url=f"http://127.0.0.1:{unused_tcp_port}", password=SECRET)) as ari:
            with pytest.raises(AriAuthError) as caught:
                await ari.get("/asterisk/info")
    finally:
        await runner.cleanup()
    logged_error(caught.value)
    assert "wrong username or password" in lines()
    assert SECRET not in lines()


async def test_given_a_wrong_token_when_the_control_api_answers_401_then_no_token_is_logged(
        lines, tmp_path, unused_tcp_port):
    port = unused_tcp_port
    app = http_guard.application("127.0.0.1", port, tmp_path / "token")
    async def agents(_request):
        return web.json_response([])

    app.add_routes([web.get("/agents", agents)])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    token = (tmp_path / "token").read_text().strip()
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
            async with session.get("/agents", headers={"Authorization": f"Bearer {SECRET}"}) as response:
                assert response.status == 401
                body = await response.text()
    finally:
        await runner.cleanup()
    assert SECRET not in body and token not in body
    assert SECRET not in lines() and token not in lines()
