"""A phone's audio, in Python: sends a tone as A-law RTP and keeps what it receives, with times.

The SIPp phones do the signalling; their SDP names this peer's port (`media_port=`), so Asterisk
streams the call's audio here. The peer answers symmetrically (to where Asterisk sends from), so
it needs nothing from the SDP answer. `heard(freq, since, until)` says how much of the received
audio in that window is the tone `freq` (Goertzel power over total power, 0..1): a tone a party
sends shows up near 1/n where n tones are mixed, and near 0 where it is not heard.

    with RtpPeer(tone_hz=500) as caller:
        ...  # a SIPp caller whose SDP says caller.port
        assert caller.heard(900, t0, t1) > 0.1   # the agent's tone reaches the caller
"""
from __future__ import annotations

import math
import socket
import struct
import threading
import time

RATE, PACKET = 8000, 160  # 20 ms of 8 kHz A-law per packet
PCMA = 8


def _alaw_encode(sample: int) -> int:
    sign = 0x80 if sample >= 0 else 0
    magnitude = min(abs(sample), 32635) >> 3
    if magnitude < 32:
        code = magnitude >> 1
    else:
        exponent = magnitude.bit_length() - 5
        code = (exponent << 4) | ((magnitude >> exponent) & 0x0F)
    return (code | sign) ^ 0x55


def _alaw_decode(byte: int) -> int:
    byte ^= 0x55
    exponent, mantissa = (byte >> 4) & 0x07, byte & 0x0F
    value = (mantissa << 4) + 8 if exponent == 0 else ((mantissa << 4) + 0x108) << (exponent - 1)
    return value if byte & 0x80 else -value


DECODE = [_alaw_decode(b) for b in range(256)]


class RtpPeer:
    def __init__(self, tone_hz: float | None, *, level: float = 6000.0):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.02)
        self.port = self.sock.getsockname()[1]
        self.tone_hz, self.level = tone_hz, level
        self.received: list[tuple[float, list[int]]] = []  # (arrival time, samples)
        self._peer: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"rtp-peer-{self.port}", daemon=True)

    def __enter__(self) -> "RtpPeer":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()

    def _packet(self, index: int) -> bytes:
        if self.tone_hz is None:
            payload = bytes([0xD5]) * PACKET
        else:
            payload = bytes(_alaw_encode(int(self.level * math.sin(2 * math.pi * self.tone_hz * (index * PACKET + n)
                                                                   / RATE))) for n in range(PACKET))
        return struct.pack(">BBHII", 0x80, PCMA, index & 0xFFFF, (index * PACKET) & 0xFFFFFFFF, 0x1234 + self.port) \
            + payload

    def _run(self) -> None:
        index, next_send = 0, time.monotonic()
        while not self._stop.is_set():
            try:
                data, address = self.sock.recvfrom(2048)
                self._peer = address
                if len(data) > 12 and data[1] & 0x7F == PCMA:
                    self.received.append((time.time(), [DECODE[b] for b in data[12:]]))
            except (socket.timeout, OSError):
                pass
            if self._peer is not None and time.monotonic() >= next_send:
                try:
                    self.sock.sendto(self._packet(index), self._peer)
                except OSError:
                    pass
                index += 1
                next_send += PACKET / RATE

    def heard(self, freq: float, since: float, until: float) -> float:
        """The share of the audio received in [since, until) that is the tone `freq` (0..1)."""
        samples = [s for at, chunk in list(self.received) if since <= at < until for s in chunk]
        if len(samples) < RATE // 10:
            raise AssertionError(f"peer {self.port} received {len(samples)} samples between those times: no audio")
        coeff = 2 * math.cos(2 * math.pi * freq / RATE)
        s1 = s2 = 0.0
        for sample in samples:
            s1, s2 = sample + coeff * s1 - s2, s1
        power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        total = sum(s * s for s in samples)
        return 0.0 if total == 0 else 2 * power / (len(samples) * total)
