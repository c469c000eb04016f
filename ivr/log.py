"""Structured logs: one logfmt line per event (`ts=... level=... event=... call=...`)."""
from __future__ import annotations

import logging
import sys
import time

_log = logging.getLogger("ivr")


def _quote(value: object) -> str:
    text = str(value)
    if text == "" or any(c in text for c in ' "=\n'):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return text


class LogfmtFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ts = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z"
        fields = {"ts": ts, "level": record.levelname.lower(), "event": record.getMessage()}
        fields.update(getattr(record, "fields", {}))
        line = " ".join(f"{k}={_quote(v)}" for k, v in fields.items())
        if record.exc_info:  # the whole traceback, in this one line (newlines escaped)
            line += " traceback=" + _quote(self.formatException(record.exc_info))
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


def event(_event: str, _level: int = logging.INFO, *, exc_info: BaseException | None = None,
          **fields: object) -> None:
    """Log one event with key=value fields (and, with `exc_info`, its traceback)."""
    if _log.isEnabledFor(_level):
        _log.log(_level, _event, extra={"fields": fields}, exc_info=exc_info)


def warning(_event: str, **fields: object) -> None:
    event(_event, logging.WARNING, **fields)


def error(_event: str, **fields: object) -> None:
    event(_event, logging.ERROR, **fields)
