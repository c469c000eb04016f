"""A WAV as a pcap of A-law RTP, for SIPp's `play_pcap_audio`; WAVs as raw audio (sox converts).

SIPp replays the packets at the pace of their capture times and rewrites addresses and
ports, so only the RTP inside matters: payload type 8 (PCMA), 20 ms per packet. A WAV that
is already 8 kHz A-law goes on the wire byte for byte.
"""
from __future__ import annotations

import struct
import subprocess
from pathlib import Path

PACKET_SAMPLES = 160  # 20 ms at 8 kHz
PCMA = 8


def _frame(rtp: bytes) -> bytes:
    udp = struct.pack(">HHHH", 6000, 6002, 8 + len(rtp), 0) + rtp
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])) + udp
    return b"\0" * 12 + b"\x08\x00" + ip  # Ethernet: no addresses, IPv4


def raw_audio(wav_path: Path, encoding: str = "signed-integer", bits: int = 16) -> bytes:
    """The samples of any WAV sox reads, as 8 kHz mono raw audio (16-bit little-endian PCM by default)."""
    return subprocess.run(["sox", str(wav_path), "-t", "raw", "-r", "8000", "-c", "1", "-e", encoding,
                           "-b", str(bits), "-L", "-"], check=True, capture_output=True).stdout


def wav_to_pcap(wav_path: Path, pcap_path: Path, *, seq_start: int = 20000, tail_silence_s: float = 0.6) -> Path:
    """Write `pcap_path`; `tail_silence_s` of silence follows the audio so the recognizer hears the pause."""
    alaw = raw_audio(wav_path, "a-law", 8) + b"\xd5" * int(8000 * tail_silence_s)
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)]
    for index, start in enumerate(range(0, len(alaw), PACKET_SAMPLES)):
        payload = alaw[start:start + PACKET_SAMPLES].ljust(PACKET_SAMPLES, b"\xd5")  # 0xd5: A-law silence
        rtp = struct.pack(">BBHII", 0x80, PCMA | (0x80 if index == 0 else 0), (seq_start + index) & 0xFFFF,
                          index * PACKET_SAMPLES, 0x5EEC0DE5) + payload
        frame = _frame(rtp)
        micros = index * 20_000
        out.append(struct.pack("<IIII", micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)) + frame)
    pcap_path.write_bytes(b"".join(out))
    return pcap_path
