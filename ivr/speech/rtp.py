"""The UDP end of an ARI external media channel: RTP in, 16-bit little-endian PCM out.

Asterisk sends `slin` (signed linear, 8 kHz) as RTP payload in network byte order
(big-endian, RFC 3551 L16); Vosk wants little-endian, so every payload is byte-swapped.
"""
from __future__ import annotations

import asyncio
import itertools
import struct
import sys
from array import array
from collections.abc import Callable

from ivr.errors import NoFreePort

RTP_VERSION = 2


def rtp_payload(packet: bytes) -> bytes | None:
    """The payload of one RTP packet (CSRCs, header extension and padding removed), or None."""
    if len(packet) < 12 or packet[0] >> 6 != RTP_VERSION:
        return None
    offset = 12 + 4 * (packet[0] & 0x0F)
    if packet[0] & 0x10:  # header extension: 4 bytes, then `length` 32-bit words
        if len(packet) < offset + 4:
            return None
        offset += 4 + 4 * struct.unpack_from(">H", packet, offset + 2)[0]
    end = len(packet) - (packet[-1] if packet[0] & 0x20 else 0)
    return packet[offset:end] if end > offset else None


def l16_to_pcm(payload: bytes) -> bytes:
    samples = array("h", payload[: len(payload) & ~1])
    if sys.byteorder == "little":
        samples.byteswap()
    return samples.tobytes()


class RtpReceiver(asyncio.DatagramProtocol):
    """Takes RTP from one source only: the address set by `expect_from` (Asterisk's end of
    the external media channel), else the first that sends. Anything else on the port is
    dropped, so no other stream can be mixed into what the recognizer hears."""

    def __init__(self, on_audio: Callable[[bytes], None]):
        self.on_audio = on_audio
        self.packets = 0
        self.dropped = 0
        self.source: tuple | None = None

    def expect_from(self, host: str, port: int) -> None:
        self.source = (host, port)

    def datagram_received(self, data: bytes, addr: tuple) -> None:
        if self.source is None:
            self.source = addr[:2]
        elif addr[:2] != self.source:
            self.dropped += 1
            return
        payload = rtp_payload(data)
        if payload:
            self.packets += 1
            self.on_audio(l16_to_pcm(payload))


class PortPool:
    """Hands out UDP ports from a range, round robin, skipping ports something else holds."""

    def __init__(self, host: str, start: int, end: int):
        self.host = host
        self.start, self.end = start, end
        self._next = itertools.cycle(range(start, end + 1))

    async def open(self, on_audio: Callable[[bytes], None]) -> tuple[asyncio.DatagramTransport, RtpReceiver, int]:
        loop = asyncio.get_running_loop()
        for _ in range(self.end - self.start + 1):
            port = next(self._next)
            try:
                transport, protocol = await loop.create_datagram_endpoint(
                    lambda: RtpReceiver(on_audio), local_addr=(self.host, port))
            except OSError:
                continue
            return transport, protocol, port
        raise NoFreePort(f"no free UDP port for speech in {self.host}:{self.start}-{self.end} (speech.rtp_start/rtp_end)")
