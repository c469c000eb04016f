"""The node kinds, one module each, behind one registry.

To add a kind: write a module here with a `Node` subclass (see `ivr.flows.model.Node`),
decorate it with `@register`, and import the module at the bottom of this file. The
loader, the JSON Schema and the runner pick it up from `REGISTRY`.
"""
from __future__ import annotations

from ..model import Node

REGISTRY: dict[str, type[Node]] = {}


def register(cls: type[Node]) -> type[Node]:
    REGISTRY[cls.kind] = cls
    return cls


from . import (  # noqa: E402,F401  (importing registers the kinds)
    branch,
    gather,
    goto,
    hangup,
    http,
    language,
    menu,
    play,
    queue,
    record,
    say,
    schedule,
    setvars,
    speech,
    switch,
    transfer,
)
