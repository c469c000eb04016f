"""Strict checks of every config value that reaches Asterisk's files, a socket, a URL or a path.

One rule per kind of value, each a full-match pattern (`re.fullmatch`: `^...$` with `re.match`
accepts a trailing newline, which is exactly how a value adds a `[section]` to an Asterisk file).
`check(config)` runs when the config is loaded and again before anything is rendered, so a bad value
is refused as `source: key: reason` before a single file is written or a socket opened.
"""
from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from .errors import ConfigError

if TYPE_CHECKING:
    from .config import Config


def agent_password_variable(agent_id: str) -> str:
    from .config import agent_password_variable as variable
    return variable(agent_id)


def supervisor_password_variable(supervisor_id: str) -> str:
    from .config import supervisor_password_variable as variable
    return variable(supervisor_id)


IP = re.compile(r"[0-9A-Fa-f:.]{2,45}")
NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")  # users, agent ids, the Stasis app, flow names
SECRET = re.compile(r"[A-Za-z0-9_.+/=~@%-]{1,128}")  # nothing Asterisk's config parser or HTTP Basic reads
NUMBER = re.compile(r"[0-9*#+]{1,32}")  # what a caller dials
URL = re.compile(r"(https?)://(\[[0-9A-Fa-f:.]+\]|[0-9.]+):([0-9]{1,5})/?")  # ARI: an IP literal, no userinfo
PATH = re.compile(r"[^\x00-\x1f\x7f]{1,4096}")  # a local path: no newline or other control character
PBX_PATH = re.compile(r"(/[A-Za-z0-9_.-]+)+")  # an absolute path inside Asterisk's root
STORE_URL = re.compile(r"(sqlite|postgresql(\+[a-z0-9]+)?)://[^\s\x00-\x1f\x7f]*")
SUITE = re.compile(r"[a-z][a-z0-9-]{0,31}")
VOICE = re.compile(r"[A-Za-z0-9_+-]{1,32}")
LEVELS = ("debug", "info", "warning", "error")
HOST_PORT = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[0-9.]+):([0-9]{1,5})")  # an SMTP relay: IP literal and port
GATEWAY_URL = re.compile(r"(https?)://(\[[0-9A-Fa-f:.]+\]|[0-9.]+):([0-9]{1,5})(/[A-Za-z0-9_./~%-]*)?")
EMAIL = re.compile(r"[A-Za-z0-9_.+-]{1,64}@[A-Za-z0-9.-]{1,253}")
DOMAIN = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*")
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]{1,253}(:[0-9]{1,5})?|https?://\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
LANGUAGE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?")


def check(config: Config, *, secrets_required: bool = False) -> None:
    """Raise `ConfigError` (`source: key: reason`) for the first value that breaks its rule.
    An empty password passes unless `secrets_required` (rendering Asterisk's files: an empty
    password there would let anyone in)."""
    for key, reason in problems(config, secrets_required):
        where = config.overrides.get(key.split("[")[0].split("{")[0])
        source = f"environment {where}" if where else config.source
        raise ConfigError(f"{source}: {key}: {reason}")


def problems(config: Config, secrets_required: bool = True) -> Iterator[tuple[str, str]]:
    """(key, reason) for every value that breaks its rule, in config order."""
    ari, ami, sip, media, speech = config.ari, config.ami, config.sip, config.media, config.speech

    def _secret(key: str, value: str) -> Iterator[tuple[str, str]]:
        if value or secrets_required:
            yield from _check_secret(key, value)
    match = URL.fullmatch(ari.url)
    if not match:
        yield "ari.url", f"expected http://<IP address>:<port> (no user, path or hostname), got {ari.url!r}"
    else:
        yield from _ip("ari.url", match.group(2).strip("[]"))
        yield from _port("ari.url", int(match.group(3)))
    yield from _pattern("ari.username", ari.username, NAME, "use letters, digits, '.', '_' or '-' only")
    yield from _secret("ari.password", ari.password)
    yield from _pattern("ari.app", ari.app, NAME, "use letters, digits, '.', '_' or '-' only")
    yield from _ip("ami.host", ami.host)
    yield from _port("ami.port", ami.port)
    yield from _pattern("ami.username", ami.username, NAME, "use letters, digits, '.', '_' or '-' only")
    yield from _secret("ami.password", ami.password)
    yield from _ip("sip.host", sip.host)
    yield from _port("sip.port", sip.port)
    yield from _range("sip.rtp_start", sip.rtp_start, sip.rtp_end)
    for number in sip.service_numbers:
        yield from _pattern("sip.service_numbers", number, NUMBER, "is not a dialable number (digits, *, #, +)")
    for name in ("root", "cache"):
        yield from _pattern(f"pbx.{name}", getattr(config.pbx, name), PATH, "is not a usable path")
    yield from _pattern("pbx.suite", config.pbx.suite, SUITE, "is not a Debian suite name")
    for i, agent in enumerate(config.agents):
        yield from _pattern(f"agents[{i}].id", agent.id, NAME, "use letters, digits, '.', '_' or '-' only")
        yield from _secret(f"agents[{i}].password", agent.password)
    endpoints = {agent.id for agent in config.agents}
    for i, supervisor in enumerate(config.supervisors):
        yield from _pattern(f"supervisors[{i}].id", supervisor.id, NAME, "use letters, digits, '.', '_' or '-' only")
        yield from _pattern(f"supervisors[{i}].endpoint", supervisor.endpoint, NAME,
                            "use letters, digits, '.', '_' or '-' only")
        if supervisor.endpoint in endpoints:
            yield f"supervisors[{i}].endpoint", f"{supervisor.endpoint!r} is already an agent's or supervisor's endpoint"
        endpoints.add(supervisor.endpoint)
        yield from _secret(f"supervisors[{i}].password", supervisor.password)
        for queue in supervisor.queues:
            yield from _pattern(f"supervisors[{i}].queues", queue, NAME, "is not a queue name")
    yield from _pattern("flows.dir", config.flows.dir, PATH, "is not a usable path")
    yield from _pattern("flows.default", config.flows.default, NAME, "is not a flow name")
    for number, flow in config.flows.routes.items():
        yield from _pattern("flows.routes", number, NUMBER, "is not a dialable number (digits, *, #, +)")
        yield from _pattern(f"flows.routes.{number}", flow, NAME, "is not a flow name")
    for name in ("prompts_dir", "recordings_dir"):
        yield from _pattern(f"media.{name}", getattr(media, name), PATH, "is not a usable path")
    for name in ("pbx_prompts_dir", "pbx_flows_dir", "pbx_recordings_dir"):
        value = getattr(media, name)
        if not PBX_PATH.fullmatch(value) or "/../" in value + "/" or "/./" in value + "/":
            yield f"media.{name}", f"expected an absolute path of letters, digits, '.', '_', '-', got {value!r}"
    for language, voice in media.voices.items():
        yield from _pattern(f"media.voices.{language}", voice, VOICE, "is not an espeak-ng voice name")
    yield from _pattern("acd.file", config.acd.file, PATH, "is not a usable path")
    yield from _pattern("acd.store_url", config.acd.store_url, STORE_URL, "expected sqlite:///path or postgresql://...")
    if not (config.control.host == "localhost" or _is_ip(config.control.host)):
        yield "control.host", f"expected an IP address or localhost, got {config.control.host!r}"
    yield from _port("control.port", config.control.port)
    yield from _pattern("control.token_file", config.control.token_file, PATH, "is not a usable path")
    yield from _ip("metrics.host", config.metrics.host)
    if _is_ip(config.metrics.host) and not ipaddress.ip_address(config.metrics.host).is_loopback:
        yield "metrics.host", (f"must be a loopback address (metrics are served without a token), "
                               f"got {config.metrics.host!r}")
    if config.metrics.port != 0:
        yield from _port("metrics.port", config.metrics.port)
    yield from _ip("speech.rtp_host", speech.rtp_host)
    yield from _range("speech.rtp_start", speech.rtp_start, speech.rtp_end)
    for language, model in speech.models.items():
        yield from _pattern(f"speech.models.{language}", model, PATH, "is not a usable path")
    yield from _channels(config)
    if config.log.level.lower() not in LEVELS:
        yield "log.level", f"expected one of {', '.join(LEVELS)}, got {config.log.level!r}"


def _channels(config: Config) -> Iterator[tuple[str, str]]:
    """`channels.email|chat|sms`: each off while its port is 0."""
    email, chat, sms = config.channels.email, config.channels.chat, config.channels.sms
    for media, channel in (("email", email), ("chat", chat), ("sms", sms)):
        key = f"channels.{media}"
        yield from _ip(f"{key}.host", channel.host)
        if channel.port != 0:
            yield from _port(f"{key}.port", channel.port)
        yield from _pattern(f"{key}.queue", channel.queue, NAME, "is not a queue name")
        yield from _pattern(f"{key}.language", channel.language, LANGUAGE, "is not a language code (en, fr-CA)")
        for skill, level in channel.skills.items():
            yield from _pattern(f"{key}.skills", skill, NAME, "is not a skill name")
            if not 1 <= level <= 5:
                yield f"{key}.skills.{skill}", f"expected a level from 1 to 5, got {level}"
    if email.relay:
        match = HOST_PORT.fullmatch(email.relay)
        if not match:
            yield "channels.email.relay", f"expected <IP address>:<port>, got {email.relay!r}"
        else:
            yield from _ip("channels.email.relay", match.group(1).strip("[]"))
            yield from _port("channels.email.relay", int(match.group(2)))
    if not 1024 <= email.max_bytes <= 100_000_000:
        yield "channels.email.max_bytes", f"expected 1024 to 100000000 bytes, got {email.max_bytes}"
    yield from _pattern("channels.email.address", email.address, EMAIL, "is not an email address")
    yield from _pattern("channels.email.domain", email.domain, DOMAIN, "is not a domain name")
    yield from _pattern("channels.email.attachments_dir", email.attachments_dir, PATH, "is not a usable path")
    for origin in chat.origins:
        yield from _pattern("channels.chat.origins", origin, ORIGIN, "is not a web origin (scheme://host[:port])")
    if not 1 <= chat.max_message_chars <= 100_000:
        yield "channels.chat.max_message_chars", f"expected 1 to 100000, got {chat.max_message_chars}"
    if sms.port:
        yield from _check_secret("channels.sms.secret", sms.secret)  # an unsigned webhook is never on
    elif sms.secret:
        yield from _check_secret("channels.sms.secret", sms.secret)
    if sms.gateway_url:
        match = GATEWAY_URL.fullmatch(sms.gateway_url)
        if not match:
            yield "channels.sms.gateway_url", f"expected http://<IP address>:<port>/path, got {sms.gateway_url!r}"
        else:
            yield from _ip("channels.sms.gateway_url", match.group(2).strip("[]"))
            yield from _port("channels.sms.gateway_url", int(match.group(3)))
    if sms.number:
        yield from _pattern("channels.sms.number", sms.number, NUMBER, "is not a phone number (digits, +)")
    if not 1 <= sms.max_age_s <= 3600:
        yield "channels.sms.max_age_s", f"expected 1 to 3600 seconds, got {sms.max_age_s}"


def _pattern(key: str, value: str, pattern: re.Pattern[str], reason: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        yield key, f"{reason} (got {value!r})"


def _check_secret(key: str, value: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, str) or not SECRET.fullmatch(value):
        # Never echo a secret: say what is wrong with it, not what it is.
        what = "is empty" if not value else "holds a character outside letters, digits and . _ + / = ~ @ % -"
        yield key, f"{what} (at most 128 of those)"


def _is_ip(value: str) -> bool:
    if not IP.fullmatch(value):  # also rules out an IPv6 scope id, which ipaddress takes as free text
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _ip(key: str, value: str) -> Iterator[tuple[str, str]]:
    if not isinstance(value, str) or not _is_ip(value):
        yield key, f"expected an IP address (e.g. 127.0.0.1), got {value!r}"


def _port(key: str, value: int) -> Iterator[tuple[str, str]]:
    if not 1 <= value <= 65535:
        yield key, f"expected a port between 1 and 65535, got {value}"


def _range(key: str, start: int, end: int) -> Iterator[tuple[str, str]]:
    if not (1024 <= start < end <= 65535):
        yield key, f"expected 1024 <= start < end <= 65535, got {start}-{end}"


# A password is a shipped development default when it ends with this mark (every password in the
# shipped ivr.yaml does) or equals one of that file's passwords.
DEV_MARK = "-local-dev"
SHIPPED = Path(__file__).resolve().parents[1] / "ivr.yaml"


def refuse_shipped_passwords(config: Config) -> None:
    """`serve` and `pbx up`: no shipped default password while any service binds beyond loopback."""
    exposed = [(key, host) for key, host in _binds(config) if not ipaddress.ip_address(host).is_loopback]
    if not exposed:
        return
    shipped = _shipped_passwords()
    secrets = {"ari.password": config.ari.password, "ami.password": config.ami.password,
               **{f"agents[{i}].password": a.password for i, a in enumerate(config.agents)},
               "channels.sms.secret": config.channels.sms.secret,
               **{f"supervisors[{i}].password": s.password for i, s in enumerate(config.supervisors)}}
    variables = ["IVR_ARI_PASSWORD", "IVR_AMI_PASSWORD", *(agent_password_variable(a.id) for a in config.agents),
                 "IVR_CHANNELS_SMS_SECRET", *(supervisor_password_variable(s.id) for s in config.supervisors)]
    for (key, value), variable in zip(secrets.items(), variables):
        if value.endswith(DEV_MARK) or value in shipped:
            bound, host = exposed[0]
            where = config.overrides.get(key)
            source = f"environment {where}" if where else config.source
            raise ConfigError(f"{source}: {key}: is a shipped development default and {bound} = {host} listens "
                              f"beyond loopback; set a password of your own ({variable})")


def _binds(config: Config) -> list[tuple[str, str]]:
    match = URL.fullmatch(config.ari.url)
    ari_host = match.group(2).strip("[]") if match else "127.0.0.1"
    control = "127.0.0.1" if config.control.host == "localhost" else config.control.host
    return [("sip.host", config.sip.host), ("ari.url", ari_host), ("ami.host", config.ami.host),
            ("control.host", control), ("speech.rtp_host", config.speech.rtp_host),
            *((f"channels.{media}.host", getattr(config.channels, media).host) for media in ("email", "chat", "sms")
              if getattr(config.channels, media).port)]


def _shipped_passwords() -> set[str]:
    """The passwords of the shipped ivr.yaml, when this is a checkout that has it."""
    try:
        raw = yaml.safe_load(SHIPPED.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return set()
    found = {str(raw.get(section, {}).get("password", "")) for section in ("ari", "ami")}
    for section in ("agents", "supervisors"):
        found |= {str(item.get("password", "")) for item in raw.get(section) or [] if isinstance(item, dict)}
    found.add(str(((raw.get("channels") or {}).get("sms") or {}).get("secret", "")))
    return found - {""}
