"""Service configuration: `ivr.yaml`, overridable by IVR_<SECTION>_<KEY> environment variables."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, get_type_hints

import yaml

from . import config_check
from .errors import ConfigError

DEFAULT_PATH = Path("ivr.yaml")


@dataclass
class AriConfig:
    url: str = "http://127.0.0.1:8088"
    username: str = "ivr"
    password: str = ""
    app: str = "ivr"

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[-1].split("/")[0])


@dataclass
class AmiConfig:
    host: str = "127.0.0.1"
    port: int = 5038
    username: str = "ivr"
    password: str = ""


@dataclass
class SipConfig:
    host: str = "127.0.0.1"
    port: int = 5060
    rtp_start: int = 10000
    rtp_end: int = 20000
    service_numbers: list[str] = field(default_factory=lambda: ["100"])


@dataclass
class PbxConfig:
    root: str = "var/pbx"
    cache: str = "/var/cache/ivr"
    suite: str = "sid"


@dataclass
class AgentEndpoint:
    id: str
    password: str


@dataclass
class SupervisorConfig:
    """A supervisor: the SIP phone `ivr sup` calls (endpoint = id unless set) and the queues whose calls
    they may listen to, whisper into and barge in on."""

    id: str
    password: str
    queues: list[str] = field(default_factory=list)
    endpoint: str = ""

    def __post_init__(self) -> None:
        self.endpoint = self.endpoint or self.id


@dataclass
class FlowsConfig:
    dir: str = "flows"
    default: str = "support-line"  # the flow for numbers without a route
    routes: dict[str, str] = field(default_factory=dict)  # dialed number -> flow name
    http_max_bytes: int = 1_000_000  # largest answer an `http` node takes, unless it sets max_bytes


@dataclass
class MediaConfig:
    """Directories the controller and Asterisk share, as each of them sees them."""

    prompts_dir: str = "var/prompts"  # text-to-speech cache, written by the controller
    recordings_dir: str = "recordings"  # written by Asterisk
    pbx_prompts_dir: str = "/var/lib/ivr/prompts"
    pbx_flows_dir: str = "/var/lib/ivr/flows"
    pbx_recordings_dir: str = "/var/spool/asterisk/recording"  # where Asterisk keeps ARI recordings
    voices: dict[str, str] = field(default_factory=lambda: {"en": "en-us", "fr": "fr-fr"})  # language -> voice


@dataclass
class AcdServiceConfig:
    """The ACD on live calls: its routing config, its state store, QA recording of bridged calls."""

    file: str = "acd.yaml"  # queues, agents, skills (see docs/routing.md)
    store_url: str = "sqlite:///var/acd.sqlite"  # a relative SQLite path is relative to this config file
    record: bool = True  # record caller-agent bridges into media.recordings_dir for QA
    record_split: bool = False  # also one file per side (what the caller said, what the agent said)


@dataclass
class ControlConfig:
    """The loopback HTTP API `ivr agents` and `ivr queues` talk to while `ivr serve` runs."""

    host: str = "127.0.0.1"
    port: int = 8090
    token_file: str = "var/control.token"  # written by `ivr serve` (mode 0600), read by `ivr agents`/`ivr queues`


@dataclass
class MetricsConfig:
    """The Prometheus endpoint `ivr serve` opens (GET /metrics, no token, loopback only; port 0: off)."""

    host: str = "127.0.0.1"
    port: int = 9464


@dataclass
class SpeechConfig:
    """Offline speech recognition (Vosk). Without a model for a call's language, menus take keys only."""

    models: dict[str, str] = field(default_factory=dict)  # language -> Vosk model directory
    max_utterance_s: float = 8.0  # longest answer, from the moment the caller starts speaking
    rtp_host: str = "127.0.0.1"  # where Asterisk streams the caller's audio to us (external media)
    rtp_start: int = 40000  # UDP ports for those streams: keep them apart from Asterisk's RTP range
    rtp_end: int = 40999


@dataclass
class LookupConfig:
    """The demo account service `ivr serve` runs for the shipped support line (port 0: off)."""

    host: str = "127.0.0.1"
    port: int = 0
    file: str = "flows/accounts.json"  # account number -> record; relative to this config file


@dataclass
class ChannelConfig:
    """What every channel has: where it listens (port 0: off) and where its conversations wait in the ACD."""

    host: str = "127.0.0.1"
    port: int = 0
    queue: str = "support"
    skills: dict[str, int] = field(default_factory=dict)
    language: str = "en"
    priority: int = 0


@dataclass
class EmailChannelConfig(ChannelConfig):
    """Mail into the ACD: an SMTP listener; replies through an SMTP relay."""

    relay: str = ""  # <IP>:<port> of the SMTP relay replies go out through ("": replies fail, shown as failed)
    max_bytes: int = 10_000_000  # larger mail is refused at the SMTP level (552)
    address: str = "support@localhost"  # From: of our replies
    domain: str = "ivr.localhost"  # right-hand side of our Message-IDs (loop detection knows them)
    attachments_dir: str = "var/attachments"  # relative to this config file
    auto_reply: str = ""  # acknowledgement sent to a new thread's sender ("": none); never to automatic mail


@dataclass
class ChatChannelConfig(ChannelConfig):
    """Web chat for website visitors: a WebSocket and an embeddable page."""

    origins: list[str] = field(default_factory=list)  # web origins allowed to embed the chat, besides its own
    max_message_chars: int = 4000


@dataclass
class SmsChannelConfig(ChannelConfig):
    """SMS: a signed webhook for inbound messages, an HTTP gateway for outbound."""

    secret: str = ""  # shared with the gateway: HMAC-SHA256 of each webhook (docs/channels.md)
    gateway_url: str = ""  # http://<IP>:<port>/path the replies are posted to ("": replies fail)
    number: str = ""  # our sender number
    max_age_s: int = 300  # a webhook signed longer ago than this is a replay


@dataclass
class ChannelsConfig:
    email: EmailChannelConfig = field(default_factory=EmailChannelConfig)
    chat: ChatChannelConfig = field(default_factory=ChatChannelConfig)
    sms: SmsChannelConfig = field(default_factory=SmsChannelConfig)


@dataclass
class LogConfig:
    level: str = "info"


@dataclass
class Config:
    ari: AriConfig = field(default_factory=AriConfig)
    ami: AmiConfig = field(default_factory=AmiConfig)
    sip: SipConfig = field(default_factory=SipConfig)
    pbx: PbxConfig = field(default_factory=PbxConfig)
    agents: list[AgentEndpoint] = field(default_factory=list)
    supervisors: list[SupervisorConfig] = field(default_factory=list)
    flows: FlowsConfig = field(default_factory=FlowsConfig)
    media: MediaConfig = field(default_factory=MediaConfig)
    acd: AcdServiceConfig = field(default_factory=AcdServiceConfig)
    control: ControlConfig = field(default_factory=ControlConfig)
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    speech: SpeechConfig = field(default_factory=SpeechConfig)
    lookup: LookupConfig = field(default_factory=LookupConfig)
    channels: ChannelsConfig = field(default_factory=ChannelsConfig)
    log: LogConfig = field(default_factory=LogConfig)
    source: str = "<defaults>"
    overrides: dict[str, str] = field(default_factory=dict)  # "section.key" -> the IVR_* variable that set it


def load(path: str | Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Read the config file (IVR_CONFIG or ./ivr.yaml) and apply environment overrides."""
    env = os.environ if env is None else env
    path = Path(path or env.get("IVR_CONFIG") or DEFAULT_PATH)
    raw: dict[str, Any] = {}
    if path.exists():
        try:
            raw = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
            raise ConfigError(f"{where}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: expected a mapping of sections at the top level")
    elif "IVR_CONFIG" in env or path != DEFAULT_PATH:
        raise ConfigError(f"{path}: config file not found")
    config = Config(source=str(path))
    for f in fields(Config):
        if f.name in ("source", "overrides") or f.name not in raw:
            continue
        setattr(config, f.name, _build(f.name, get_type_hints(Config)[f.name], raw[f.name], path))
    _apply_env(config, env)
    # Relative paths in the file are relative to the file, not to wherever the command runs.
    base = path.parent
    config.pbx.root = str((base / config.pbx.root).resolve())
    config.flows.dir = str((base / config.flows.dir).resolve())
    config.media.prompts_dir = str((base / config.media.prompts_dir).resolve())
    config.media.recordings_dir = str((base / config.media.recordings_dir).resolve())
    config.acd.file = str((base / config.acd.file).resolve())
    config.lookup.file = str((base / config.lookup.file).resolve())
    if config.acd.store_url.startswith("sqlite:///") and not config.acd.store_url.startswith("sqlite:////"):
        relative = config.acd.store_url.removeprefix("sqlite:///")
        if relative != ":memory:":
            config.acd.store_url = "sqlite:///" + str((base / relative).resolve())
    config.control.token_file = str((base / config.control.token_file).resolve())
    config.channels.email.attachments_dir = str((base / config.channels.email.attachments_dir).resolve())
    config.speech.models = {lang: str((base / model).resolve()) for lang, model in config.speech.models.items()}
    config_check.check(config)
    return config


def _build(where: str, kind: Any, value: Any, path: Path) -> Any:
    if kind in (list[AgentEndpoint], list[SupervisorConfig]):
        if not isinstance(value, list):
            raise ConfigError(f"{path}: {where}: expected a list")
        item = AgentEndpoint if kind == list[AgentEndpoint] else SupervisorConfig
        return [_build(f"{where}[{i}]", item, v, path) for i, v in enumerate(value)]
    if is_dataclass(kind):
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {where}: expected a mapping")
        hints = get_type_hints(kind)
        known = {f.name for f in fields(kind)}
        unknown = sorted(set(value) - known)
        if unknown:
            raise ConfigError(f"{path}: {where}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
        try:
            return kind(**{k: _coerce(f"{where}.{k}", hints[k], v, path) for k, v in value.items()})
        except TypeError as exc:
            raise ConfigError(f"{path}: {where}: {exc}") from None
    return _coerce(where, kind, value, path)


def _coerce(where: str, kind: Any, value: Any, path: Path | str) -> Any:
    if is_dataclass(kind):
        return _build(where, kind, value, Path(path))
    if kind == dict[str, int]:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {where}: expected a mapping, got {value!r}")
        return {str(k): _coerce(f"{where}.{k}", int, v, path) for k, v in value.items()}
    if kind is int:
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: {where}: expected a whole number, got {value!r}") from None
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "yes", "1", "false", "no", "0"):
            return value.lower() in ("true", "yes", "1")
        if not isinstance(value, bool):
            raise ConfigError(f"{path}: {where}: expected true or false, got {value!r}")
        return value
    if kind is float:
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{path}: {where}: expected a number, got {value!r}") from None
    if kind is str:
        if isinstance(value, (dict, list)) or value is None:
            raise ConfigError(f"{path}: {where}: expected text, got {value!r}")
        return str(value)
    if kind == dict[str, str]:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: {where}: expected a mapping, got {value!r}")
        return {str(k): str(v) for k, v in value.items()}
    if kind == list[str]:
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{path}: {where}: expected a list, got {value!r}")
        return [str(v) for v in value]
    return value


def _apply_env(config: Config, env: dict[str, str]) -> None:
    for section in ("ari", "ami", "sip", "pbx", "flows", "media", "acd", "control", "metrics", "speech", "lookup",
                    "log"):
        obj = getattr(config, section)
        hints = get_type_hints(type(obj))
        for f in fields(obj):
            name = f"IVR_{section}_{f.name}".upper()
            if name in env and hints[f.name] != dict[str, str]:
                setattr(obj, f.name, _coerce(f"{section}.{f.name}", hints[f.name], env[name], f"environment {name}"))
                config.overrides[f"{section}.{f.name}"] = name
    for media in ("email", "chat", "sms"):
        obj = getattr(config.channels, media)
        hints = get_type_hints(type(obj))
        for f in fields(obj):
            name = f"IVR_CHANNELS_{media}_{f.name}".upper()
            if name in env and hints[f.name] not in (dict[str, str], dict[str, int]):
                setattr(obj, f.name, _coerce(f.name, hints[f.name], env[name], f"environment {name}"))
                config.overrides[f"channels.{media}.{f.name}"] = name
    for i, agent in enumerate(config.agents):
        name = agent_password_variable(agent.id)
        if name in env:
            agent.password = env[name]
            config.overrides[f"agents[{i}].password"] = name
    for i, supervisor in enumerate(config.supervisors):
        name = supervisor_password_variable(supervisor.id)
        if name in env:
            supervisor.password = env[name]
            config.overrides[f"supervisors[{i}].password"] = name


def agent_password_variable(agent_id: str) -> str:
    """The environment variable that sets an agent's SIP password: IVR_AGENTS_AGENT1_PASSWORD."""
    return "IVR_AGENTS_" + "".join(c if c.isalnum() else "_" for c in agent_id).upper() + "_PASSWORD"


def supervisor_password_variable(supervisor_id: str) -> str:
    """The environment variable that sets a supervisor's SIP password: IVR_SUPERVISORS_SUP1_PASSWORD."""
    return "IVR_SUPERVISORS_" + "".join(c if c.isalnum() else "_" for c in supervisor_id).upper() + "_PASSWORD"
