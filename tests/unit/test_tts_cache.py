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


async def test_given_text_with_a_path_from_the_caller_when_rendered_then_the_file_is_a_hash_in_the_cache(
        tmp_path, monkeypatch):
    (tmp_path / "cache").mkdir()
    tts = Tts(tmp_path / "cache", "/pbx/prompts")
    written = []

    async def render(text, language, path):
        written.append(path)
        path.write_bytes(b"RIFF")

    monkeypatch.setattr(tts, "_render", render)
    media = await tts.media("Your name is ../../../etc/passwd", "en")
    assert written[0].parent == tmp_path / "cache" and len(written[0].stem) == 32
    assert media == f"sound:/pbx/prompts/{written[0].stem}" and ".." not in media
