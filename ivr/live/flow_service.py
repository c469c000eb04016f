"""YAML flows on live calls: the flows directory as the server sees it, and the per-call runner.

`FlowLibrary` validates the whole directory with the same loader as `ivr flows check`,
and reloads it when a file changes. A call runs to its end on the version it started
with; an invalid edit is refused with the checker's messages and the previous version
keeps serving. A flows directory that disappears or cannot be read is logged once
(`flows.dir_unavailable`); the last good version serves until it is back.
"""
from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Collection
from datetime import datetime, timezone
from pathlib import Path

import aiohttp

from ivr import log
from ivr.config import Config
from ivr.errors import FlowsRefused, TtsError
from ivr.health import failed
from ivr.flows.languages import base_language
from ivr.flows.loader import (
    LoadResult,
    load_flows,
    read_queue_names,
    read_queue_overflows,
)
from ivr.flows.prompt_specs import PromptSpec
from ivr.flows.runner import ERROR, FlowRunner
from ivr.live.call import Call
from ivr.live.call_port import (
    TRANSFER_FAILED_ARG,
    LiveCallPort,
    NoAcdHandoff,
    QueueHandoff,
    TransferReturns,
)
from ivr.live.tasks import TaskOwner
from ivr.prompts.tts import Tts
from ivr.speech.listen import Listener

# A transfer without `failed:` that nobody answered: what the caller hears before the call ends.
CUSTOMER_LOOKUP_S = 2.0  # the longest a call waits for the customer store
NOBODY_ANSWERED = {"en": "Sorry, nobody could take your call. Please call again later.",
                   "fr": "Désolé, personne n'a pu prendre votre appel. Merci de rappeler plus tard."}


class FlowLibrary:
    def __init__(self, directory: str | Path, *, known_queues: set[str] | None = None,
                 known_sounds: set[str] | None = None, speech_languages: Collection[str] | None = None,
                 queue_overflows: dict[str, str] | None = None):
        self.directory = Path(directory)
        self.queue_overflows = queue_overflows
        self.known_queues = known_queues
        self.known_sounds = known_sounds
        self.speech_languages = speech_languages
        self.current: LoadResult | None = None
        self._snapshot: tuple = ()
        self.unavailable: str | None = None  # why the directory cannot be read, while it cannot

    def _files(self) -> tuple:
        """Every file's (path, mtime, size). Raises OSError when the directory is gone or unreadable."""
        if not self.directory.is_dir():
            raise FileNotFoundError(f"{self.directory} is not a directory")
        entries = []
        for path in sorted(self.directory.rglob("*")):
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue  # removed while we looked: the next refresh sees the change
            if path.is_file():
                entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)

    def _load(self) -> LoadResult:
        return load_flows(self.directory, known_queues=self.known_queues, known_sounds=self.known_sounds,
                          speech_languages=self.speech_languages, queue_overflows=self.queue_overflows)

    def load(self) -> LoadResult:
        """The first load: errors refuse to start, with one line per problem."""
        self._snapshot = self._files()
        result = self._load()
        if result.has_errors:
            raise FlowsRefused("\n".join(str(problem) for problem in result.errors))
        for warning in result.warnings:
            log.warning("flows.warning", problem=str(warning))
        self.current = result
        log.event("flows.loaded", dir=str(self.directory), flows=",".join(sorted(result.flows)))
        return result

    def refresh(self) -> bool:
        """Reload if any file changed; True when a new version now serves."""
        try:
            snapshot = self._files()
        except OSError as exc:
            if self.unavailable is None:
                log.error("flows.dir_unavailable", dir=str(self.directory), reason=str(exc),
                          serving="the last good version")
            self.unavailable = str(exc)
            return False
        if self.unavailable is not None:
            self.unavailable = None
            log.event("flows.dir_back", dir=str(self.directory))
        if snapshot == self._snapshot:
            return False
        self._snapshot = snapshot
        result = self._load()
        if result.has_errors:
            for problem in result.errors:
                log.error("flows.reload_refused", problem=str(problem))
            return False
        self.current = result
        log.event("flows.reloaded", flows=",".join(sorted(result.flows)))
        return True

    async def watch(self, interval_s: float = 1.0, on_reload: Callable[[], None] | None = None) -> None:
        """Refresh every `interval_s` for as long as the service runs: a failing refresh is logged,
        never the end of the watch."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                if await asyncio.to_thread(self.refresh) and on_reload:
                    on_reload()
            except Exception as exc:  # noqa: BLE001 - reloads must outlive any one bad refresh
                log.error("flows.watch_failed", dir=str(self.directory), exc=exc)


def static_prompts(flows: LoadResult) -> set[tuple[str, str]]:
    """(text, language) of every `say` prompt with no variables in it: these can be rendered ahead of calls."""
    found: set[tuple[str, str]] = set()

    def walk(value: object, language: str) -> None:
        if isinstance(value, PromptSpec):
            for lang, text in (value.say or {}).items():
                if "{" not in text:
                    found.add((text, lang or language))
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item, language)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item, language)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name), language)

    for flow in flows.flows.values():
        for node in flow.nodes.values():
            walk(node, flow.language or "en")
    return found


def pbx_sound_names(config: Config) -> set[str] | None:
    """Sound names the local PBX has in English (for checking `play:`), or None without a local PBX."""
    sounds = Path(config.pbx.root) / "root/usr/share/asterisk/sounds/en_US_f_Allison"
    if not sounds.is_dir():
        return None
    return {str(path.relative_to(sounds).with_suffix("")) for path in sounds.rglob("*") if path.is_file()}


class FlowService:
    """The controller's flow: pick a flow by dialed number, run it on a `LiveCallPort`."""

    name = "yaml"

    def __init__(self, config: Config, library: FlowLibrary, *, handoff: QueueHandoff | None = None,
                 clock: Callable[[], datetime] | None = None):
        self.config = config
        self.library = library
        self.tts = Tts(config.media.prompts_dir, config.media.pbx_prompts_dir, config.media.voices)
        self.handoff = handoff or NoAcdHandoff(self.tts)
        self.customers = None  # the channels' hub: `last_contact` for flows, calls into the customer timeline
        self.clock = clock or (lambda: datetime.now(timezone.utc))
        self.speech = Listener(config.speech, config.ari.app) if config.speech.models else None
        self.returns = TransferReturns()
        self.handlers = {TRANSFER_FAILED_ARG: self.transfer_failed}
        self._http: aiohttp.ClientSession | None = None
        self.tasks = TaskOwner("flows")
        self._warming: asyncio.Task[None] | None = None

    @classmethod
    def from_config(cls, config: Config, **kw) -> "FlowService":
        queues = read_queue_names(Path(config.acd.file))
        library = FlowLibrary(config.flows.dir, known_queues=queues, known_sounds=pbx_sound_names(config),
                              speech_languages=list(config.speech.models),
                              queue_overflows=read_queue_overflows(Path(config.acd.file)))
        library.load()
        return cls(config, library, **kw)

    async def start(self) -> None:
        self._http = aiohttp.ClientSession()
        if self.speech is not None:
            await self.speech.models.preload()
        self.announce_speech()
        self.tasks.supervise("flows-watch", lambda: self.library.watch(on_reload=self._warm_up))
        self._warm_up()

    def _warm_up(self) -> None:
        """Render the flows' fixed `say` prompts in the background, so callers never wait for TTS."""
        if self._warming and not self._warming.done():
            self._warming.cancel()
        self._warming = self.tasks.spawn(self._render_all(static_prompts(self.library.current)), "tts-warm")

    async def _render_all(self, prompts: set[tuple[str, str]]) -> None:
        limit = asyncio.Semaphore(2)

        async def render(text: str, language: str) -> None:
            async with limit:
                try:
                    await self.tts.media(text, language)
                except TtsError as exc:
                    log.warning("tts.warm_failed", language=language, reason=str(exc))

        await asyncio.gather(*(render(text, language) for text, language in prompts))

    def announce_speech(self) -> None:
        """Say which languages have speech recognition (the flows' load warnings name the nodes that
        take keys only)."""
        if self.speech:
            log.event("speech.ready", languages=",".join(self.speech.models.languages))
        else:
            log.event("speech.off", reason="no speech.models configured: menus take keys only")

    async def stop(self) -> None:
        if self.speech is not None:
            self.speech.models.close()
        await self.tasks.close()
        if self._http:
            await self._http.close()

    def flow_for(self, dialed: str) -> str:
        return self.config.flows.routes.get(dialed, self.config.flows.default)

    async def run(self, call: Call) -> None:
        name = self.flow_for(call.record.dialed)
        await call.answer()
        variables = await self._customer_variables(call)
        await self._run_flow(call, name, variables=variables)

    async def _customer_variables(self, call: Call) -> dict | None:
        """`last_contact` for the flow, when the channels know the caller (bounded: a slow store
        must not keep the caller waiting)."""
        if self.customers is None:
            return None
        try:
            found = await asyncio.wait_for(self.customers.last_contact(call.record.caller), CUSTOMER_LOOKUP_S)
        except Exception as exc:  # noqa: BLE001 - the flow runs without it
            failed("customers.lookup_failed", exc, call=call.channel_id)
            return None
        return {"last_contact": found} if found else None

    async def _note_call(self, call: Call, flow: str, path: str) -> None:
        """What the customer timeline shows of this call: its IVR path and recordings."""
        if self.customers is None:
            return
        try:
            await asyncio.wait_for(self.customers.call_ended(call.channel_id, call.record.caller, flow, path,
                                                             list(call.record.recordings)), CUSTOMER_LOOKUP_S)
        except Exception as exc:  # noqa: BLE001 - the call is over either way
            failed("customers.note_failed", exc, call=call.channel_id)

    async def transfer_failed(self, call: Call, args: list[str]) -> None:
        """A transferred call came back unanswered (`args`: Asterisk's DIALSTATUS): it goes on
        where its `transfer` node said, or hears that nobody could take it."""
        status = args[0] if args else ""
        back = self.returns.take(call.channel_id)
        call.log("call.transfer_failed", status=status, back_to=f"{back.flow}.{back.node}" if back else "")
        if back is None:
            said = NOBODY_ANSWERED.get(base_language(call.language), NOBODY_ANSWERED["en"])
            await call.play(await self.tts.media(said, call.language))
            return
        variables = {**back.variables, "transfer_status": status}
        await self._run_flow(call, back.flow, back.node, variables=variables, language=back.language)

    async def _run_flow(self, call: Call, name: str, node: str | None = None, *,
                        variables: dict | None = None, language: str | None = None) -> None:
        flows = self.library.current  # this call keeps this version, whatever reloads meanwhile
        port = LiveCallPort(call, self.config, self.tts, self._http, self.handoff, self.clock, self.speech,
                            self.returns)
        runner = FlowRunner(flows, port, variables=variables, language=language)
        try:
            outcome = await runner.run(name, node)
        except asyncio.CancelledError:  # the caller hung up: the timeline still gets the call
            if runner.trace is not None and call.hung_up:  # (a controller stop: the next one notes it)
                await asyncio.shield(self._note_call(call, name, ">".join(runner.trace.visited)))
            raise
        call.record.flow = name
        call.record.outcome = outcome
        if outcome.kind == ERROR:
            call.record.error = f"{outcome.error_code}: {outcome.error}"
            await call.apologize()  # the flow could not go on and has no `failed:` branch
        call.log("call.flow_end", flow=name, outcome=outcome.describe(), path=">".join(outcome.visited))
        await self._note_call(call, name, ">".join(outcome.visited))
