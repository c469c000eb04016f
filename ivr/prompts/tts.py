"""Text to speech with espeak-ng, rendered once to 8 kHz mono WAV and cached by content hash.

The cache directory is shared with Asterisk (bind-mounted into the local PBX root), so a
rendered prompt is played as `sound:<pbx_dir>/<hash>`.
"""
from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path

from ivr.errors import TtsError

RENDER_VERSION = "espeak-ng/sox 8k v1"  # part of the hash: bump to re-render every prompt
MAX_CACHED = 20_000  # prompts kept; past it the least recently rendered go (they render again if needed)
PRUNE_EVERY = 500  # renders between two looks at the cache's size


class Tts:
    def __init__(self, cache_dir: str | Path, pbx_dir: str, voices: dict[str, str] | None = None,
                 *, speed_wpm: int = 160, max_cached: int = MAX_CACHED):
        self.cache_dir = Path(cache_dir)
        self.pbx_dir = pbx_dir.rstrip("/")
        self.voices = voices or {}
        self.speed_wpm = speed_wpm
        self.max_cached = max_cached
        self._rendering: dict[str, asyncio.Future[None]] = {}
        self._renders = 0

    def voice(self, language: str) -> str:
        return self.voices.get(language, language)

    def key(self, text: str, language: str) -> str:
        material = f"{RENDER_VERSION}\n{self.voice(language)}\n{self.speed_wpm}\n{text}"
        return hashlib.sha256(material.encode()).hexdigest()[:32]

    async def media(self, text: str, language: str) -> str:
        """The ARI media URI for `text` in `language`, rendering it first if needed."""
        key = self.key(text, language)
        path = self.cache_dir / f"{key}.wav"
        if not path.exists():
            pending = self._rendering.get(key)
            if pending is None:
                pending = self._rendering[key] = asyncio.ensure_future(self._render(text, language, path))
                pending.add_done_callback(lambda _: self._rendering.pop(key, None))
            await asyncio.shield(pending)
        return f"sound:{self.pbx_dir}/{key}"

    async def _render(self, text: str, language: str, path: Path) -> None:
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.wav")
        # espeak-ng speaks at 22.05 kHz; telephony wants 8 kHz mono signed 16-bit.
        # No shell: the text is one argument, and `--` keeps it from being read as a flag.
        speech = await _run("espeak-ng", "-v", self.voice(language), "-s", str(self.speed_wpm), "--stdout", "--", text)
        await _run("sox", "-t", "wav", "-", "-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer", str(tmp),
                   stdin=speech)
        tmp.chmod(0o644)
        tmp.replace(path)  # atomic: Asterisk never sees a half-written prompt
        self._renders += 1
        if self._renders % PRUNE_EVERY == 0:
            await asyncio.to_thread(self.prune)

    def prune(self) -> int:
        """Keep the cache under `max_cached` prompts (prompts with variables in them, such as
        "You entered 7", would otherwise grow it forever); returns how many were removed."""
        prompts = sorted(self.cache_dir.glob("*.wav"), key=lambda found: found.stat().st_mtime)
        excess = prompts[:max(0, len(prompts) - self.max_cached)]
        for path in excess:
            path.unlink(missing_ok=True)  # one Asterisk is playing keeps playing: it has the file open
        return len(excess)


async def _run(*command: str, stdin: bytes | None = None) -> bytes:
    proc = await asyncio.create_subprocess_exec(
        *command, stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await proc.communicate(stdin)
    except asyncio.CancelledError:  # the call (or the server) went: leave no renderer behind
        proc.kill()
        await proc.wait()
        raise
    if proc.returncode:
        detail = stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
        raise TtsError(f"text-to-speech step {command[0]} failed (exit {proc.returncode}): {detail[0]}")
    return stdout
