"""Given failures while handling one call, the controller ends at most that call and serves the rest."""
from __future__ import annotations

import asyncio

from ivr.errors import AriTimeout
from ivr.health import counters
from ivr.live.call import APOLOGY
from ivr.live.states import EndedBy


class ScriptFlow:
    """A flow per dialed number: 'ok' plays and hangs up, 'boom' raises, 'menu' waits for a key."""

    name = "script"
    handlers: dict = {}

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def run(self, call) -> None:
        await call.answer()
        if call.record.dialed == "boom":
            raise ValueError("a bug in this call's flow")
        if call.record.dialed == "menu":
            digit = await call.read_digit(5)
            await call.play(f"digits:{digit}")
        else:
            await call.play("sound:hello-world")
        await call.hangup()


def played(ari, channel_id: str) -> list[str]:
    return [params["media"] for path, params in ari.sent("POST", rf"/channels/{channel_id}/play/")]


async def test_given_a_flow_that_raises_when_the_call_runs_then_it_hears_an_apology_and_others_go_on(start):
    running = await start(ScriptFlow())
    ari = running.ari
    ari.call("bad", exten="boom")
    ari.call("good", exten="ok")
    bad = await running.until(lambda: running.record("bad"), what="the failed call to end")
    good = await running.until(lambda: running.record("good"), what="the good call to end")
    assert played(ari, "bad") == [APOLOGY]
    assert bad.ended_by is EndedBy.FAILURE and "a bug in this call's flow" in bad.error
    assert ari.sent("DELETE", r"^/channels/bad$"), "the failed call is hung up"
    assert played(ari, "good") == ["sound:hello-world"] and good.error is None
    assert counters["call.failed"] == 1


async def test_given_a_listener_that_raises_when_events_arrive_then_every_call_is_still_served(start):
    running = await start(ScriptFlow())

    def broken_listener(event):
        raise RuntimeError("listener bug")
    running.controller.listeners.insert(0, broken_listener)
    for n in range(3):
        running.ari.call(f"c{n}", exten="ok")
    for n in range(3):
        record = await running.until(lambda n=n: running.record(f"c{n}"), what=f"call c{n} to end")
        assert record.error is None and record.played == [("sound:hello-world", "finished")]
    assert counters["ari.listener_failed"] >= 3


async def test_given_an_event_that_breaks_its_call_when_fed_then_that_call_ends_with_an_apology_only(start):
    running = await start(ScriptFlow())
    ari = running.ari
    ari.call("waiting", exten="menu")
    ari.call("other", exten="menu")
    await running.until(lambda: "waiting" in running.controller.calls and "other" in running.controller.calls)
    await asyncio.sleep(0.05)
    ari.emit({"type": "ChannelDtmfReceived", "channel": {"id": "waiting"}})  # no "digit": feeding it raises
    ari.dtmf("other", "7")
    broken = await running.until(lambda: running.record("waiting"), what="the broken call to end")
    fine = await running.until(lambda: running.record("other"), what="the other call to end")
    assert broken.ended_by is EndedBy.FAILURE and played(ari, "waiting") == [APOLOGY]
    assert played(ari, "other") == ["digits:7"] and fine.error is None
    assert counters["call.event_failed"] == 1


async def test_given_a_lost_playback_finished_when_a_prompt_plays_then_the_call_goes_on(start):
    running = await start(ScriptFlow())
    ari = running.ari
    ari.lose_playback_finished = True
    ari.playback_s = 0.05
    from ivr.live.call import Call
    Call.playback_check_s, saved = 0.1, Call.playback_check_s
    try:
        ari.call("lost", exten="ok")
        record = await running.until(lambda: running.record("lost"), what="the call to end")
    finally:
        Call.playback_check_s = saved
    assert record.error is None and record.played == [("sound:hello-world", "finished")]
    assert ari.sent("GET", r"^/playbacks/"), "the playback was looked up when its event did not come"


async def test_given_asterisk_not_answering_a_command_when_the_call_answers_then_it_ends_cleanly(start):
    running = await start(ScriptFlow())
    running.ari.fail("POST", r"/channels/slow/answer$", AriTimeout("ARI POST answer: no answer within 10 s"))
    running.ari.call("slow", exten="ok")
    running.ari.call("fast", exten="ok")
    slow = await running.until(lambda: running.record("slow"), what="the slow call to end")
    fast = await running.until(lambda: running.record("fast"), what="the fast call to end")
    assert "no answer within" in slow.error and slow.ended_by is EndedBy.FAILURE
    assert fast.error is None


async def test_given_a_malformed_event_on_the_stream_when_delivered_then_it_is_counted_not_raised():
    from ivr.pbx.ari import _deliver
    seen = []
    _deliver(seen.append, "{not json")
    _deliver(seen.append, '["a list"]')
    _deliver(lambda event: 1 / 0, '{"type": "StasisStart"}')
    _deliver(seen.append, '{"type": "ChannelDtmfReceived"}')
    assert seen == [{"type": "ChannelDtmfReceived"}]
    assert counters["ari.bad_event"] == 2 and counters["ari.event_failed"] == 1


class SwallowingFlow(ScriptFlow):
    """Waits for a key and, cancelled, hangs up on its own instead of letting the cancel through."""

    async def run(self, call) -> None:
        await call.answer()
        try:
            await call.read_digit(5)
        except asyncio.CancelledError:
            pass
        await call.hangup()


async def test_given_an_event_failure_on_a_flow_that_swallows_the_cancel_when_it_ends_then_no_failure_is_kept(start):
    running = await start(SwallowingFlow())
    running.ari.call("swallow", exten="menu")
    await running.until(lambda: "swallow" in running.controller.calls)
    await asyncio.sleep(0.05)
    running.ari.emit({"type": "ChannelDtmfReceived", "channel": {"id": "swallow"}})  # no "digit": feeding it raises
    await running.until(lambda: running.record("swallow"), what="the call to end")
    assert running.controller._failures == {}, "the exception and its frames outlive the call"


async def test_given_a_control_request_that_hits_a_bug_then_it_gets_500_and_the_engine_goes_on(start):
    from aiohttp.test_utils import make_mocked_request

    from ivr.live.acd.control import ControlApi
    running = await start(acd=True)
    api = next(s for s in running.controller.services if isinstance(s, ControlApi))

    async def broken(request):
        raise KeyError("a bug in a view")
    response = await api._errors(make_mocked_request("GET", "/agents"), broken)
    assert response.status == 500 and counters["control.failed"] == 1
    running.ari.call("after", exten="100", caller="5550009")
    await running.until(lambda: running.acd.router.waiting(), what="the next caller still queued")
