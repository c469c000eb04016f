"""The HTTP guard on a real aiohttp server on loopback: token, Host, Origin, content type, body size."""
from __future__ import annotations

import os
import stat

import aiohttp
import pytest
from aiohttp import web

from ivr.errors import ConfigError
from ivr.live import http_guard


@pytest.fixture
async def server(tmp_path, unused_tcp_port):
    port = unused_tcp_port
    app = http_guard.application("127.0.0.1", port, tmp_path / "var" / "token", max_body=1024)

    async def hello(request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "body": len(await request.read())})

    app.add_routes([web.get("/agents", hello), web.post("/agents/x/login", hello),
                    web.get("/metrics", http_guard.open_route(hello))])
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    token = (tmp_path / "var" / "token").read_text().strip()
    async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as session:
        yield session, token, tmp_path / "var" / "token"
    await runner.cleanup()


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


async def test_given_the_token_when_asked_then_it_answers(server):
    session, token, _ = server
    async with session.get("/agents", headers=auth(token)) as response:
        assert response.status == 200 and await response.json() == {"ok": True, "body": 0}
    async with session.get("/agents", headers=auth(token, Host="localhost:1")) as response:
        assert response.status == 200  # localhost is ours, whatever the port


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic eDp5"}])
async def test_given_no_or_a_wrong_token_when_asked_then_401(server, headers):
    session, _, _ = server
    async with session.get("/agents", headers=headers) as response:
        assert response.status == 401 and response.headers["WWW-Authenticate"] == "Bearer"
        assert "token" in (await response.json())["error"]


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8090", "127.0.0.2", "localhost.attacker.example"])
async def test_given_a_foreign_host_header_when_asked_then_421_even_with_the_token(server, host):
    session, token, _ = server
    async with session.get("/agents", headers=auth(token, Host=host)) as response:
        assert response.status == 421


@pytest.mark.parametrize("headers", [{"Origin": "http://attacker.example"}, {"Origin": "null"},
                                     {"Sec-Fetch-Site": "cross-site"}])
async def test_given_a_cross_origin_request_when_posted_then_403_before_the_handler(server, headers):
    session, token, _ = server
    async with session.post("/agents/x/login", headers=auth(token, **headers), json={}) as response:
        assert response.status == 403


async def test_given_a_form_body_when_posted_then_415_and_a_json_one_passes(server):
    session, token, _ = server
    async with session.post("/agents/x/login", headers=auth(token), data={"a": "b"}) as response:
        assert response.status == 415
    async with session.post("/agents/x/login", headers=auth(token), json={"a": "b"}) as response:
        assert response.status == 200


async def test_given_a_body_over_the_bound_when_posted_then_413(server):
    session, token, _ = server
    async with session.post("/agents/x/login", headers=auth(token), json={"a": "b" * 2000}) as response:
        assert response.status == 413


async def test_given_an_open_route_when_asked_without_token_then_it_answers_but_host_is_still_checked(server):
    session, _, _ = server
    async with session.get("/metrics") as response:
        assert response.status == 200
    async with session.get("/metrics", headers={"Host": "attacker.example"}) as response:
        assert response.status == 421


async def test_given_a_first_start_when_the_token_is_written_then_only_its_owner_can_read_it(server):
    _, token, path = server
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and len(token) >= 32


def test_given_a_token_file_readable_by_others_when_started_then_it_is_made_private_and_kept(tmp_path):
    path = tmp_path / "token"
    first = http_guard.ensure_token(path)
    os.chmod(path, 0o644)
    assert http_guard.ensure_token(path) == first and stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content, message", [(None, "does not exist: start `ivr serve` first"),
                                              ("short\n", "no usable token")])
def test_given_no_usable_token_when_the_client_reads_it_then_one_line_says_what_to_do(tmp_path, content, message):
    path = tmp_path / "token"
    if content is not None:
        path.write_text(content)
    with pytest.raises(ConfigError, match=message):
        http_guard.read_token(path)
