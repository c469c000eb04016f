"""The Docker image's first start generates every password and secret that `refuse_shipped_passwords`
refuses (or takes it from the environment), into a 0600 file: docker/secrets.sh run with sh, no Docker."""
from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

from ivr import config as config_module
from ivr.config_check import DEV_MARK, secret_settings

ROOT = Path(__file__).resolve().parents[2]


def run_secrets(state: Path, **env: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("IVR_")}
    clean.update(IVR_STATE_DIR=str(state), IVR_PYTHON=sys.executable, PYTHONPATH=str(ROOT),
                 IVR_CONFIG=str(ROOT / "ivr.yaml"), **env)
    out = subprocess.run(["sh", "-c", f". {ROOT / 'docker/secrets.sh'} && env"], env=clean, cwd=ROOT,
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return dict(line.split("=", 1) for line in out.splitlines() if line.startswith("IVR_"))


def shipped_variables() -> list[str]:
    return [variable for _, _, variable in secret_settings(config_module.load(ROOT / "ivr.yaml"))]


def test_given_no_passwords_in_the_environment_when_the_image_starts_then_every_refused_one_is_generated_0600(tmp_path):
    exported = run_secrets(tmp_path, IVR_ARI_PASSWORD="given-by-operator")
    file = tmp_path / "secrets" / "credentials.env"
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE(file.parent.stat().st_mode) == 0o700
    variables = shipped_variables()
    assert "IVR_CHANNELS_SMS_SECRET" in variables and any(v.startswith("IVR_SUPERVISORS_") for v in variables)
    for variable in variables:
        assert exported[variable] and not exported[variable].endswith(DEV_MARK), variable
    assert exported["IVR_ARI_PASSWORD"] == "given-by-operator"
    assert "IVR_ARI_PASSWORD" not in file.read_text()  # given: not generated, not written


def test_given_a_second_start_when_secrets_run_again_then_the_same_values_are_kept(tmp_path):
    first = run_secrets(tmp_path)
    second = run_secrets(tmp_path)
    assert {v: first[v] for v in shipped_variables()} == {v: second[v] for v in shipped_variables()}


def test_given_an_older_credentials_file_when_the_image_starts_then_the_missing_secrets_are_appended(tmp_path):
    file = tmp_path / "secrets" / "credentials.env"
    file.parent.mkdir()
    file.write_text("IVR_ARI_PASSWORD=kept-from-before\n")
    exported = run_secrets(tmp_path)
    assert exported["IVR_ARI_PASSWORD"] == "kept-from-before"
    assert all(exported.get(v) for v in shipped_variables())


def test_given_the_dockerfile_when_read_then_the_entrypoint_sources_the_secrets_script_it_copies():
    dockerfile = (ROOT / "Dockerfile").read_text()
    entrypoint = (ROOT / "docker/entrypoint.sh").read_text()
    assert "COPY docker/secrets.sh /usr/local/bin/ivr-secrets" in dockerfile
    assert re.search(r'^\. "\$\(dirname "\$0"\)/ivr-secrets"$', entrypoint, re.M)
    assert entrypoint.index("ivr-secrets") < entrypoint.index("ivr pbx config") < entrypoint.index("exec ivr serve")
    assert not re.search(r"(PASSWORD|SECRET)=", dockerfile)  # nothing ships a value
