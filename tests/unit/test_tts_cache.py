"""Given a text-to-speech cache past its bound, pruning keeps the most recently rendered prompts."""
from __future__ import annotations

import os

from ivr.prompts.tts import Tts


def test_given_more_prompts_than_the_bound_when_pruned_then_the_oldest_go(tmp_path):
    tts = Tts(tmp_path, "/pbx/prompts", max_cached=3)
    for n in range(5):
        path = tmp_path / f"p{n}.wav"
        path.write_bytes(b"RIFF")
        os.utime(path, (1000 + n, 1000 + n))
    assert tts.prune() == 2
    assert sorted(p.name for p in tmp_path.glob("*.wav")) == ["p2.wav", "p3.wav", "p4.wav"]
