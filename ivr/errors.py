"""Every error the controller raises on purpose, in one tree. `code` is a stable id; `str()` is
the one line the CLI prints (then it exits with `exit_code`).

    IvrError
    ├── ConfigError               a setting is missing or invalid (file: key: reason)
    ├── PbxError                  the local PBX cannot be built, started or stopped
    ├── AriError                  talking to Asterisk over ARI
    │   ├── AriAuthError          wrong ARI credentials (exit 3)
    │   ├── AriUnavailable        Asterisk cannot be reached (exit 4)
    │   ├── AriRequestError       Asterisk answered a command with 4xx/5xx (`.status`)
    │   └── AriTimeout            an event we waited for never came (playback, recording, answer...)
    ├── CallError                 one call cannot go on (a recording failed...): ends that call only
    ├── IllegalMove               a live state machine was asked for a move its table forbids (a bug)
    ├── FlowError                 a flow cannot be loaded or run
    │   ├── FlowsRefused          the flows directory does not load (one line per problem)
    │   ├── FlowRuntimeError      something a node did failed at run time
    │   │   └── HttpAnswerRefused an `http` node's answer was late, too big or unsafe (`.reason`)
    │   ├── ExpressionError       a condition does not parse, or cannot work with a value
    │   └── TemplateError         a `{name}` template is malformed
    ├── TtsError                  espeak-ng / sox could not render a prompt
    ├── SpeechModelError          a Vosk model is missing or broken
    ├── NoFreePort                no UDP port left for a speech stream
    ├── SupervisionRefused        `ivr sup` cannot do that (`.http_status`)
    │   ├── UnknownSupervisor     no such supervisor in the config (404)
    │   ├── UnknownSupervisedCall no bridged call of that agent / with that id (404)
    │   ├── UnknownSession        no such supervision session (404)
    │   └── NotYourQueue          the call's queue is not among the supervisor's queues (403)
    ├── RecordingRefused          a QA recording command that cannot be done now (`.http_status`)
    └── SipRefused                the PBX refused a SIP request of the test kit's phones (wrong password)

The ACD core (`acd/`) imports nothing of the controller: its own tree is rooted at
`acd.errors.AcdError` (the store's `StoreError` is one of them). The CLI prints both alike.
"""


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


class AriError(IvrError):
    code = "ari.error"


class AriAuthError(AriError):
    code = "ari.auth"
    exit_code = 3


class AriUnavailable(AriError):
    code = "ari.unavailable"
    exit_code = 4


class AriRequestError(AriError):
    code = "ari.request"

    def __init__(self, status: int, method: str, path: str, detail: str):
        super().__init__(f"ARI {method} {path} answered {status}: {detail}")
        self.status = status


class AriTimeout(AriError):
    code = "ari.timeout"


class CallError(IvrError):
    code = "call.failed"


class IllegalMove(IvrError):
    code = "state.illegal-move"


class FlowError(IvrError):
    """A flow could not be loaded or run. `code` is the stable id of what went wrong."""

    code = "flow.error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class FlowsRefused(FlowError):
    code = "flows.invalid"


class FlowRuntimeError(FlowError):
    """Something a flow did at run time failed (bad expression value, unsafe transfer target...)."""

    code = "flow.runtime"


class HttpAnswerRefused(FlowRuntimeError):
    """An `http` node got no usable answer: `reason` is a short stable word for the log
    (timeout, unreachable, body-too-large, bad-encoding, bad-text, json-constant, json-number,
    json-too-deep); the node takes its `fail` branch."""

    code = "flow.http-refused"

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


class ExpressionError(FlowError):
    """An expression that does not parse, or a value it cannot work with."""

    code = "flow.bad-expression"


class TemplateError(FlowError):
    code = "flow.bad-template"


class TtsError(IvrError):
    code = "tts.failed"


class SpeechModelError(IvrError):
    code = "speech.model"


class NoFreePort(IvrError):
    code = "speech.no-port"


class SupervisionRefused(IvrError):
    """`ivr sup` asked for something the running server cannot do; `http_status` for the control API."""

    code = "sup.refused"
    http_status = 409


class UnknownSupervisor(SupervisionRefused):
    code = "sup.unknown-supervisor"
    http_status = 404


class UnknownSupervisedCall(SupervisionRefused):
    code = "sup.unknown-call"
    http_status = 404


class UnknownSession(SupervisionRefused):
    code = "sup.unknown-session"
    http_status = 404


class NotYourQueue(SupervisionRefused):
    code = "sup.not-your-queue"
    http_status = 403


class RecordingRefused(IvrError):
    """Start, pause or resume of a call's QA recording that cannot be done now (no such call, already paused...)."""

    code = "recording.refused"
    http_status = 409


class SipRefused(IvrError):
    """The PBX refused a request of a test-kit phone (`ivr.testing`): wrong digest password, forbidden."""

    code = "sip.refused"
