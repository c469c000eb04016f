"""Every value that reaches Asterisk's files, a socket, a URL or a path is checked by full match."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from ivr import config as config_module
from ivr.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
INJECTIONS = ["127.0.0.1\n[evil]", "127.0.0.1\n", "[evil]", "x;permit=0.0.0.0/0", "a b"]
FIELDS = {  # variable -> the key the refusal names
    "IVR_SIP_HOST": "sip.host", "IVR_AMI_HOST": "ami.host", "IVR_SPEECH_RTP_HOST": "speech.rtp_host",
    "IVR_CONTROL_HOST": "control.host", "IVR_ARI_URL": "ari.url",
    "IVR_ARI_USERNAME": "ari.username", "IVR_ARI_PASSWORD": "ari.password", "IVR_ARI_APP": "ari.app",
    "IVR_AMI_USERNAME": "ami.username", "IVR_AMI_PASSWORD": "ami.password",
    "IVR_SIP_SERVICE_NUMBERS": "sip.service_numbers", "IVR_METRICS_HOST": "metrics.host",
    "IVR_CHANNELS_EMAIL_HOST": "channels.email.host", "IVR_CHANNELS_EMAIL_RELAY": "channels.email.relay",
    "IVR_CHANNELS_CHAT_HOST": "channels.chat.host", "IVR_CHANNELS_SMS_HOST": "channels.sms.host",
    "IVR_CHANNELS_SMS_SECRET": "channels.sms.secret", "IVR_CHANNELS_SMS_GATEWAY_URL": "channels.sms.gateway_url",
    "IVR_CHANNELS_EMAIL_ADDRESS": "channels.email.address", "IVR_CHANNELS_CHAT_QUEUE": "channels.chat.queue",
}


def load(**env: str) -> config_module.Config:
    return config_module.load(ROOT / "ivr.yaml", env=env)


@pytest.mark.parametrize("value", INJECTIONS)
@pytest.mark.parametrize("variable", sorted(FIELDS))
def test_given_a_newline_or_section_in_a_host_or_credential_when_loaded_then_validation_names_it(variable, value):
    if variable == "IVR_ARI_URL":
        value = "http://" + value.replace("127.0.0.1", "127.0.0.1:8088")
    with pytest.raises(ConfigError) as caught:
        load(**{variable: value})
    assert str(caught.value).startswith(f"environment {variable}: {FIELDS[variable]}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("variable, value, reason", [
    ("IVR_ARI_URL", "http://ivr:secret@127.0.0.1:8088", "no user"),
    ("IVR_ARI_URL", "http://pbx.example:8088", "IP address"),
    ("IVR_SIP_PORT", "70000", "between 1 and 65535"),
    ("IVR_SIP_RTP_START", "30000", "start < end"),
    ("IVR_SIP_HOST", "fe80::1%eth0", "IP address"),
    ("IVR_MEDIA_PBX_RECORDINGS_DIR", "/var/spool/../../etc", "absolute path"),
    ("IVR_ACD_STORE_URL", "sqlite:///x\n[evil]", "sqlite"),
    ("IVR_LOG_LEVEL", "loud", "one of"),
    ("IVR_FLOWS_DIR", "flows\n", "usable path"),
])
def test_given_a_bad_value_when_loaded_then_it_is_refused_with_its_reason(variable, value, reason):
    with pytest.raises(ConfigError, match=reason):
        load(**{variable: value})


def test_given_a_password_with_a_newline_when_refused_then_the_message_does_not_echo_it():
    with pytest.raises(ConfigError) as caught:
        load(IVR_AMI_PASSWORD="hunter2\n[evil]")
    assert "hunter2" not in str(caught.value)


def test_given_a_bad_value_in_the_file_when_loaded_then_the_file_is_named(tmp_path):
    (tmp_path / "ivr.yaml").write_text('sip:\n  host: "127.0.0.1\\n[evil]"\n')
    with pytest.raises(ConfigError, match=rf"^{tmp_path}/ivr.yaml: sip.host: expected an IP address"):
        config_module.load(tmp_path / "ivr.yaml", env={})


def test_given_ipv6_loopback_hosts_when_loaded_then_they_pass():
    config = load(IVR_SIP_HOST="::1", IVR_ARI_URL="http://[::1]:8088")
    assert (config.sip.host, config.ari.port) == ("::1", 8088)


@pytest.mark.parametrize("variable", ["IVR_SIP_HOST", "IVR_AMI_HOST"])
def test_given_an_injected_host_when_pbx_config_runs_then_it_exits_non_zero_and_writes_nothing(variable, tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, variable: "127.0.0.1\n[evil]", "IVR_CONFIG": str(ROOT / "ivr.yaml")}
    done = subprocess.run([sys.executable, "-c", "from ivr.cli import main; main()", "pbx", "config", str(out)],
                          env=env, capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 1
    assert done.stderr.strip() == (f"error: environment {variable}: {FIELDS[variable]}: "
                                   "expected an IP address (e.g. 127.0.0.1), got '127.0.0.1\\n[evil]'")
    assert not out.exists()


@pytest.mark.parametrize("variable, value, reason", [
    ("IVR_CHANNELS_EMAIL_RELAY", "mail.example.com:25", "expected <IP address>:<port>"),
    ("IVR_CHANNELS_EMAIL_MAX_BYTES", "10", "expected 1024 to 100000000 bytes"),
    ("IVR_CHANNELS_SMS_GATEWAY_URL", "http://user:pw@10.0.0.1:80/x", "expected http://<IP address>:<port>/path"),
    ("IVR_CHANNELS_SMS_SECRET", "", "is empty"),
    ("IVR_CHANNELS_CHAT_PORT", "70000", "expected a port between 1 and 65535"),
    ("IVR_CHANNELS_CHAT_LANGUAGE", "english!", "is not a language code"),
])
def test_given_a_bad_channel_setting_when_loaded_then_it_is_refused_naming_the_variable(variable, value, reason):
    with pytest.raises(ConfigError) as caught:
        load(**{variable: value})
    assert str(caught.value).startswith(f"environment {variable}: channels.")
    assert reason in str(caught.value) and "\n" not in str(caught.value)


@pytest.mark.parametrize("env, message", [
    ({"IVR_METRICS_HOST": "0.0.0.0"}, "environment IVR_METRICS_HOST: metrics.host: must be a loopback address"),
    ({"IVR_METRICS_HOST": "192.168.1.10"}, "environment IVR_METRICS_HOST: metrics.host: must be a loopback address"),
    ({"IVR_METRICS_PORT": "70000"}, "environment IVR_METRICS_PORT: metrics.port: expected a port between 1 and 65535"),
    ({"IVR_METRICS_PORT": "ninety"}, "environment IVR_METRICS_PORT: metrics.port: expected a whole number"),
])
def test_given_a_metrics_endpoint_beyond_loopback_or_a_bad_port_when_loaded_then_it_is_refused(env, message):
    with pytest.raises(ConfigError) as caught:
        load(**env)
    assert str(caught.value).startswith(message), str(caught.value)


def test_given_metrics_port_0_when_loaded_then_the_endpoint_is_off_and_that_is_valid():
    assert load(IVR_METRICS_PORT="0").metrics.port == 0


@pytest.mark.parametrize("supervisor, key", [
    ({"id": "sup1", "password": "a\n[evil]", "queues": ["billing"]}, r"supervisors\[0\].password"),
    ({"id": "sup 1", "password": "secret", "queues": ["billing"]}, r"supervisors\[0\].id"),
    ({"id": "sup1", "password": "secret", "queues": ["bill\ning"]}, r"supervisors\[0\].queues"),
    ({"id": "sup1", "endpoint": "agent1", "password": "secret"}, r"supervisors\[0\].endpoint"),
])
def test_given_a_bad_supervisor_setting_when_loaded_then_it_is_refused_by_name(tmp_path, supervisor, key):
    path = tmp_path / "ivr.yaml"
    path.write_text(yaml.safe_dump({"agents": [{"id": "agent1", "password": "x"}], "supervisors": [supervisor]}))
    with pytest.raises(ConfigError, match=rf"^{path}: {key}: "):
        config_module.load(path, env={})
