"""The demo account service `ivr serve` runs for the shipped support line."""
from __future__ import annotations

import json
import socket
from pathlib import Path

import aiohttp

from ivr.app import Engine
from ivr.config import Config, LookupConfig
from ivr.live.demo_lookup import start_lookup

SHIPPED_ACCOUNTS = Path(__file__).resolve().parents[3] / "flows" / "accounts.json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def get(port: int, number: str) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as session, \
            session.get(f"http://127.0.0.1:{port}/accounts/{number}") as response:
        return response.status, await response.json()


async def test_given_no_port_when_started_then_nothing_is_served():
    assert await start_lookup(LookupConfig(port=0)) is None


async def test_given_the_shipped_accounts_when_looked_up_then_known_ones_answer_and_others_are_404():
    port = free_port()
    runner = await start_lookup(LookupConfig(port=port, file=str(SHIPPED_ACCOUNTS)))
    try:
        assert await get(port, "12345678") == (200, json.loads(SHIPPED_ACCOUNTS.read_text())["12345678"])
        assert (await get(port, "999"))[0] == 404
    finally:
        await runner.cleanup()


async def test_given_a_broken_accounts_file_when_looked_up_then_500_and_the_service_stays_up(tmp_path):
    port, file = free_port(), tmp_path / "accounts.json"
    file.write_text("{not json")
    runner = await start_lookup(LookupConfig(port=port, file=str(file)))
    try:
        assert (await get(port, "1"))[0] == 500
        file.write_text('{"1": {"name": "Ada"}}')
        assert await get(port, "1") == (200, {"name": "Ada"})
    finally:
        await runner.cleanup()


async def test_given_a_lookup_port_when_the_engine_runs_then_it_serves_the_accounts_until_the_engine_stops():
    port = free_port()
    config = Config()
    config.lookup = LookupConfig(port=port, file=str(SHIPPED_ACCOUNTS))
    answers = []

    class Controller:  # stands in for the ARI side: looks an account up while the engine runs
        async def run(self):
            answers.append(await get(port, "87654321"))

    await Engine(config, Controller(), flows=None, acd=None).run()
    assert answers == [(200, {"name": "Grace", "balance": 1750, "tier": "silver"})]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))  # released once the engine stopped


async def test_given_the_port_is_taken_when_started_then_it_is_logged_and_skipped(capsys):
    from ivr import log

    log.setup("info")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        assert await start_lookup(LookupConfig(port=taken, file=str(SHIPPED_ACCOUNTS))) is None
    assert "event=lookup.unavailable" in capsys.readouterr().err
