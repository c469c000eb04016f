"""QA recording of bridged calls: start by queue policy, pause and resume, file it with its metadata.

Policy per queue (`recording:` in acd.yaml): `always` records from the moment caller and agent are
bridged; `never` does not; `on-demand` waits for the agent (`*7` on the phone during the call, or
`ivr calls record start CALL`). `acd.record: false` in ivr.yaml turns QA recording off everywhere.

Consent (`recording: {policy: ..., consent: PROMPTS}`): a caller entering a queue that may record
(always or on-demand, recording on) hears the queue's consent prompt first, through the flows' prompt
specs and TTS cache, and only then joins the queue: no agent can be offered, so no recording can
start, before it has played to the end. A call hears it once (a second queue node does not repeat it).
A call that never heard the consent of the queue it is bridged from (moved there on overflow from a
queue without one) is not recorded: `acd.record_skipped` says so.

Asterisk records the bridge (mixed, both sides) as `qa-<queue>-<time>-<call>.wav` in the shared
recordings directory; with `acd.record_split` also each side alone (`...-caller.wav`, `...-agent.wav`:
a snoop channel with spy=in on that party's channel, recorded), each with its own row; once it has finished the controller files it under `YYYY/MM/DD/` and
completes the store row (`acd.qa_store.qa_recordings`): duration, size, SHA-256, pauses. Pausing
mutes the recording (Asterisk writes silence), so the file keeps the call's timeline and the
pauses say where the gap is: `[[offset_s, length_s], ...]`. A recording Asterisk refused or failed
to write, or whose file is missing or empty, is marked `failed` with the reason, never silently
missing. During the call the agent presses `*8` to pause and `*9` to resume (`ivr calls record
pause|resume CALL` likewise).
"""
from __future__ import annotations

import asyncio
import hashlib
import time
import uuid
import wave
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from acd import qa_store
from acd.errors import AcdConfigError
from ivr import log
from ivr.errors import AriError, FlowError, RecordingRefused
from ivr.flows.prompt_specs import config_prompts
from ivr.live.call import Call
from ivr.live.call_port import prompt_media
from ivr.pbx.ari import Event

if TYPE_CHECKING:
    from .handoff import Waiter
    from .service import AcdService

SNOOP_START_S = 5.0  # the longest a snoop takes to enter our app
FINISH_WAIT_S = 10.0  # the longest we wait for Asterisk to say a recording is finished
SNOOP_PREFIX = "qa-snoop-"
AGENT_CODES = {"7": "start", "8": "pause", "9": "resume"}  # after `*`, pressed by the agent during the call


@dataclass(eq=False)
class QaRecording:
    name: str
    interaction_id: str
    started_at: float
    file: str = ""  # where it is filed once finished
    side: str = "mixed"
    snoop: str | None = None  # the snoop channel recorded for one side
    pauses: list[list[float]] = field(default_factory=list)
    paused_at: float | None = None
    error: str | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)


class QaRecorder:
    def __init__(self, service: AcdService):
        self.service = service
        self.ari = service.controller.ari
        self.directory = Path(service.config.media.recordings_dir)
        self.by_interaction: dict[str, QaRecording] = {}  # the mixed recording of each call
        self._sides: dict[str, list[QaRecording]] = {}  # its per-side recordings (acd.record_split)
        self._by_name: dict[str, QaRecording] = {}
        self._keys: dict[str, str] = {}  # agent channel -> the key before, for `*7`..`*9`
        self._consented: weakref.WeakSet[Call] = weakref.WeakSet()  # calls that heard a consent prompt
        try:
            self.consents = config_prompts(service.acd.queues, service.acd.source)  # queue -> its consent prompt
        except FlowError as exc:
            raise AcdConfigError(str(exc)) from None
        qa_store.ensure_tables(service.store)
        service.controller.listeners.append(self.on_event)
        service.controller.passive_prefixes.append(SNOOP_PREFIX)

    # -- consent, start, pause, resume -------------------------------------------------------

    async def consent(self, call: Call, queue_name: str) -> None:
        """Before the caller joins `queue_name`: its consent prompt, to the end, when it may record."""
        queue, specs = self.service.router.queues.get(queue_name), self.consents.get(queue_name)
        if (queue is None or not specs or queue.recording == "never" or not self.service.config.acd.record
                or call in self._consented):
            return
        for spec in specs:
            prompt = spec.render(call.language, lambda path: None)  # fixed text (acd.config refuses fields)
            await call.play(await prompt_media(prompt, call.language, self.service.tts, self.service.config))
        self.consented(call)
        call.log("acd.consent_played", queue=queue_name)

    def consented(self, call: Call) -> None:
        """`call` has been told it may be recorded (here, or before a restart when it resumes)."""
        self._consented.add(call)

    async def bridged(self, waiter: Waiter) -> None:
        """Caller and agent were just bridged: record now if the queue's policy says always."""
        if self.service.config.acd.record and self.policy(waiter) == "always":
            try:
                await self.start(waiter)
            except RecordingRefused as exc:  # no consent heard (moved here on overflow): not recorded, said so
                waiter.call.log("acd.record_skipped", interaction=waiter.interaction.id, reason=str(exc))

    def policy(self, waiter: Waiter) -> str:
        return self.service.router.queues[waiter.interaction.queue].recording

    async def start(self, waiter: Waiter) -> QaRecording:
        interaction = waiter.interaction
        if interaction.id in self.by_interaction:
            raise RecordingRefused(f"call {interaction.id} is already being recorded")
        if not self.service.config.acd.record or self.policy(waiter) == "never":
            raise RecordingRefused(f"queue {interaction.queue} does not record calls")
        if interaction.queue in self.consents and waiter.call not in self._consented:
            raise RecordingRefused(f"the caller has not heard queue {interaction.queue}'s consent prompt")
        now = self.service.clock()
        name = f"qa-{interaction.queue}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-" \
               f"{interaction.id.replace('.', '-').replace('~', '-')}"
        recording = QaRecording(name, interaction.id, now, str(self._filed(name, now)))
        self.by_interaction[interaction.id] = self._by_name[name] = recording
        agent_id = waiter.offer.agent_id if waiter.offer else ""
        caller = waiter.call.record.caller or ""
        try:
            await self.ari.post(f"/bridges/{waiter.bridge}/record", params={
                "name": name, "format": "wav", "ifExists": "overwrite"})
            recording.started_at = self.service.clock()  # the file starts about now: pause offsets count from here
        except AriError as exc:  # the call goes on unrecorded, and the row says so
            recording.error = f"Asterisk refused to record: {exc}"
            waiter.call.log("acd.record_failed", interaction=interaction.id, reason=str(exc))
            recording.finished.set()
        self._write("qa-started", qa_store.recording_started, name, interaction.id, interaction.queue, agent_id,
                    caller, "mixed", recording.started_at, recording.file)
        waiter.recording = recording.file
        waiter.call.log("acd.recording", interaction=interaction.id, file=waiter.recording)
        if self.service.config.acd.record_split and not recording.error:
            self._sides[interaction.id] = [
                await self._side(waiter, side, channel, f"{name}-{side}", agent_id, caller)
                for side, channel in (("caller", waiter.call.channel_id), ("agent", waiter.offer.channel_id))]
        return recording

    async def _side(self, waiter: Waiter, side: str, channel: str, name: str, agent_id: str,
                    caller: str) -> QaRecording:
        """Record what one party says: a snoop on its channel (spy=in), recorded on its own."""
        now, interaction = self.service.clock(), waiter.interaction
        recording = QaRecording(name, interaction.id, now, str(self._filed(name, now)), side,
                                f"{SNOOP_PREFIX}{uuid.uuid4().hex[:12]}")
        self._by_name[name] = recording
        self._write("qa-started", qa_store.recording_started, name, interaction.id, interaction.queue, agent_id,
                    caller, side, now, recording.file)
        entered = self.service.controller.entered(recording.snoop)
        try:
            await self.ari.post(f"/channels/{channel}/snoop", params={
                "spy": "in", "app": self.service.config.ari.app, "snoopId": recording.snoop})
            await asyncio.wait_for(entered, SNOOP_START_S)
            await self.ari.post(f"/channels/{recording.snoop}/record", params={
                "name": name, "format": "wav", "ifExists": "overwrite"})
        except (AriError, TimeoutError) as exc:
            recording.error = f"Asterisk did not record the {side}'s side: {exc or 'the snoop never came'}"
            waiter.call.log("acd.record_failed", interaction=interaction.id, side=side, reason=recording.error)
            recording.finished.set()
        return recording

    async def pause(self, interaction_id: str) -> QaRecording:
        recording = self._live(interaction_id)
        if recording.paused_at is not None:
            raise RecordingRefused(f"the recording of call {interaction_id} is already paused")
        now = self.service.clock()
        for each in self._all(recording):
            await self.ari.post(f"/recordings/live/{each.name}/mute")
            each.paused_at = now
        log.event("acd.record_paused", interaction=interaction_id)
        return recording

    async def resume(self, interaction_id: str) -> QaRecording:
        recording = self._live(interaction_id)
        if recording.paused_at is None:
            raise RecordingRefused(f"the recording of call {interaction_id} is not paused")
        now = self.service.clock()
        for each in self._all(recording):
            await self.ari.delete(f"/recordings/live/{each.name}/mute")
            self._close_pause(each, now)
        log.event("acd.record_resumed", interaction=interaction_id)
        return recording

    def _all(self, recording: QaRecording) -> list[QaRecording]:
        sides = [side for side in self._sides.get(recording.interaction_id, []) if not side.error]
        return [recording, *sides]

    def _live(self, interaction_id: str) -> QaRecording:
        recording = self.by_interaction.get(interaction_id)
        if recording is None or recording.error:
            raise RecordingRefused(f"call {interaction_id} is not being recorded")
        return recording

    @staticmethod
    def _close_pause(recording: QaRecording, at: float) -> None:
        if recording.paused_at is not None:
            recording.pauses.append([round(recording.paused_at - recording.started_at, 2),
                                     round(at - recording.paused_at, 2)])
            recording.paused_at = None

    # -- the call ended: file the recording --------------------------------------------------

    def call_ended(self, waiter: Waiter) -> None:
        """The bridge is gone; Asterisk finishes the file, then we file it (in the background)."""
        recording = self.by_interaction.pop(waiter.interaction.id, None)
        if recording is None:
            return
        for each in [recording, *self._sides.pop(waiter.interaction.id, [])]:
            self._close_pause(each, self.service.clock())
            self.service.tasks.spawn(self._file(each), f"qa-file-{each.name}")

    async def _file(self, recording: QaRecording) -> None:
        if recording.snoop:  # its party may still be on the line for a moment: the side ends with the call
            try:
                await self.ari.delete(f"/channels/{recording.snoop}", missing_ok=True)
            except AriError as exc:
                log.warning("acd.record_snoop_cleanup_failed", recording=recording.name, reason=str(exc))
        try:
            await asyncio.wait_for(recording.finished.wait(), FINISH_WAIT_S)
        except TimeoutError:
            recording.error = recording.error or f"Asterisk did not finish the recording within {FINISH_WAIT_S:.0f} s"
        self._by_name.pop(recording.name, None)
        source, target = self.directory / f"{recording.name}.wav", Path(recording.file)
        duration = size = digest = None
        if recording.error is None:
            try:
                duration, size, digest = await asyncio.to_thread(_move_and_measure, source, target)
            except (OSError, EOFError, wave.Error) as exc:
                recording.error = f"no usable file {source}: {exc}"
        if recording.error:
            log.error("acd.record_failed", interaction=recording.interaction_id, recording=recording.name,
                      reason=recording.error)
        self._write("qa-finished", lambda writer, name: qa_store.recording_finished(
            writer, name, duration_s=duration, size=size, sha256=digest, pauses=recording.pauses,
            error=recording.error), recording.name)

    def _filed(self, name: str, at: float) -> Path:
        return self.directory / time.strftime("%Y/%m/%d", time.localtime(at)) / f"{name}.wav"

    # -- events: Asterisk's side of the recording, the agent's keys ---------------------------

    def on_event(self, event: Event) -> None:
        kind = event["type"]
        if kind in ("RecordingFinished", "RecordingFailed"):
            recording = self._by_name.get(event["recording"]["name"])
            if recording is not None:
                if kind == "RecordingFailed":
                    recording.error = f"Asterisk failed to write it: {event['recording'].get('cause', 'no cause')}"
                recording.finished.set()
        elif kind == "ChannelDtmfReceived":
            self._agent_key(event["channel"]["id"], event.get("digit", ""))

    def _agent_key(self, channel_id: str, digit: str) -> None:
        offer = self.service.offers.by_channel.get(channel_id)
        if offer is None or not offer.answered:
            return
        before, self._keys[channel_id] = self._keys.get(channel_id, ""), digit
        if before != "*" or digit not in AGENT_CODES:
            return
        waiter = self.service.waiters.get(offer.interaction_id)
        if waiter is None:
            return
        verb = AGENT_CODES[digit]
        action = self.start(waiter) if verb == "start" else getattr(self, verb)(waiter.interaction.id)
        self.service.tasks.spawn(self._by_agent(action, offer.agent_id, verb), f"qa-{verb}-{channel_id}")

    async def _by_agent(self, action, agent_id: str, verb: str) -> None:
        try:
            await action
        except (RecordingRefused, AriError) as exc:
            log.warning("acd.record_code_refused", agent=agent_id, code=verb, reason=str(exc))

    def _write(self, what: str, write, *values) -> None:
        self.service.journal.submit(what, lambda writer: write(writer, *values))


def _move_and_measure(source: Path, target: Path) -> tuple[float, int, str]:
    """File the finished WAV under its date and return (duration s, size bytes, SHA-256)."""
    with wave.open(str(source)) as wav:
        duration = wav.getnframes() / wav.getframerate()
    if duration <= 0:
        raise EOFError("the file holds no audio")
    target.parent.mkdir(parents=True, exist_ok=True)
    source.replace(target)
    data = target.read_bytes()
    return round(duration, 2), len(data), hashlib.sha256(data).hexdigest()
