"""Structured logs: one logfmt line per event (`ts=... level=... event=... call=...`).

    log.error("flow.node_failed", flow="x", node="y", exc=exc)

An exception passed as `exc` is written as `error="<type>: <message>"` and its whole
traceback as `traceback="..."`, newlines escaped, so the event stays one line.
"""
from __future__ import annotations

import logging
import sys
import time
from enum import Enum

_log = logging.getLogger("ivr")


def _quote(value: object) -> str:
    text = str(value.value if isinstance(value, Enum) else value)
    if text == "" or any(c in text for c in ' "=\n\r'):
        escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
        return '"' + escaped + '"'
    return text


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        fields = {"ts": ts, "level": record.levelname.lower(), "event": record.getMessage()}
        fields.update(getattr(record, "fields", {}))
        line = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        if record.exc_info:
            kind, exc, _ = record.exc_info
            line += f" error={_quote(f'{kind.__name__}: {exc}')} traceback={_quote(self.formatException(record.exc_info))}"
        return line


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (so test runners can capture it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def setup(level: str = "info", stream=None) -> None:
    handler = logging.StreamHandler(stream) if stream else _StderrHandler()
    handler.setFormatter(LogfmtFormatter())
    _log.handlers[:] = [handler]
    _log.setLevel(level.upper())
    _log.propagate = False


def event(_event: str, _level: int = logging.INFO, *, exc: BaseException | None = None, **fields: object) -> None:
    """Log one event with key=value fields (and `exc`'s traceback, on the same line)."""
    if _log.isEnabledFor(_level):
        exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
        _log.log(_level, _event, exc_info=exc_info, extra={"fields": fields})


def warning(_event: str, *, exc: BaseException | None = None, **fields: object) -> None:
    event(_event, logging.WARNING, exc=exc, **fields)


def error(_event: str, *, exc: BaseException | None = None, **fields: object) -> None:
    event(_event, logging.ERROR, exc=exc, **fields)
