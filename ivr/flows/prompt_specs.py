"""Prompt specs: what a caller hears, as written in flow files - `say` text and `play` sounds.
(Turning them into audio is `ivr.prompts`: text-to-speech rendering on live calls.)

    prompt: "Welcome"                                   # text, spoken in the call's language
    prompt: {say: {en: "Welcome", fr: "Bienvenue"}}     # text per language
    prompt: [{play: hello-world}, {say: "to Acme"}]     # several, in order

A `play` is either an Asterisk sound name (`hello-world`, `digits/1`; Asterisk picks the
call language's folder) or, when it ends in an audio file extension, a file path relative
to the flows directory (`sounds/welcome.wav`). `SOUND_FILE_EXTENSIONS` is the one list of
the file formats our Asterisk plays (the `format_*` modules in asterisk-config/modules.conf);
`ivr flows check` refuses other audio formats (`x.mp3`) and the live call plays exactly these.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator

from ivr.errors import FlowError

from .expr import Lookup
from .languages import base_language, is_known_language
from .model import Reference
from .port import Prompt
from .source import Path_
from .template import check_template, has_fields, render

SOUND_FILE_EXTENSIONS = (".wav", ".gsm", ".ulaw", ".alaw", ".sln", ".sln16", ".g722")
UNPLAYABLE_AUDIO = (".mp3", ".g729", ".ogg", ".oga", ".opus", ".flac", ".m4a", ".aac", ".wma")

SAY_SCHEMA: dict = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "minProperties": 1, "additionalProperties": {"type": "string", "minLength": 1},
         "propertyNames": {"pattern": r"^[a-z]{2}([_-][A-Z]{2})?$"}},
    ],
    "x-expected": "text, or a mapping of language code to text",
}
PLAY_SCHEMA: dict = {"type": "string", "minLength": 1, "pattern": r"^[A-Za-z0-9_./-]+$",
                     "x-expected": "a sound name or a file path (letters, digits, '_', '-', '.', '/')"}
PROMPT_ITEM_SCHEMA: dict = {
    "anyOf": [
        {"type": "string", "minLength": 1},
        {"type": "object", "additionalProperties": False, "required": ["say"], "properties": {"say": SAY_SCHEMA}},
        {"type": "object", "additionalProperties": False, "required": ["play"], "properties": {"play": PLAY_SCHEMA}},
    ],
    "x-expected": "text, {say: ...} or {play: ...}",
}
PROMPTS_SCHEMA: dict = {
    "if": {"type": "array"},
    "then": {"minItems": 1, "items": PROMPT_ITEM_SCHEMA, "x-messages": {"minItems": "needs at least one prompt"}},
    "else": {**PROMPT_ITEM_SCHEMA, "x-expected": "text, {say: ...}, {play: ...} or a list of them"},
}


def is_sound_file(play: str) -> bool:
    """A file beside the flows (`sounds/x.wav`), as opposed to an Asterisk sound name (`digits/1`)."""
    return play.lower().endswith(SOUND_FILE_EXTENSIONS)


def is_unplayable_audio(play: str) -> bool:
    """An audio file in a format our Asterisk cannot play (it would look for a sound named `x.mp3`)."""
    return play.lower().endswith(UNPLAYABLE_AUDIO)


@dataclass(frozen=True)
class PromptSpec:
    """One prompt as written: `say` text per language ("" key = any language), or a `play` sound."""

    say: dict[str, str] | None = None
    play: str | None = None
    path: Path_ = ()

    def render(self, language: str, lookup: Lookup) -> Prompt:
        if self.play is not None:
            return Prompt(play=self.play)
        return Prompt(say=render(self.text_for(language), lookup))

    def text_for(self, language: str) -> str:
        texts = self.say or {}
        for key in (language, base_language(language), ""):
            if key in texts:
                return texts[key]
        return next(iter(texts.values()))

    def references(self) -> list[Reference]:
        if self.play is None:
            return []
        return [Reference("sound", self.play, self.path)]


def parse_say(raw: Any, path: Path_) -> PromptSpec:
    """Raises FlowError on a bad template or an unknown language code."""
    texts = {"": raw} if isinstance(raw, str) else dict(raw)
    for code in texts:
        if code and not is_known_language(code):
            raise FlowError(f"unknown language code '{code}'", "flow.unknown-language")
    for text in texts.values():
        check_template(text)
    return PromptSpec(say=texts, path=path)


def parse_prompts(raw: Any, path: Path_) -> list[PromptSpec]:
    """A schema-valid PROMPTS_SCHEMA value as specs. Raises FlowError on a bad template."""
    items = raw if isinstance(raw, list) else [raw]
    paths = [path + (i,) for i in range(len(items))] if isinstance(raw, list) else [path]
    specs = []
    for item, item_path in zip(items, paths):
        if isinstance(item, str):
            specs.append(parse_say(item, item_path))
        elif "say" in item:
            specs.append(parse_say(item["say"], item_path + ("say",)))
        else:
            specs.append(PromptSpec(play=item["play"], path=item_path + ("play",)))
    return specs


def fixed_prompts(raw: Any, path: Path_) -> list[PromptSpec]:
    """Prompts written outside a flow (acd.yaml's consent): the same syntax, fixed text only (no
    call variables reach them), playable sounds. Raises FlowError saying what is wrong."""
    if not Draft202012Validator(PROMPTS_SCHEMA).is_valid(raw):
        raise FlowError(f"expected text, {{say: ...}}, {{play: ...}} or a list of them, got {raw!r}",
                        "flow.bad-prompt")
    specs = parse_prompts(raw, path)
    for spec in specs:
        if spec.play is not None and is_unplayable_audio(spec.play):
            raise FlowError(f"Asterisk cannot play {spec.play} (use {', '.join(SOUND_FILE_EXTENSIONS)} or a sound "
                            "name)", "flow.unplayable-sound")
        if any(has_fields(text) for text in (spec.say or {}).values()):
            raise FlowError("fixed text only here: no {variables}", "flow.bad-template")
    return specs


def config_prompts(queues: dict, source: str) -> dict[str, list[PromptSpec]]:
    """Queue name -> its consent prompt specs (queues with one), from an `acd.config` load.
    Raises FlowError as `source: queues.NAME.recording.consent: what is wrong`."""
    found = {}
    for name, queue in queues.items():
        if queue.consent:
            path = ("queues", name, "recording", "consent")
            try:
                found[name] = fixed_prompts(queue.consent, path)
            except FlowError as exc:
                raise FlowError(f"{source}: {'.'.join(map(str, path))}: {exc}", exc.code) from None
    return found
