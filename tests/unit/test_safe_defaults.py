"""No shipped default password while anything listens beyond loopback: `serve` and `pbx up` refuse."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ivr import config as config_module
from ivr.config_check import refuse_shipped_passwords
from ivr.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
OWN = {"IVR_ARI_PASSWORD": "ari.Own-1", "IVR_AMI_PASSWORD": "ami.Own-2",
       **{f"IVR_AGENTS_AGENT{i}_PASSWORD": f"agent.Own-{i}" for i in range(1, 5)},
       "IVR_CHANNELS_SMS_SECRET": "sms.Own-5", "IVR_SUPERVISORS_SUP1_PASSWORD": "sup.Own-1"}


def load(**env: str) -> config_module.Config:
    return config_module.load(ROOT / "ivr.yaml", env=env)


def test_given_the_shipped_config_on_loopback_when_checked_then_its_default_passwords_are_allowed():
    refuse_shipped_passwords(load())


@pytest.mark.parametrize("variable, value", [("IVR_SIP_HOST", "0.0.0.0"), ("IVR_AMI_HOST", "192.0.2.10"),
                                             ("IVR_ARI_URL", "http://[::]:8088"), ("IVR_CONTROL_HOST", "0.0.0.0"),
                                             ("IVR_SPEECH_RTP_HOST", "10.1.2.3")])
def test_given_a_service_beyond_loopback_when_a_default_password_is_left_then_the_setting_is_named(variable, value):
    with pytest.raises(ConfigError) as caught:
        refuse_shipped_passwords(load(**{variable: value}))
    assert str(caught.value).startswith(f"{ROOT}/ivr.yaml: ari.password: is a shipped development default")
    assert "(IVR_ARI_PASSWORD)" in str(caught.value)


@pytest.mark.parametrize("left, key", [("IVR_AMI_PASSWORD", "ami.password"),
                                       ("IVR_AGENTS_AGENT3_PASSWORD", r"agents\[2\].password"),
                                       ("IVR_CHANNELS_SMS_SECRET", "channels.sms.secret"),
                                       ("IVR_SUPERVISORS_SUP1_PASSWORD", r"supervisors\[0\].password")])
def test_given_own_passwords_but_one_when_beyond_loopback_then_the_one_left_is_named(left, key):
    env = {k: v for k, v in OWN.items() if k != left}
    with pytest.raises(ConfigError, match=rf"{key}: is a shipped development default and sip.host = 0.0.0.0"):
        refuse_shipped_passwords(load(IVR_SIP_HOST="0.0.0.0", **env))


def test_given_own_passwords_from_the_environment_when_beyond_loopback_then_it_may_start():
    config = load(IVR_SIP_HOST="0.0.0.0", **OWN)
    refuse_shipped_passwords(config)
    assert config.agents[0].password == "agent.Own-1"
    assert config.overrides["agents[0].password"] == "IVR_AGENTS_AGENT1_PASSWORD"


def test_given_a_password_with_the_development_mark_when_beyond_loopback_then_it_is_refused_too():
    with pytest.raises(ConfigError, match="ami.password: is a shipped development default"):
        refuse_shipped_passwords(load(IVR_SIP_HOST="0.0.0.0", **{**OWN, "IVR_AMI_PASSWORD": "mine-local-dev"}))


def test_given_the_control_api_on_0_0_0_0_with_shipped_passwords_when_serve_runs_then_it_refuses_to_start():
    env = {**os.environ, "IVR_CONTROL_HOST": "0.0.0.0", "IVR_CONFIG": str(ROOT / "ivr.yaml")}
    done = subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", "serve"], env=env,
                          capture_output=True, text=True, timeout=30, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: ") and done.stderr.count("\n") == 1
    assert "ari.password: is a shipped development default and control.host = 0.0.0.0" in done.stderr


def test_given_sip_on_0_0_0_0_with_shipped_passwords_when_pbx_up_runs_then_it_refuses_before_building(tmp_path):
    from ivr.pbx.local import LocalPbx
    config = load(IVR_SIP_HOST="0.0.0.0")
    config = dataclasses.replace(config, pbx=dataclasses.replace(config.pbx, root=str(tmp_path / "pbx")))
    with pytest.raises(ConfigError, match="sip.host = 0.0.0.0 listens beyond loopback"):
        LocalPbx(config, say=lambda _: None).up()
    assert not (tmp_path / "pbx").exists()
