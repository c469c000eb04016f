"""Domain errors with stable ids: the CLI prints them as one line and exits non-zero."""


class IvrError(Exception):
    """An error a user can act on. `code` is stable; `str()` is the one-line message."""

    code = "ivr.error"
    exit_code = 1

    def __init__(self, message: str):
        super().__init__(message)


class ConfigError(IvrError):
    code = "config.invalid"


class PbxError(IvrError):
    code = "pbx.error"


class AriAuthError(IvrError):
    code = "ari.auth"
    exit_code = 3


class AriUnavailable(IvrError):
    code = "ari.unavailable"
    exit_code = 4
