"""QA recording on real calls: caller and agent each send their own tone (`RtpPeer`); the mixed file
holds both, for as long as they talked, with silence exactly where the metadata puts the pause."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import time
import wave
from pathlib import Path

import pytest

from acd import qa_store
from ivr.live.states import WaiterState
from ivr.testing import sipp
from ivr.testing.agent_phone import AgentPhone
from ivr.testing.audio_pcap import raw_audio
from ivr.testing.rtp_peer import RtpPeer
from ivr.testing.scripted_caller import caller_scenario
from ivr.testing.ari_sync import ari_get
from test_acd_calls import HERE, serving_acd, until

CALLER_HZ, AGENT_HZ = 500, 900
IVR = str(Path(sys.executable).with_name("ivr"))


@pytest.fixture(scope="module")
def recorded(config, pbx, tmp_path_factory):
    config = dataclasses.replace(config, acd=dataclasses.replace(config.acd, record=True, record_split=True))
    state = lambda: (ari_get(config, "/channels"), ari_get(config, "/bridges"))  # noqa: E731
    with serving_acd(config, state, tmp_path_factory.mktemp("qa"), acd_file=HERE / "acd-test.yaml",
                     flows_dir=HERE / "acd_flows", flow="acd-test") as acd:
        yield acd


def ivr(acd, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "IVR_CONTROL_PORT": str(acd.config.control.port),
           "IVR_CONTROL_TOKEN_FILE": acd.config.control.token_file, "IVR_ACD_STORE_URL": acd.config.acd.store_url}
    return subprocess.run([IVR, *args], env=env, capture_output=True, text=True, timeout=20)


def share(samples: list[int], freq: float) -> float:
    """Goertzel power of `freq` over total power (0..1)."""
    import math
    coeff, s1, s2 = 2 * math.cos(2 * math.pi * freq / 8000), 0.0, 0.0
    for sample in samples:
        s1, s2 = sample + coeff * s1 - s2, s1
    total = sum(s * s for s in samples)
    return 0.0 if total == 0 else 2 * (s1 * s1 + s2 * s2 - coeff * s1 * s2) / (len(samples) * total)


def test_given_a_bridged_call_paused_for_a_while_then_the_file_holds_both_sides_and_the_described_gap(recorded):
    acd = recorded
    with RtpPeer(CALLER_HZ) as caller, RtpPeer(AGENT_HZ) as agent:
        password = next(a.password for a in acd.config.agents if a.id == "agent2")
        acd.phones.append(AgentPhone("agent2", password, target=f"127.0.0.1:{acd.config.sip.port}",
                                     media_port=agent.port).start())
        acd.login("agent2")
        acd.callers.append(sipp.start_calls(caller_scenario(["wait 18000"], end="hangup", media_port=caller.port),
                                            target=f"127.0.0.1:{acd.config.sip.port}", caller="5550130",
                                            timeout_s=60))
        call = until(lambda: acd.on_loop(lambda: next((w.interaction.id for w in acd.service.waiters.values()
                                                       if w.state is WaiterState.BRIDGED and w.bridge), None)),
                     15, "caller and agent bridged")
        bridged_at = time.time()
        time.sleep(2)
        paused = ivr(acd, "calls", "record", "pause", call)
        assert paused.returncode == 0 and "paused" in paused.stdout, paused.stderr
        again = ivr(acd, "calls", "record", "pause", call)
        assert again.returncode == 1 and "already paused" in again.stderr
        time.sleep(2)
        assert ivr(acd, "calls", "record", "resume", call).returncode == 0
        row = acd.ended("5550130")
        answered_at, ended_at = row.answered_at, row.ended_at

    assert acd.thread.call(acd.service.journal.drain, 15)
    rows = until(lambda: (rows := qa_store.recordings(acd.service.store)) and len(rows) == 3
                 and all(row.status != "recording" for row in rows) and rows, 20, "the recordings filed")
    rec = next(row for row in rows if row.side == "mixed")
    assert rec.status == "done", rec.error
    assert (rec.interaction_id, rec.queue, rec.agent_id, rec.caller) == (call, "billing", "agent2", "5550130")
    file = Path(rec.file)
    assert file.parent.relative_to(acd.config.media.recordings_dir).as_posix() == \
        time.strftime("%Y/%m/%d", time.localtime(rec.started_at))
    assert file.stat().st_size == rec.size and len(rec.sha256) == 64
    assert rec.started_at - answered_at < 2.5  # bridged, then recorded (a loaded machine takes its time)
    # the file runs from its start to the hang-up (as the controller saw both: a loaded machine adds jitter)
    assert abs(rec.duration_s - (ended_at - rec.started_at)) < 1.5, (rec.duration_s, ended_at - rec.started_at)
    [[offset, length]] = rec.pauses
    assert 1.5 < offset < 6.0 and 1.5 < length < 8.0  # each `ivr` command starts a Python
    with wave.open(str(file)) as wav:
        rate = wav.getframerate()
    samples = list(memoryview(raw_audio(file)).cast("h"))
    before = samples[int(0.5 * 8000):int((offset - 0.3) * 8000)]
    gap = samples[int((offset + 0.3) * 8000):int((offset + length - 0.3) * 8000)]
    after = samples[int((offset + length + 0.3) * 8000):int((rec.duration_s - 0.5) * 8000)]
    print(rate, {"before": (share(before, CALLER_HZ), share(before, AGENT_HZ)),
                 "after": (share(after, CALLER_HZ), share(after, AGENT_HZ)),
                 "gap_rms": (sum(s * s for s in gap) / max(1, len(gap))) ** 0.5})
    for part in (before, after):
        assert share(part, CALLER_HZ) > 0.1 and share(part, AGENT_HZ) > 0.1  # both sides, not silence
    assert max(abs(s) for s in gap) < 100  # the pause is silence
    for side, own, other in (("caller", CALLER_HZ, AGENT_HZ), ("agent", AGENT_HZ, CALLER_HZ)):
        split = next(row for row in rows if row.side == side)
        assert split.status == "done" and split.pauses and abs(split.duration_s - rec.duration_s) < 1.0, split
        audio = list(memoryview(raw_audio(Path(split.file))).cast("h"))[:int((offset - 0.3) * 8000)]
        print(side, share(audio[4000:], own), share(audio[4000:], other))
        assert share(audio[4000:], own) > 0.8 and share(audio[4000:], other) < 0.02  # that party alone
    listed = ivr(acd, "recordings", "list", "--agent", "agent2", "--caller", "5550130")
    assert listed.returncode == 0 and str(file) in listed.stdout and "done" in listed.stdout
    assert ivr(acd, "recordings", "list", "--agent", "agent1").stdout == ""


def test_given_recordings_when_exported_and_purged_then_side_cars_are_written_and_files_removed(recorded, tmp_path):
    acd = recorded
    rows = qa_store.recordings(acd.service.store)
    assert rows, "runs after the recording test of this module"
    exported = ivr(acd, "recordings", "export", str(tmp_path / "out"), "--queue", "billing")
    assert exported.returncode == 0, exported.stderr
    side_car = tmp_path / "out" / (Path(rows[0].file).stem + ".json")
    assert '"sha256": "' + rows[0].sha256 in side_car.read_text()
    assert ivr(acd, "recordings", "purge", "--older-than", "90d").stdout.strip() == \
        "purged 0 recording(s) older than 90d"
    purged = ivr(acd, "recordings", "purge", "--older-than", "0m")
    assert purged.returncode == 0 and f"removed {rows[0].file}" in purged.stdout
    assert not Path(rows[0].file).exists()
    assert [row.status for row in qa_store.recordings(acd.service.store)] == ["purged"] * len(rows)
