"""Supervisors on live calls: listen, whisper and barge over ARI snoop channels and bridges."""
from __future__ import annotations

from .control import routes
from .legs import Mode
from .sessions import Supervision

__all__ = ["Mode", "Supervision", "install"]


def install(service, control) -> Supervision:
    """Plug supervision into the ACD service and its control API."""
    supervision = Supervision(service)
    control.routes.extend(routes(supervision))
    return supervision
