"""The RTP receiver's parsing and the menu grammar, without a call."""
from __future__ import annotations

import asyncio
import json
import socket
import struct

from ivr.speech.grammar import match, vosk_grammar
from ivr.speech.rtp import PortPool, RtpReceiver, l16_to_pcm, rtp_payload


def packet(payload: bytes, *, csrc: int = 0, extension: bytes = b"", padding: int = 0) -> bytes:
    first = 0x80 | csrc | (0x10 if extension else 0) | (0x20 if padding else 0)
    header = struct.pack(">BBHII", first, 118, 1, 160, 42) + b"\0" * 4 * csrc
    if extension:
        header += struct.pack(">HH", 0xBEDE, len(extension) // 4) + extension
    return header + payload + (b"\0" * (padding - 1) + bytes([padding]) if padding else b"")


def test_given_rtp_packets_then_only_the_payload_is_kept():
    assert rtp_payload(packet(b"abcd")) == b"abcd"
    assert rtp_payload(packet(b"abcd", csrc=2, extension=b"\1\2\3\4", padding=4)) == b"abcd"
    assert rtp_payload(b"\x40" + b"\0" * 20) is None  # not RTP version 2
    assert rtp_payload(b"\x80\x00") is None


def test_given_packets_from_several_sources_then_only_asterisks_stream_is_heard():
    heard = []
    receiver = RtpReceiver(heard.append)
    receiver.expect_from("127.0.0.1", 12090)
    receiver.datagram_received(packet(b"\0\1"), ("127.0.0.1", 30000))  # someone else on our port
    receiver.datagram_received(packet(b"\0\2"), ("127.0.0.1", 12090))
    assert heard == [b"\2\0"] and (receiver.packets, receiver.dropped) == (1, 1)
    latched = RtpReceiver(heard.append)  # no address known: the first sender is the stream
    latched.datagram_received(packet(b"\0\3"), ("127.0.0.1", 12092))
    latched.datagram_received(packet(b"\0\4"), ("127.0.0.1", 12094))
    assert (latched.packets, latched.dropped) == (1, 1)


def test_given_network_order_samples_then_pcm_is_little_endian():
    assert l16_to_pcm(struct.pack(">hh", 1, -2)) == struct.pack("<hh", 1, -2)


def test_given_phrases_then_the_grammar_lists_them_and_only_whole_phrases_match():
    assert json.loads(vosk_grammar(["요금  안내", "Billing"])) == ["billing", "요금 안내", "[unk]"]
    assert match("요금 안내", ["요금 안내", "비밀번호"]) == "요금 안내"
    assert match("연결 요금 안내", ["요금 안내", "상담원 연결"]) is None


async def test_given_a_port_in_use_then_the_pool_takes_the_next_one():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as busy:
        busy.bind(("127.0.0.1", 0))
        taken = busy.getsockname()[1]
        got = []
        pool = PortPool("127.0.0.1", taken, taken + 1)
        transport, _, port = await pool.open(got.append)
        assert port == taken + 1
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
            sender.sendto(packet(struct.pack(">h", 7)), ("127.0.0.1", port))
        await asyncio.sleep(0.05)
        transport.close()
        assert got == [struct.pack("<h", 7)]
