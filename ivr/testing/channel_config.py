"""Configs for tests of the email, chat and SMS channels: off by default, on free loopback ports when asked."""
from __future__ import annotations

import dataclasses
import socket

from ..config import Config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def without_channels(config: Config) -> Config:
    """The config with every channel off (the shipped ivr.yaml turns all three on, on fixed ports)."""
    return with_channels(config)


def with_channels(config: Config, **settings: dict) -> Config:
    """The config with only the channels named on, each `{setting: value}` on top of its section
    (a free port unless given): `with_channels(config, chat={}, sms={"gateway_url": url})`."""
    channels = config.channels
    changed = {}
    for media in ("email", "chat", "sms"):
        section = getattr(channels, media)
        if media in settings:
            changed[media] = dataclasses.replace(section, **{"port": free_port(), **settings[media]})
        else:
            changed[media] = dataclasses.replace(section, port=0)
    return dataclasses.replace(config, channels=dataclasses.replace(channels, **changed))
