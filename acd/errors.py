"""ACD domain errors. `code` is a stable id callers may match on; `str()` is one line.

The ACD does not import the controller, so these are not `ivr.errors.IvrError`s; the CLI
turns them into its one-line error output.
"""
from __future__ import annotations


class AcdError(Exception):
    code = "acd.error"
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)


class IllegalTransition(AcdError):
    code = "acd.agent.illegal_transition"


class UnknownAgent(AcdError):
    code = "acd.agent.unknown"


class UnknownQueue(AcdError):
    code = "acd.queue.unknown"


class UnknownInteraction(AcdError):
    code = "acd.interaction.unknown"


class DuplicateInteraction(AcdError):
    code = "acd.interaction.duplicate"


class InvalidInteraction(AcdError):
    code = "acd.interaction.invalid"


class AcdConfigError(AcdError):
    code = "acd.config.invalid"


class ScenarioError(AcdError):
    code = "acd.scenario.invalid"
