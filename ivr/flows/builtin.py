"""The built-in flow `echo-digit`: prompt, read one key, say it back, hang up.

It is what `ivr serve` runs when no flow file is configured, and the shape every
call benchmark uses. YAML flows plug into the same `Flow` protocol.
"""
from __future__ import annotations

from ..call import Call

PROMPT = "sound:hello-world"
REPLY = "sound:you-entered"
NO_INPUT = "sound:goodbye"
DIGIT_TIMEOUT_S = 6.0


class EchoDigit:
    name = "echo-digit"

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def run(self, call: Call) -> None:
        await call.answer()
        digit = await call.play(PROMPT, interruptible=True) or await call.read_digit(DIGIT_TIMEOUT_S)
        if digit is None:
            call.log("call.no_input", timeout_s=DIGIT_TIMEOUT_S)
            await call.play(NO_INPUT)
        else:
            await call.play(REPLY)
            await call.play(f"digits:{digit}")
        await call.hangup()
