"""What a waiting caller hears: music on hold, broken by position / estimated-wait announcements."""
from __future__ import annotations

import asyncio
from collections.abc import Callable

from acd.model import Queue
from ivr.errors import AriError, AriRequestError
from ivr.live.call import Call
from ivr.live.tasks import TaskOwner
from ivr.prompts.tts import Tts

TEXTS = {
    "en": ("You are number {position} in the queue.", "Your estimated wait is about {minutes} {unit}.",
           ("minute", "minutes")),
    "fr": ("Vous êtes le numéro {position} dans la file d'attente.",
           "Votre temps d'attente estimé est d'environ {minutes} {unit}.", ("minute", "minutes")),
}


def announcement(language: str, position: int | None, wait_s: float | None) -> list[str]:
    """The sentences of one announcement, in the caller's language (English when we have no texts)."""
    say_position, say_wait, units = TEXTS.get(language.split("_")[0], TEXTS["en"])
    sentences = []
    if position is not None:
        sentences.append(say_position.format(position=position))
    if wait_s is not None:
        minutes = max(1, round(wait_s / 60))
        sentences.append(say_wait.format(minutes=minutes, unit=units[minutes > 1]))
    return sentences


class Hold:
    """Music on hold on the caller's channel and an announcer task, until `stop()`.

    `where` returns (position, estimated wait s), either None when the queue does not announce
    it, or None altogether when the caller is no longer waiting (being offered to an agent).
    """

    def __init__(self, call: Call, queue: Queue, tts: Tts,
                 where: Callable[[], tuple[int | None, float | None] | None], tasks: TaskOwner):
        self.call, self.queue, self.tts, self.where, self.tasks = call, queue, tts, where, tasks
        self._announcer: asyncio.Task[None] | None = None
        self._stopped = False

    async def start(self, announce_now: bool) -> None:
        await self._music(True)
        settings = self.queue.announcements
        if settings.position or settings.estimated_wait:
            self._announcer = self.tasks.spawn(self._announce(announce_now), f"announce-{self.call.channel_id}")

    def requeue(self, queue: Queue) -> None:
        """The caller moved to `queue` (overflow): its music class and announcements from now on.
        The same music class plays on untouched, so the caller hears no gap."""
        music_changed = queue.music_on_hold != self.queue.music_on_hold
        self.queue = queue
        if self._stopped:
            return
        if music_changed:
            self.tasks.spawn(self._music(True), f"moh-{self.call.channel_id}")
        settings = queue.announcements
        if (settings.position or settings.estimated_wait) and (self._announcer is None or self._announcer.done()):
            self._announcer = self.tasks.spawn(self._announce(False), f"announce-{self.call.channel_id}")

    async def stop(self) -> None:
        """Silence: no announcement, no music (before bridging, overflowing or hanging up)."""
        if self._stopped:
            return
        await self.detach()
        await _quietly(self.call, self.call.stop_playbacks())
        await self._music(False)

    async def detach(self) -> None:
        """The controller stops: no more announcements from this one, but the music plays on."""
        self._stopped = True
        if self._announcer:
            self._announcer.cancel()
            await asyncio.gather(self._announcer, return_exceptions=True)

    async def _announce(self, now: bool) -> None:
        if not now:
            await asyncio.sleep(self.queue.announcements.every_s)
        while not self._stopped:
            if not (self.queue.announcements.position or self.queue.announcements.estimated_wait):
                return  # moved to a queue that does not announce
            where = self.where()
            if where is not None:
                sentences = announcement(self.call.language, *where)
                media = [await self.tts.media(text, self.call.language) for text in sentences]
                await self._music(False)
                for uri in media:
                    if self._stopped:
                        return
                    await self.call.play(uri)
                if self._stopped:
                    return
                await self._music(True)
            await asyncio.sleep(self.queue.announcements.every_s)

    async def _music(self, on: bool) -> None:
        path = f"/channels/{self.call.channel_id}/moh"
        if on:
            await _quietly(self.call, self.call.ari.post(path, params={"mohClass": self.queue.music_on_hold}))
        else:
            await _quietly(self.call, self.call.ari.delete(path, missing_ok=True))


async def _quietly(call: Call, request) -> None:
    """A command on a channel that may be gone already (the caller hung up meanwhile): that is
    no failure; anything else is logged, and the caller waits on (in silence, at worst)."""
    try:
        await request
    except AriError as exc:
        if not (call.hung_up or (isinstance(exc, AriRequestError) and exc.status == 404)):
            call.log("acd.hold_failed", reason=str(exc))
