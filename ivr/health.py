"""Failure accounting for the live engine: every failure we contain is logged once, with its
traceback, and counted, so a contained failure is never a silent one.

    failed("call.failed", exc, call=call_id)    # one log line, counters["call.failed"] += 1

`counters` is what the metrics endpoint and the soak benchmark read; `failures` counts only the
contained failures (`failed`), not the other events (`count`: ARI disconnects, store retries).
"""
from __future__ import annotations

import logging
from collections import Counter

from . import log

counters: Counter[str] = Counter()
failures: Counter[str] = Counter()


def failed(event: str, exc: BaseException, **fields: object) -> None:
    """Log `event` at error level with the exception's traceback (in one line), and count it."""
    counters[event] += 1
    failures[event] += 1
    log.event(event, logging.ERROR, exc=exc, **fields)


def count(event: str) -> None:
    counters[event] += 1
