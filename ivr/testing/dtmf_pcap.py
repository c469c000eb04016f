"""RFC 4733 key presses as pcap files for SIPp, numbered so keys in one call always move forward.

sip-tester ships one pcap per key, recorded in a single session: their RTP sequence numbers
and timestamps grow with the key (0 < 1 < ... < #). Replayed in another order in one call,
a later key carries older numbers than the one before, and Asterisk drops it as stale. So
we rewrite a shipped pcap with the key's event code and numbers that grow with its place in
the script.
"""
from __future__ import annotations

import struct
from pathlib import Path

TEMPLATE = Path("/usr/share/sip-tester/dtmf_2833_1.pcap")
EVENT = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
RTP_OFFSET = 14 + 20 + 8  # Ethernet, IPv4 and UDP headers before RTP in the template


def write_dtmf_pcap(path: Path, key: str, index: int) -> Path:
    """Write the pcap of the `index`-th key of a call (0-based)."""
    data = bytearray(TEMPLATE.read_bytes())
    offset, packet = 24, 0  # after the pcap global header
    while offset < len(data):
        captured = struct.unpack_from("<I", data, offset + 8)[0]
        start = offset + 16
        rtp = start + RTP_OFFSET
        struct.pack_into(">H", data, start + 14 + 20 + 6, 0)  # UDP checksum: none (valid for IPv4)
        struct.pack_into(">HI", data, rtp + 2, 1000 + 40 * index + packet, 80_000 + 8_000 * index)
        data[rtp + 12] = EVENT[key]
        offset, packet = start + captured, packet + 1
    path.write_bytes(bytes(data))
    return path
