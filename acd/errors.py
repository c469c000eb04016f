"""ACD domain errors. `code` is a stable id callers may match on; `str()` is one line.

The ACD does not import the controller, so these are not `ivr.errors.IvrError`s; the CLI
turns them into its one-line error output.

    AcdError
    ├── IllegalTransition, UnknownAgent, UnknownQueue
    ├── UnknownInteraction, DuplicateInteraction, InvalidInteraction
    ├── AcdConfigError, ScenarioError
    ├── StoreError (acd/store.py)     the store cannot be opened or refuses a write
    └── ContactError                  customers and conversations (acd/contacts.py)
        ├── UnknownCustomer
        └── UnknownConversation
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


class ContactError(AcdError):
    code = "acd.contacts.error"


class UnknownCustomer(ContactError):
    code = "acd.contacts.unknown-customer"


class UnknownConversation(ContactError):
    code = "acd.contacts.unknown-conversation"
