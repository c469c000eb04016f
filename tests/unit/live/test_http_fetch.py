"""The `http` node's live fetch against a hostile service: each bad answer is refused with a reason."""
from __future__ import annotations

import time
import tracemalloc

import aiohttp
import pytest

from ivr.errors import HttpAnswerRefused
from ivr.flows.loader import load_flows
from ivr.flows.port import HttpRequest
from ivr.flows.runner import FlowRunner
from ivr.flows.simulator import ScriptedPort
from ivr.live.http_fetch import MAX_JSON_DEPTH, answer, decode_json, fetch, json_depth
from ivr.testing.hostile import start_hostile


@pytest.fixture
async def hostile():
    runner, port = await start_hostile()
    async with aiohttp.ClientSession() as session:
        yield session, f"http://127.0.0.1:{port}"
    await runner.cleanup()


async def get(hostile, path: str, *, timeout_s: float = 2.0, max_bytes: int = 1_000_000):
    session, base = hostile
    return await fetch(session, HttpRequest("GET", base + path, timeout_s), max_bytes=max_bytes)


async def test_given_a_plain_answer_when_fetched_then_its_json(hostile):
    result = await get(hostile, "/ok")
    assert (result.status, result.body) == (200, {"name": "Ada", "balance": 42})


@pytest.mark.parametrize("path, reason", [
    ("/infinity", "json-constant"),
    ("/nan", "json-constant"),
    ("/big-number", "json-number"),
    ("/deep", "json-too-deep"),
    ("/huge", "body-too-large"),
    ("/gzip-bomb", "body-too-large"),
])
async def test_given_a_hostile_answer_when_fetched_then_it_is_refused_with_its_reason(hostile, path, reason):
    with pytest.raises(HttpAnswerRefused) as refused:
        await get(hostile, path)
    assert refused.value.reason == reason and refused.value.code == "flow.http-refused"


async def test_given_a_gzip_bomb_when_fetched_then_memory_stays_near_the_limit(hostile):
    tracemalloc.start()
    try:
        with pytest.raises(HttpAnswerRefused, match="larger than 1000000 bytes"):
            await get(hostile, "/gzip-bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8_000_000  # 200 MB once inflated; we stop past 1 MB


async def test_given_a_per_node_limit_when_the_answer_is_bigger_then_it_is_refused(hostile):
    with pytest.raises(HttpAnswerRefused) as refused:
        await get(hostile, "/ok", max_bytes=10)
    assert refused.value.reason == "body-too-large"


async def test_given_a_stalling_service_when_fetched_then_the_node_timeout_bounds_the_wait(hostile):
    started = time.monotonic()
    with pytest.raises(HttpAnswerRefused) as refused:
        await get(hostile, "/stall", timeout_s=0.5)
    assert refused.value.reason == "timeout"
    assert time.monotonic() - started < 1.5


async def test_given_nobody_listening_when_fetched_then_unreachable():
    async with aiohttp.ClientSession() as session:
        with pytest.raises(HttpAnswerRefused) as refused:
            await fetch(session, HttpRequest("GET", "http://127.0.0.1:9/x", 1.0), max_bytes=100)
    assert refused.value.reason == "unreachable"


@pytest.mark.parametrize("text, depth", [
    ('[1, {"a": [2]}]', 3),
    ('{"a": "[[[[\\"{{"}', 1),
    ('"\\\\"', 0),
    ("[" * 100_000, MAX_JSON_DEPTH + 1),  # counting stops past the limit
])
def test_given_json_text_when_measured_then_brackets_in_strings_do_not_count(text, depth):
    assert json_depth(text) == depth


def test_given_text_that_is_not_json_when_decoded_then_the_text_itself():
    assert decode_json("OK, account 42") == "OK, account 42"
    assert decode_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None


class FetchingPort(ScriptedPort):
    """The simulator's caller, with the live fetch for data dips (what the node does with each answer)."""

    def __init__(self, session, **kw):
        super().__init__(**kw)
        self.session = session

    async def http(self, request):
        result, _ = await answer(self.session, request, max_bytes=request.max_bytes or 1_000_000)
        return result


@pytest.mark.parametrize("path, branch", [
    ("/ok", "good"), ("/infinity", "bad"), ("/deep", "bad"), ("/huge", "bad"), ("/gzip-bomb", "bad"),
    ("/stall", "bad"),
])
async def test_given_an_http_node_when_the_answer_is_hostile_then_it_takes_fail(hostile, tmp_path, path, branch):
    session, base = hostile
    (tmp_path / "dip.yaml").write_text(f"""start: dip
nodes:
  dip:
    http: {{url: "{base}{path}", timeout: 1, save: {{balance: balance}}, next: good, fail: bad}}
  good: {{hangup: true}}
  bad: {{hangup: true}}
""")
    outcome = await FlowRunner(load_flows(tmp_path), FetchingPort(session)).run("dip")
    assert outcome.visited == ["dip", branch] and outcome.kind == "hangup"
    if branch == "bad":
        assert "no usable answer" in "\n".join(outcome.trace.lines())
