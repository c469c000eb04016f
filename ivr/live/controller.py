"""The controller: every call that enters our Stasis app gets a `Call` and one task running its flow."""
from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from ivr import log
from ivr.config import Config
from ivr.errors import AriError, AriRequestError
from ivr.health import failed
from ivr.live.call import Call, CallRecord
from ivr.live.states import EndedBy
from ivr.pbx.ari import Ari, Event
from ivr.speech.listen import CHANNEL_PREFIX as SPEECH_CHANNEL_PREFIX

StasisHandler = Callable[[Call, list[str]], Awaitable[None]]  # (call, the app args after the first)
# The ARI event types the engine acts on. Asterisk is asked to send only these (the application's
# event filter): of a queued call's events, about half are ChannelVarset, ChannelStateChange,
# bridge and dial events nobody reads, each one serialized by Asterisk and decoded by us.
EVENT_TYPES = ("StasisStart", "StasisEnd", "ChannelDestroyed", "ChannelDtmfReceived", "PlaybackStarted",
               "PlaybackFinished", "RecordingFinished", "RecordingFailed", "ApplicationReplaced")


class CallFlow(Protocol):
    """What the controller runs on each call that enters the app (`FlowService` for YAML flows)."""

    name: str
    # Stasis handlers the flow brings (`Stasis(ivr,<name>,...)` runs handlers[name](call, args)).
    handlers: dict[str, StasisHandler]

    async def start(self) -> None:
        """Acquire what calls share (HTTP sessions, file watchers) on the controller's loop."""

    async def stop(self) -> None:
        """Release what `start` acquired."""

    async def run(self, call: Call) -> None:
        """Drive one call until it is handed off or hung up."""
Resumer = Callable[[Call], Callable[[], Awaitable[None]] | None]  # claims a re-attached call, or None


class Service(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Controller:
    """Answers every call that enters our Stasis app and runs its flow, one task per call.

    Other parts plug in without the controller knowing them: `handlers` run a call instead of
    the flow when its first Stasis app argument names them (`Stasis(ivr,feature,*11)`, ACD
    offers to agents); `resumers` may claim a call found in the app after a (re)connect;
    `listeners` see every ARI event (also of channels that never entered the app); `services`
    start and stop with the controller.
    """

    def __init__(self, config: Config, flow: CallFlow, ari: Ari, *, history: int = 1_000):
        self.config = config
        self.flow = flow
        self.ari = ari
        self.calls: dict[str, Call] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.finished: deque[CallRecord] = deque(maxlen=history)
        self.connected = asyncio.Event()  # set while the event stream is up
        self.stopping = False
        self.handlers: dict[str, StasisHandler] = dict(flow.handlers)
        self.resumers: list[Resumer] = []
        self.listeners: list[Callable[[Event], None]] = []
        self.services: list[Service] = []
        # Channels that enter the app only to be bridged (snoops, external media): no flow, no Call.
        self.passive_prefixes: list[str] = [SPEECH_CHANNEL_PREFIX]
        # Channels and bridges a controller that died leaves behind with nobody to use them (listening,
        # supervision): removed when the next controller first connects.
        self.leftover_prefixes: list[str] = [SPEECH_CHANNEL_PREFIX]
        self._entering: dict[str, asyncio.Future[None]] = {}  # passive channel id -> its StasisStart
        self._failures: dict[str, BaseException] = {}  # calls whose event handling failed

    async def run(self) -> None:
        async with self.ari:
            await self.flow.start()
            started: list[Service] = []
            try:
                for service in self.services:
                    await service.start()
                    started.append(service)
                await self.ari.run(self.on_event, self.on_connect, self.connected.clear)
            finally:
                # Calls stay in our Stasis app: the next controller re-attaches to them.
                self.stopping = True
                for task in list(self.tasks.values()):
                    task.cancel()
                await asyncio.gather(*self.tasks.values(), return_exceptions=True)
                for service in reversed(started):
                    await service.stop()
                await self.flow.stop()

    # -- events --------------------------------------------------------------
    def on_event(self, event: Event) -> None:
        """One ARI event. A failure while handling it ends at most the call it concerns."""
        kind = event["type"]
        channel_id = _channel_of(event)
        log.event("ari.event", logging.DEBUG, type=kind, channel=channel_id or "")
        for listener in self.listeners:
            try:
                listener(event)
            except Exception as exc:  # noqa: BLE001 - one listener's bug must not starve the others
                failed("ari.listener_failed", exc, type=kind, channel=channel_id or "",
                       listener=getattr(listener, "__qualname__", repr(listener)))
        if kind == "StasisStart":
            try:
                self._start(event["channel"], args=event.get("args") or [])
            except Exception as exc:  # noqa: BLE001
                failed("call.start_failed", exc, channel=channel_id or "")
            return
        if kind == "ApplicationReplaced":
            log.warning("ari.app_replaced", app=self.config.ari.app,
                        reason="another controller connected with the same app name and now gets its calls")
            return
        call = self.calls.get(channel_id) if channel_id else None
        if call is None:
            return
        try:
            call.feed(event)
        except Exception as exc:  # noqa: BLE001 - the call's task ends it cleanly
            failed("call.event_failed", exc, call=call.channel_id, type=kind)
            self._fail(call, exc)
        if kind in ("StasisEnd", "ChannelDestroyed"):
            self._ended(call)

    async def on_connect(self) -> None:
        """After (re)connecting: adopt calls still in our app, forget the ones that ended meanwhile."""
        try:
            await self._filter_events()
            app = await self.ari.get(f"/applications/{self.config.ari.app}")
            live = set(app.get("channel_ids", [])) if app else set()
            if not self.connected.is_set():
                await self._remove_listening_leftovers(live)
            for channel_id in list(self.calls):
                if channel_id not in live:
                    self._ended(self.calls[channel_id])
            for channel_id in live - set(self.calls):
                channel = await self.ari.get(f"/channels/{channel_id}", missing_ok=True)
                if channel:
                    self._start(channel, resumed=True)
        except AriError as exc:
            log.warning("ari.reattach_failed", reason=str(exc))
        except Exception as exc:  # noqa: BLE001 - the event stream must come up whatever this finds
            failed("ari.reattach_failed", exc)
        self.connected.set()

    async def _filter_events(self) -> None:
        """Ask Asterisk for the events we act on only (ARI `eventFilter`); all of them if it says no."""
        try:
            await self.ari.request("PUT", f"/applications/{self.config.ari.app}/eventFilter",
                                   body={"allowed": [{"type": kind} for kind in EVENT_TYPES]})
        except AriRequestError as exc:
            log.warning("ari.event_filter_refused", reason=str(exc), note="every event type comes; calls go on")

    async def _remove_listening_leftovers(self, live: set[str]) -> None:
        """Listening and supervision channels and bridges of a controller that died: nobody uses them any more."""
        prefixes = tuple(self.leftover_prefixes)
        for channel_id in live:
            if channel_id.startswith(prefixes):
                await self.ari.delete(f"/channels/{channel_id}", missing_ok=True)
        for bridge in await self.ari.get("/bridges") or []:
            if bridge["id"].startswith(prefixes):
                await self.ari.delete(f"/bridges/{bridge['id']}", missing_ok=True)

    async def _apologize(self, call: Call, exc: BaseException) -> None:
        """A failure ended this call: the caller hears a short apology (bounded), then we hang up."""
        call.record.error = call.record.error or repr(exc)
        call.record.ended_by = call.record.ended_by or EndedBy.FAILURE
        if not self.stopping:
            await call.apologize()

    # -- call lifecycle ------------------------------------------------------
    def _start(self, channel: dict[str, Any], *, resumed: bool = False, args: list[str] = ()) -> None:
        if channel["id"].startswith(tuple(self.passive_prefixes)):
            entering = self._entering.get(channel["id"])
            if entering is not None and not entering.done():
                entering.set_result(None)
            return  # listening channels (snoop, external media) enter our app too; they carry no flow
        known = self.calls.get(channel["id"])
        if known is not None and known.record.ended_by is not EndedBy.TRANSFER:
            return  # a transferred call may come back (unanswered) before its first run has closed
        call = Call(self.ari, channel, resumed=resumed)
        self.calls[call.channel_id] = call
        run, runs = self._runner(call, list(args))
        call.log("call.start", caller=call.record.caller, dialed=call.record.dialed,
                 channel=call.record.channel, flow=runs, resumed=resumed)
        self.tasks[call.channel_id] = asyncio.create_task(self._run(call, run), name=f"call-{call.channel_id}")

    def entered(self, channel_id: str) -> asyncio.Future[None]:
        """Resolves when the passive channel `channel_id` enters our app (a snoop cannot be bridged or
        recorded before). Ask before asking Asterisk to create it."""
        future = self._entering[channel_id] = asyncio.get_running_loop().create_future()
        future.add_done_callback(lambda _: self._entering.pop(channel_id, None))  # also when given up on
        return future

    def _runner(self, call: Call, args: list[str]) -> tuple[Callable[[], Awaitable[None]], str]:
        """What runs the call: the handler its app arguments name, a resumer's claim, or the flow."""
        if args and args[0] in self.handlers:
            handler = self.handlers[args[0]]
            return (lambda: handler(call, args[1:])), args[0]
        if call.record.resumed:
            for resumer in self.resumers:
                claimed = resumer(call)
                if claimed is not None:
                    return claimed, "resumed"
        return (lambda: self.flow.run(call)), self.flow.name

    def _ended(self, call: Call) -> None:
        """The channel left our app (caller hung up, or we did): cancel whatever the call was doing."""
        if call.left(EndedBy.CALLER):
            task = self.tasks.get(call.channel_id)
            if task and not task.done():
                task.cancel()

    def _fail(self, call: Call, exc: BaseException) -> None:
        """Handling an event of this call failed: its task stops and ends the call with an apology."""
        task = self.tasks.get(call.channel_id)
        if task and not task.done():
            self._failures[call.channel_id] = exc
            task.cancel()

    async def _run(self, call: Call, run: Callable[[], Awaitable[None]]) -> None:
        try:
            await run()
        except asyncio.CancelledError:
            failure = self._failures.pop(call.channel_id, None)
            if failure is not None:
                await self._apologize(call, failure)
            elif not (call.hung_up or self.stopping):
                raise
        except AriRequestError as exc:
            if not (exc.status == 404 and call.hung_up):
                failed("call.failed", exc, call=call.channel_id)
                await self._apologize(call, exc)
        except Exception as exc:  # noqa: BLE001 - a bug in one call must not take down the others
            failed("call.failed", exc, call=call.channel_id)
            await self._apologize(call, exc)
        finally:
            self._failures.pop(call.channel_id, None)  # a flow that let the cancel pass keeps no traceback
            if self.stopping:
                call.log("call.detached")
                return
            try:
                await call.close()
            except AriError as exc:
                log.warning("call.cleanup_failed", call=call.channel_id, reason=str(exc))
            call.record.ended_at = time.time()
            if self.calls.get(call.channel_id) is call:  # not yet replaced by its return from a transfer
                del self.calls[call.channel_id]
                self.tasks.pop(call.channel_id, None)
            self.finished.append(call.record)
            call.log("call.end", ended_by=call.record.ended_by, digits="".join(call.record.digits),
                     dtmf_to_prompt_ms=call.record.dtmf_to_prompt_ms, error=call.record.error or "")


def _channel_of(event: Event) -> str | None:
    if "channel" in event:
        return event["channel"]["id"]
    target = (event.get("playback") or event.get("recording") or {}).get("target_uri", "")
    if target.startswith("channel:"):
        return target[len("channel:"):]
    return None
