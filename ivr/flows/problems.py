"""Problems found while loading flows, and the errors a running flow can hit.

Every problem names the file, line and column of the offending YAML node, and carries a
stable `code` (`flow.unknown-target`, ...) that tools and tests can rely on.
"""
from __future__ import annotations

from dataclasses import dataclass

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
