"""Live recognition matches direct recognition: every test utterance decoded straight from its
WAV (the reference) and heard through a real call (SIPp -> Asterisk -> external media -> Vosk).
Both are compared as the menu sees them: the option chosen, or none (invalid).

Where speech starts within Vosk's 10 ms feature frames is up to the call (set-up time, when the
snoop's first packet leaves Asterisk: seen a packet early or late), and a borderline utterance
decodes differently when it starts 2.5 ms later: measured, 17 of the 47 change their choice across
the alignments inside one 20 ms packet. So the reference is the set of choices with the speech
starting anywhere from a packet early to a packet late, and a live choice agrees when it is one
of them."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from speech_support import DATA, KO_MODEL, MANIFEST, copy_flows, start_controller

from ivr.speech.grammar import match, vosk_grammar
from ivr.speech.recognizer import SpeechModels, decode
from ivr.testing import sipp
from ivr.testing.audio_pcap import raw_audio, wav_to_pcap
from ivr.testing.scripted_caller import caller_scenario

PARALLEL_CALLS = 6
ALIGNMENTS = range(-160, 180, 20)  # speech moved by -20 to +20 ms in 2.5 ms steps, in samples at 8 kHz
MIN_AGREEMENT = 0.95
SILENCE_BEFORE_SAMPLES = 8000 * 2  # 2 s
SILENCE_AFTER = bytes(2 * 8000 * 1)


def choice(transcript: str) -> str | None:
    """What the menu makes of a transcript: an option key, or None (not a whole phrase: invalid)."""
    phrase = match(transcript, list(MANIFEST["grammar"]))
    return MANIFEST["grammar"][phrase] if phrase else None


def reference(models: SpeechModels, wav_name: str) -> set[str | None]:
    """The menu's choices for the WAV decoded straight from the file, streamed as a call would: the
    caller is silent for a moment before speaking (the snoop sends silence meanwhile) and pauses
    after, the speech starting at each alignment from a packet early to a packet late. The test model's features are
    not dithered, so each decode repeats exactly."""
    speech, grammar = raw_audio(DATA / wav_name), vosk_grammar(list(MANIFEST["grammar"]))
    return {choice(decode(models.load("ko"), grammar,
                          bytes(2 * (SILENCE_BEFORE_SAMPLES + delay)) + speech + SILENCE_AFTER).text)
            for delay in ALIGNMENTS}


def live_call(tmp_path, number: int, wav_name: str) -> None:
    audio = wav_to_pcap(DATA / wav_name, tmp_path / f"{number}.pcap")
    scenario = caller_scenario(["wait 2000", f"audio {audio}"], directory=tmp_path / f"call{number}")
    result = sipp.place_calls(scenario, caller=f"777{number:04d}", timeout_s=60)
    assert result.returncode == 0, result.output[:1500]


def test_given_the_test_utterances_when_heard_over_live_calls_then_they_match_the_direct_decode(
        config, pbx, tmp_path):
    utterances = MANIFEST["utterances"]
    assert len(utterances) >= 40
    models = SpeechModels({"ko": KO_MODEL})
    references = [reference(models, u["file"]) for u in utterances]
    models.close()

    serve = start_controller(config, copy_flows(tmp_path / "flows"), "speech-quick-ko")
    try:
        for number in range(len(utterances)):
            (tmp_path / f"call{number}").mkdir()
        with ThreadPoolExecutor(PARALLEL_CALLS) as pool:
            list(pool.map(lambda item: live_call(tmp_path, *item), enumerate(u["file"] for u in utterances)))
        live = []
        for number in range(len(utterances)):
            record = serve.wait_for_record(lambda r, n=number: r.caller == f"777{n:04d}", timeout=30)
            live.append(choice(record.heard[0][0]) if record.heard else None)
    finally:
        serve.stop()

    expected = [u["option"] for u in utterances]
    agree = sum(heard in ref for ref, heard in zip(references, live)) / len(utterances)
    stable = [(ref, heard) for ref, heard in zip(references, live) if len(ref) == 1]
    reference_accuracy = sum(ref == {want} for ref, want in zip(references, expected)) / len(utterances)
    live_accuracy = sum(heard == want for heard, want in zip(live, expected)) / len(utterances)
    print(f"\nutterances={len(utterances)} alignment_stable={len(stable)} reference_accuracy={reference_accuracy:.3f} "
          f"live_accuracy={live_accuracy:.3f} live_matches_reference={agree:.3f}")
    for u, ref, heard in zip(utterances, references, live):
        if heard not in ref:
            print(f"  {u['file']}: reference chose {sorted(ref, key=str)}, live chose {heard}")
    assert agree >= MIN_AGREEMENT
