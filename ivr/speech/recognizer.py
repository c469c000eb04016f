"""Vosk models per language, and one streaming recognition per listening call.

Decoding is CPU work: it runs in a thread pool, never on the event loop. One call's audio
is decoded in order by a single consumer task; audio that arrives while a chunk is being
decoded is batched into the next one.
"""
from __future__ import annotations

import asyncio
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from ivr.errors import SpeechModelError

from ..flows.languages import matching_language

SAMPLE_RATE = 8000  # `slin` from Asterisk, the phone line's rate


@dataclass(frozen=True)
class Transcript:
    text: str
    confidence: float  # mean word confidence, 0 when nothing was recognized
    words: tuple[tuple[str, float], ...] = field(default=())

    @classmethod
    def from_json(cls, raw: str) -> "Transcript":
        result = json.loads(raw)
        words = tuple((w["word"], float(w.get("conf", 0))) for w in result.get("result", []))
        confidence = sum(c for _, c in words) / len(words) if words else 0.0
        return cls(result.get("text", "").strip(), round(confidence, 3), words)


class SpeechModels:
    """The configured models (language -> directory), loaded once and shared by every call."""

    def __init__(self, models: dict[str, str], *, workers: int | None = None):
        self.paths = dict(models)
        self.pool = ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2, thread_name_prefix="vosk")
        self._models: dict[str, object] = {}

    @property
    def languages(self) -> list[str]:
        return sorted(self.paths)

    def language_for(self, language: str) -> str | None:
        return matching_language(language, self.paths)

    def has(self, language: str) -> bool:
        return self.language_for(language) is not None

    def load(self, language: str) -> object:
        """The model for `language` (blocking: the first load reads a few hundred MB)."""
        key = self.language_for(language)
        if key is None:
            raise SpeechModelError(f"no speech model for language {language!r} (speech.models)")
        if key not in self._models:
            import vosk

            vosk.SetLogLevel(-2)  # quiet: a small model without "[unk]" warns on every grammar
            path = Path(self.paths[key])
            if not (path / "am").is_dir() and not (path / "conf").is_dir():
                raise SpeechModelError(f"speech.models.{key}: {path} is not a Vosk model directory")
            self._models[key] = vosk.Model(str(path))
        return self._models[key]

    async def preload(self) -> None:
        loop = asyncio.get_running_loop()
        for language in self.languages:
            await loop.run_in_executor(self.pool, self.load, language)

    def recognition(self, language: str, grammar: str | None) -> "Recognition":
        return Recognition(self.load(language), grammar, self.pool)

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)


def decode(model: object, grammar: str | None, pcm: bytes, *, chunk_s: float = 0.02) -> Transcript:
    """Decode audio the way a live call streams it (packet by packet, ended by Vosk's endpointing
    or by the end of the audio), without a call: the reference the live path is measured against."""
    import vosk

    vosk.SetLogLevel(-2)
    recognizer = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar) if grammar else \
        vosk.KaldiRecognizer(model, SAMPLE_RATE)
    recognizer.SetWords(True)
    step = 2 * int(SAMPLE_RATE * chunk_s)
    for start in range(0, len(pcm), step):
        if recognizer.AcceptWaveform(pcm[start:start + step]):
            transcript = Transcript.from_json(recognizer.Result())
            if transcript.text:
                return transcript
    return Transcript.from_json(recognizer.FinalResult())


class Recognition:
    """One utterance being recognized. Feed PCM from the event loop; await `speaking` and `result`."""

    def __init__(self, model: object, grammar: str | None, pool: ThreadPoolExecutor):
        import vosk

        self.recognizer = vosk.KaldiRecognizer(model, SAMPLE_RATE, grammar) if grammar else \
            vosk.KaldiRecognizer(model, SAMPLE_RATE)
        self.recognizer.SetWords(True)
        self.pool = pool
        self.speaking = asyncio.Event()  # a partial result with words: the caller started to speak
        self.result: asyncio.Future[Transcript] = asyncio.get_running_loop().create_future()
        self.audio_s = 0.0
        self._pending: list[bytes] = []
        self._wake = asyncio.Event()
        self._finishing = False
        self._task = asyncio.create_task(self._decode())

    def feed(self, pcm: bytes) -> None:
        if self.result.done():
            return
        self._pending.append(pcm)
        self._wake.set()

    async def _decode(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.result.done():
            await self._wake.wait()
            self._wake.clear()
            chunk, self._pending = b"".join(self._pending), []
            if self._finishing:  # after the audio decoded so far, in the same order
                raw = await loop.run_in_executor(self.pool, self._final, chunk)
                if not self.result.done():
                    self.result.set_result(Transcript.from_json(raw))
                return
            if not chunk:
                continue
            self.audio_s += len(chunk) / (2 * SAMPLE_RATE)
            final, raw = await loop.run_in_executor(self.pool, self._accept, chunk)
            if final:
                transcript = Transcript.from_json(raw)
                if transcript.text:  # an endpoint after noise only: keep listening
                    self.result.set_result(transcript)
            elif raw and not self.speaking.is_set():
                self.speaking.set()

    def _accept(self, chunk: bytes) -> tuple[bool, str]:
        if self.recognizer.AcceptWaveform(chunk):
            return True, self.recognizer.Result()
        return False, json.loads(self.recognizer.PartialResult()).get("partial", "").strip()

    def _final(self, chunk: bytes) -> str:
        if chunk:
            self.recognizer.AcceptWaveform(chunk)
        return self.recognizer.FinalResult()

    async def finish(self) -> Transcript:
        """What was said so far (the caller has not paused yet, but time is up)."""
        self._finishing = True
        self._wake.set()
        return await asyncio.shield(self.result)

    def close(self) -> None:
        self._task.cancel()
        if not self.result.done():
            self.result.cancel()
