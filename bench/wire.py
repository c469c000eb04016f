"""What a call shape looked like on the wire: a loopback capture (dumpcap, libpcap format) read
back into per-call figures, the same way for our controller and for the native baseline.

For every caller (SIP From user `callerN`):
- its Asterisk RTP port, from the SDP of Asterisk's 200 OK to the caller's INVITE;
- DTMF to next prompt: the last RFC 4733 end packet the caller sent to that port, to the first
  RTP packet Asterisk sent back from it afterwards;
- key to agent answer: that same end packet, to the 200 OK an agent's phone sent to an INVITE
  whose From names the caller.
"""
from __future__ import annotations

import bisect
import re
import struct
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

DTMF_PAYLOAD = 101
CALLER = re.compile(rb"^From:[^\r\n]*?<sip:(caller\d+)@", re.MULTILINE | re.IGNORECASE)
CALL_ID = re.compile(rb"^Call-ID:\s*(\S+)", re.MULTILINE | re.IGNORECASE)
CSEQ = re.compile(rb"^CSeq:\s*\d+\s+(\w+)", re.MULTILINE | re.IGNORECASE)
AUDIO_PORT = re.compile(rb"^m=audio (\d+)", re.MULTILINE)


def packets(path: Path):
    """(time s, src port, dst port, UDP payload) of every IPv4 UDP packet in a libpcap file."""
    data = path.read_bytes()
    magic = struct.unpack_from("<I", data)[0]
    endian, scale = {0xa1b2c3d4: ("<", 1e-6), 0xa1b23c4d: ("<", 1e-9),
                     0xd4c3b2a1: (">", 1e-6), 0x4d3cb2a1: (">", 1e-9)}[magic]
    linktype = struct.unpack_from(endian + "I", data, 20)[0]
    link_len = {1: 14, 113: 16, 276: 20}[linktype]  # Ethernet (lo), Linux cooked v1 / v2
    record = struct.Struct(endian + "IIII")
    offset = 24
    while offset + 16 <= len(data):
        sec, frac, caught, _ = record.unpack_from(data, offset)
        offset += 16
        frame = data[offset:offset + caught]
        offset += caught
        ip = frame[link_len:]
        if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
            continue
        udp = ip[(ip[0] & 0x0F) * 4:]
        src, dst = struct.unpack_from("!HH", udp)
        yield sec + frac * scale, src, dst, udp[8:]


@dataclass
class CallOnWire:
    caller: str
    rtp_port: int = 0
    answered_at: float = 0.0  # Asterisk's 200 OK to the caller
    key_at: float = 0.0       # the caller's last DTMF end packet
    prompt_at: float = 0.0    # the first RTP packet back after it
    agent_answer_at: float = 0.0

    @property
    def dtmf_to_prompt_ms(self) -> float | None:
        return (self.prompt_at - self.key_at) * 1000 if self.key_at and self.prompt_at else None

    @property
    def key_to_answer_ms(self) -> float | None:
        return (self.agent_answer_at - self.key_at) * 1000 if self.key_at and self.agent_answer_at else None


@dataclass
class Wire:
    calls: dict[str, CallOnWire] = field(default_factory=dict)

    @property
    def dtmf_to_prompt_ms(self) -> list[float]:
        return [v for c in self.calls.values() if (v := c.dtmf_to_prompt_ms) is not None]

    @property
    def key_to_answer_ms(self) -> list[float]:
        return [v for c in self.calls.values() if (v := c.key_to_answer_ms) is not None]

    @property
    def agent_answered(self) -> int:
        return sum(1 for c in self.calls.values() if c.agent_answer_at)


def read(path: Path, *, pbx_sip_port: int, caller_media_port: int) -> Wire:
    """Per-call figures from a capture holding the PBX's SIP and the callers' RTP."""
    wire = Wire()
    dtmf_ends: dict[int, list[float]] = defaultdict(list)    # Asterisk RTP port -> end packet times
    sent: dict[int, list[float]] = defaultdict(list)         # Asterisk RTP port -> its packets' times
    agent_legs: dict[bytes, str] = {}                        # agent leg Call-ID -> caller
    for at, src, dst, payload in packets(path):
        if dst == caller_media_port:
            sent[src].append(at)
        elif src == caller_media_port:
            if len(payload) >= 14 and payload[1] & 0x7F == DTMF_PAYLOAD and payload[13] & 0x80:
                dtmf_ends[dst].append(at)
        elif src == pbx_sip_port or dst == pbx_sip_port:
            _sip(at, src == pbx_sip_port, payload, wire, agent_legs)
    for call in wire.calls.values():
        ends = dtmf_ends.get(call.rtp_port, [])
        # the ports are reused by later calls: this call's key is the last end packet of the
        # first burst after it was answered (a burst is < 1 s long)
        first = bisect.bisect_right(ends, call.answered_at)
        if first == len(ends):
            continue
        last = first
        while last + 1 < len(ends) and ends[last + 1] - ends[first] < 1.0:
            last += 1
        call.key_at = ends[last]
        times = sent.get(call.rtp_port, [])
        after = bisect.bisect_right(times, call.key_at)
        if after < len(times) and times[after] - call.key_at < 10.0:
            call.prompt_at = times[after]
    return wire


def _sip(at: float, from_pbx: bool, payload: bytes, wire: Wire, agent_legs: dict[bytes, str]) -> None:
    head = payload[:12]
    call_id = CALL_ID.search(payload)
    cseq = CSEQ.search(payload)
    if not call_id or not cseq or cseq.group(1) != b"INVITE":
        return
    caller = CALLER.search(payload)
    if from_pbx and head.startswith(b"SIP/2.0 200") and caller:
        call = wire.calls.setdefault(caller.group(1).decode(), CallOnWire(caller.group(1).decode()))
        port = AUDIO_PORT.search(payload)
        if port and not call.answered_at:
            call.answered_at, call.rtp_port = at, int(port.group(1))
    elif from_pbx and head.startswith(b"INVITE ") and caller:
        agent_legs.setdefault(call_id.group(1), caller.group(1).decode())
    elif not from_pbx and head.startswith(b"SIP/2.0 200") and call_id.group(1) in agent_legs:
        call = wire.calls.get(agent_legs[call_id.group(1)])
        if call and not call.agent_answer_at:
            call.agent_answer_at = at
