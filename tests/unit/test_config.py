from __future__ import annotations

from pathlib import Path

import pytest

from ivr.config import load
from ivr.errors import ConfigError


def write(tmp_path, text: str):
    path = tmp_path / "ivr.yaml"
    path.write_text(text)
    return path


def test_given_the_shipped_config_when_loaded_then_everything_binds_to_loopback():
    config = load(Path(__file__).resolve().parents[2] / "ivr.yaml", env={})
    assert config.ari.url.startswith("http://127.0.0.1:")
    assert config.ami.host == config.sip.host == "127.0.0.1"
    assert [a.id for a in config.agents] == ["agent1", "agent2", "agent3", "agent4"]


def test_given_env_overrides_when_loaded_then_they_win_over_the_file(tmp_path):
    path = write(tmp_path, "ari: {password: from-file}\nsip: {port: 5060}\n")
    config = load(path, env={"IVR_ARI_PASSWORD": "from-env", "IVR_SIP_PORT": "5070",
                             "IVR_SIP_SERVICE_NUMBERS": "100, 200"})
    assert config.ari.password == "from-env"
    assert config.sip.port == 5070
    assert config.sip.service_numbers == ["100", "200"]


def test_given_a_relative_pbx_root_when_loaded_then_it_is_relative_to_the_file(tmp_path):
    config = load(write(tmp_path, "pbx: {root: var/pbx}\n"), env={})
    assert config.pbx.root == str(tmp_path / "var/pbx")


@pytest.mark.parametrize("text, message", [
    ("ari: {url: [1\n", r"ivr.yaml:\d+:\d+: invalid YAML"),
    ("sip: {port: five}\n", r"sip.port: expected a whole number, got 'five'"),
    ("ari: {pasword: x}\n", r"ari: unknown key 'pasword'"),
    ("- just\n- a list\n", r"expected a mapping of sections"),
    ("agents: {agent1: x}\n", r"agents: expected a list"),
    ("agents: [{id: a1}]\n", r"agents\[0\]:.*password"),
])
def test_given_a_broken_config_when_loaded_then_one_line_names_file_and_place(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message) as caught:
        load(write(tmp_path, text), env={})
    assert str(tmp_path / "ivr.yaml") in str(caught.value)
    assert "\n" not in str(caught.value)


def test_given_a_bad_env_value_when_loaded_then_the_variable_is_named(tmp_path):
    with pytest.raises(ConfigError, match="environment IVR_AMI_PORT: ami.port: expected a whole number"):
        load(write(tmp_path, ""), env={"IVR_AMI_PORT": "x"})


def test_given_a_missing_named_config_when_loaded_then_it_says_so(tmp_path):
    with pytest.raises(ConfigError, match="config file not found"):
        load(tmp_path / "nope.yaml", env={})
