"""Files with callers' data get restrictive modes whatever the umask: the store, QA recordings and
their export, mail attachments, the local PBX's recordings directory and Asterisk's umask."""
from __future__ import annotations

import dataclasses
import json
import os
import stat
import types
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from acd import qa_store
from acd.store import Store
from ivr.channels.mail import EmailChannel
from ivr.live.acd.recording import _move_and_measure
from ivr.pbx import local
from ivr.recordings_cli import recordings


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    old = os.umask(0)
    yield
    os.umask(old)


def a_wav(path: Path) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1), out.setsampwidth(2), out.setframerate(8000)
        out.writeframes(b"\0\0" * 800)
    return path


def test_given_umask_0_when_the_store_is_created_then_its_file_is_0600_and_its_folder_0750(tmp_path, open_umask):
    path = tmp_path / "var" / "acd.sqlite"
    Store(f"sqlite:///{path}").close()
    assert mode(path) == 0o600 and mode(path.parent) == 0o750


def test_given_a_store_file_others_can_read_when_opened_then_it_becomes_0600(tmp_path):
    path = tmp_path / "acd.sqlite"
    Store(f"sqlite:///{path}").close()
    path.chmod(0o644)
    Store(f"sqlite:///{path}").close()
    assert mode(path) == 0o600


def test_given_umask_0_when_a_recording_is_filed_then_its_day_folders_are_0750_and_the_file_0640(tmp_path, open_umask):
    source = a_wav(tmp_path / "qa-sales-1.wav")
    source.chmod(0o666)
    target = tmp_path / "2026" / "12" / "03" / "qa-sales-1.wav"
    _move_and_measure(source, target)
    assert mode(target) == 0o640
    assert [mode(tmp_path / p) for p in ("2026", "2026/12", "2026/12/03")] == [0o750] * 3


def test_given_umask_0_when_recordings_are_exported_then_the_copies_and_side_cars_are_0600(config, tmp_path,
                                                                                           open_umask):
    store_url = f"sqlite:///{tmp_path / 'acd.sqlite'}"
    store = Store(store_url)
    qa_store.ensure_tables(store)
    wav = a_wav(tmp_path / "qa-sales-1.wav")
    wav.chmod(0o644)
    with store.write() as writer:
        qa_store.recording_started(writer, "qa-sales-1", "1.1", "sales", "agent1", "+15550100", "mixed", 1.0, str(wav))
        qa_store.recording_finished(writer, "qa-sales-1", duration_s=0.1, size=1, sha256="x", pauses=[], error=None)
    obj = dataclasses.replace(config, acd=dataclasses.replace(config.acd, store_url=store_url))
    out = tmp_path / "export"
    result = CliRunner().invoke(recordings, ["export", str(out)], obj=obj, catch_exceptions=False)
    assert "exported 1" in result.output
    assert mode(out) == 0o750
    assert mode(out / "qa-sales-1.wav") == 0o600 and mode(out / "qa-sales-1.json") == 0o600
    assert json.loads((out / "qa-sales-1.json").read_text())["caller"] == "+15550100"


def test_given_umask_0_when_a_mail_attachment_is_kept_then_its_folder_is_0750_and_file_0600(tmp_path, open_umask):
    channel = EmailChannel.__new__(EmailChannel)
    channel.config = types.SimpleNamespace(attachments_dir=str(tmp_path / "attachments"))
    kept = channel._keep_attachments("<m1@example>", [("../../etc/passwd", "text/plain", b"secret")])
    path = Path(kept[0]["path"])
    assert path.parent.parent == tmp_path / "attachments"  # the name cannot leave its folder
    assert mode(path) == 0o600 and mode(path.parent) == 0o750 and mode(tmp_path / "attachments") == 0o750


def test_given_the_local_pbx_when_it_mounts_then_the_recordings_folder_is_0750(config, tmp_path, monkeypatch,
                                                                               open_umask):
    media = dataclasses.replace(config.media, prompts_dir=str(tmp_path / "p"), recordings_dir=str(tmp_path / "r"))
    flows = dataclasses.replace(config.flows, dir=str(tmp_path / "f"))
    pbx = local.LocalPbx(dataclasses.replace(config, media=media, flows=flows,
                                             pbx=dataclasses.replace(config.pbx, root=str(tmp_path / "root"))))
    monkeypatch.setattr(pbx, "_asterisk_ids", lambda: (os.getuid(), os.getgid()))
    monkeypatch.setattr(pbx, "_mounted", lambda: [])
    monkeypatch.setattr(local, "_run", lambda cmd, what: None)
    pbx._mount()
    assert mode(tmp_path / "r") == 0o750


def test_given_the_local_pbx_when_asterisk_starts_then_it_runs_with_umask_027(config, monkeypatch):
    seen = {}
    monkeypatch.setattr(local.subprocess, "run",
                        lambda *args, **kwargs: seen.update(kwargs) or types.SimpleNamespace(returncode=0))
    local.LocalPbx(config)._start()
    assert seen["umask"] == 0o027
