"""The local PBX's refusals, before it touches anything."""
from __future__ import annotations

import dataclasses
import os

import pytest

from ivr.errors import PbxError
from ivr.pbx import local
from ivr.pbx.local import LocalPbx


def other_root(config, tmp_path):
    return dataclasses.replace(config, pbx=dataclasses.replace(config.pbx, root=str(tmp_path / "pbx"),
                                                               cache=str(tmp_path / "cache")))


def test_given_a_normal_user_when_up_runs_then_it_says_root_is_needed(config, tmp_path, monkeypatch):
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(PbxError, match="ivr pbx up must run as root"):
        LocalPbx(other_root(config, tmp_path)).up()


def test_given_no_debootstrap_and_apt_failing_when_the_root_is_built_then_it_says_so(config, tmp_path, monkeypatch):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "apt-get").write_text("#!/bin/sh\necho 'E: Unable to locate package' >&2\nexit 100\n")
    (fake_bin / "apt-get").chmod(0o755)
    monkeypatch.setenv("PATH", str(fake_bin))
    pbx = LocalPbx(other_root(config, tmp_path), say=lambda _: None)
    with pytest.raises(PbxError, match="debootstrap is missing and `apt-get install debootstrap` failed"):
        pbx._debootstrap(tmp_path / "target")
    assert not local.shutil.which("debootstrap")


def test_given_a_stopped_pbx_when_cli_runs_then_it_says_to_start_it(config, tmp_path):
    with pytest.raises(PbxError, match="the PBX is not running: start it with `ivr pbx up`"):
        LocalPbx(other_root(config, tmp_path)).cli("core show version")
