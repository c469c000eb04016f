"""Problems found while loading flows, and the errors a running flow can hit.

Every problem names the file, line and column of the offending YAML node, and carries a
stable `code` (`flow.unknown-target`, ...) that tools and tests can rely on.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import IvrError

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    file: str
    line: int
    column: int
    severity: str  # ERROR or WARNING
    code: str
    message: str

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}: {self.severity}: {self.message}"


class FlowError(IvrError):
    """A flow could not be loaded or run. `code` is the stable id of what went wrong."""

    code = "flow.error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class FlowRuntimeError(FlowError):
    """Something a flow did at run time failed (bad expression value, unsafe transfer target...)."""

    code = "flow.runtime"
