"""Listening on a live call: tap the caller's audio with ARI and wait for a key or an utterance.

The route: a snoop channel on the caller (spy=in: only what the caller says, not our
prompts) and an external media channel that streams RTP to our UDP port, joined in a
mixing bridge. The caller's own channel is untouched, so prompts keep playing and keys
keep arriving on it while we listen.
"""
from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable

from ivr.errors import AriRequestError

from .. import log
from ..config import SpeechConfig
from ..flows.port import Heard
from ..pbx.ari import AriClient
from .grammar import vosk_grammar
from .recognizer import Recognition, SpeechModels
from .rtp import PortPool

JOIN_ATTEMPTS = 20
CHANNEL_PREFIX = "speech-"  # channels and bridges we create for listening; the controller runs no flow on them


class AudioTap:
    """Snoop + external media + bridge for one listening call; `close` removes all three."""

    def __init__(self, ari: AriClient, transport: asyncio.DatagramTransport, port: int):
        self.ari = ari
        self.transport = transport
        self.port = port
        tag = uuid.uuid4().hex[:12]
        self.snoop = f"{CHANNEL_PREFIX}snoop-{tag}"
        self.media = f"{CHANNEL_PREFIX}media-{tag}"
        self.bridge = f"{CHANNEL_PREFIX}bridge-{tag}"
        self.receiver = None

    @classmethod
    async def open(cls, ari: AriClient, app: str, channel_id: str, ports: PortPool,
                   on_audio: Callable[[bytes], None]) -> "AudioTap":
        transport, receiver, port = await ports.open(on_audio)
        tap = cls(ari, transport, port)
        tap.receiver = receiver
        try:
            await ari.post(f"/channels/{channel_id}/snoop", params={
                "spy": "in", "whisper": "none", "app": app, "snoopId": tap.snoop})
            media = await ari.post("/channels/externalMedia", params={
                "channelId": tap.media, "app": app, "external_host": f"{ports.host}:{port}",
                "format": "slin", "encapsulation": "rtp", "transport": "udp"})
            sender = (media or {}).get("channelvars") or {}
            if sender.get("UNICASTRTP_LOCAL_ADDRESS") and sender.get("UNICASTRTP_LOCAL_PORT"):
                receiver.expect_from(sender["UNICASTRTP_LOCAL_ADDRESS"], int(sender["UNICASTRTP_LOCAL_PORT"]))
            await ari.post("/bridges", params={"type": "mixing", "bridgeId": tap.bridge, "name": tap.bridge})
            await tap._join()
        except BaseException:
            await asyncio.shield(tap.close())
            raise
        return tap

    async def _join(self) -> None:
        # Snoop and external media channels enter our Stasis app a moment after ARI answers
        # their creation; until then addChannel is refused with 422 "not in Stasis".
        for attempt in range(JOIN_ATTEMPTS):
            try:
                await self.ari.post(f"/bridges/{self.bridge}/addChannel",
                                    params={"channel": f"{self.snoop},{self.media}"})
                return
            except AriRequestError as exc:
                if exc.status != 422 or attempt == JOIN_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(0.02 * (attempt + 1))

    async def close(self) -> None:
        self.transport.close()
        await self.ari.delete(f"/bridges/{self.bridge}", missing_ok=True)
        await self.ari.delete(f"/channels/{self.snoop}", missing_ok=True)
        await self.ari.delete(f"/channels/{self.media}", missing_ok=True)


FINAL_RESULT_S = 3.0  # the recognizer's last words after time is up; Vosk takes milliseconds


async def await_answer(recognition: Recognition, digits: asyncio.Queue, timeout_s: float,
                       max_utterance_s: float) -> Heard:
    """After the prompt: a key, the utterance ended by Vosk's endpointing, or silence after `timeout_s`.

    Once the caller starts speaking, they get `max_utterance_s` to finish."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    if recognition.speaking.is_set():
        deadline = loop.time() + max_utterance_s
    key = asyncio.ensure_future(digits.get())
    spoke = None
    try:
        while True:
            spoke = None if recognition.speaking.is_set() else asyncio.ensure_future(recognition.speaking.wait())
            waits = {key, recognition.result} | ({spoke} if spoke else set())
            done, _ = await asyncio.wait(waits, timeout=max(0.0, deadline - loop.time()),
                                         return_when=asyncio.FIRST_COMPLETED)
            if spoke is not None and not spoke.done():
                spoke.cancel()
            if key in done:
                return Heard(key=key.result()[0])
            if recognition.result in done:
                return _heard(recognition.result.result())
            if spoke is not None and spoke in done:
                deadline = loop.time() + max_utterance_s
                continue
            if recognition.speaking.is_set():
                try:
                    return _heard(await asyncio.wait_for(recognition.finish(), FINAL_RESULT_S))
                except TimeoutError:  # the recognizer never gave its final result: as if nothing was said
                    log.warning("speech.final_result_lost", waited_s=FINAL_RESULT_S)
                    return Heard()
            return Heard()
    finally:
        for waiter in (key, spoke):
            if waiter is not None and not waiter.done():
                waiter.cancel()


def _heard(transcript) -> Heard:
    return Heard(text=transcript.text, confidence=transcript.confidence)


class Listener:
    """The controller's speech service: models, UDP ports and the ARI application name."""

    def __init__(self, config: SpeechConfig, app: str, models: SpeechModels | None = None):
        self.config = config
        self.app = app
        self.models = models or SpeechModels(config.models)
        self.ports = PortPool(config.rtp_host, config.rtp_start, config.rtp_end)

    def can_listen(self, language: str) -> bool:
        return self.models.has(language)

    async def listen(self, call, media: list[str], grammar: list[str] | None, timeout_s: float) -> Heard:
        """Play `media` on `call` while listening; return the caller's answer."""
        recognition = self.models.recognition(call.language, vosk_grammar(grammar) if grammar else None)
        tap = None
        try:
            tap = await AudioTap.open(call.ari, self.app, call.channel_id, self.ports, recognition.feed)
            for uri in media:
                pressed = await call.play(uri, interruptible=True, barge=recognition.speaking)
                if pressed is not None:
                    return Heard(key=pressed)
                if recognition.speaking.is_set():
                    break
            heard = await await_answer(recognition, call.digits, timeout_s, self.config.max_utterance_s)
        finally:
            recognition.close()
            if tap is not None:
                await asyncio.shield(tap.close())
        if heard.text:
            call.record.heard.append((heard.text, heard.confidence))
            call.log("call.heard", text=heard.text, confidence=heard.confidence, packets=tap.receiver.packets,
                     foreign_packets=tap.receiver.dropped)
        return heard
