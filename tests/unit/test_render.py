from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from ivr.config import AgentEndpoint
from ivr.errors import ConfigError
from ivr.pbx.render import render_config

CONFIG_DIR = Path(__file__).resolve().parents[2] / "asterisk-config"


def test_given_the_shipped_config_when_rendered_then_no_placeholder_is_left(config):
    files = render_config(CONFIG_DIR, config)
    assert "{{" not in "".join(files.values())
    assert f"bind = 127.0.0.1:{config.sip.port}" in files["pjsip.conf"]  # 5060 unless IVR_SIP_PORT says
    assert "bindaddr = 127.0.0.1" in files["http.conf"]
    assert "exten => 100,1,Stasis(ivr)" in files["extensions.conf"]
    assert "password = agent1-local-dev" in files["pjsip_agents.conf"]
    assert "[sup1](supervisor-phone)" in files["pjsip_supervisors.conf"]
    assert "password = sup1-local-dev" in files["pjsip_supervisors.conf"]
    assert files["pjsip.conf"].count("media_address = 127.0.0.1\nbind_rtp_to_media_address = yes") == 3


def test_given_a_wildcard_sip_host_when_rendered_then_rtp_is_not_bound_to_it(config):
    wildcard = dataclasses.replace(config, sip=dataclasses.replace(config.sip, host="0.0.0.0"))
    assert "media_address" not in render_config(CONFIG_DIR, wildcard)["pjsip.conf"]


def test_given_an_empty_agent_password_when_rendered_then_it_is_refused(config):
    with pytest.raises(ConfigError, match=r"agents\[0\].password: is empty"):
        render_config(CONFIG_DIR, dataclasses.replace(config, agents=[AgentEndpoint("agent1", "")]))


def test_given_callers_when_rendered_then_their_context_only_enters_stasis(config):
    dialplan = render_config(CONFIG_DIR, config)["extensions.conf"]
    callers = dialplan.split("[from-callers]")[1].split("[")[0]
    apps = {line.split("(")[0].split(",")[-1] for line in callers.splitlines()
            if line.startswith(("exten", " same"))}
    assert apps == {"Stasis", "Hangup"}


@pytest.mark.parametrize("change, message", [
    (lambda c: dataclasses.replace(c, ari=dataclasses.replace(c.ari, password="x\n[evil]")), "ari.password"),
    (lambda c: dataclasses.replace(c, agents=[AgentEndpoint("agent1", "a b")]), r"agents\[0\].password"),
    (lambda c: dataclasses.replace(c, sip=dataclasses.replace(c.sip, service_numbers=["1,n,System(x)"])),
     "sip.service_numbers"),
    (lambda c: dataclasses.replace(c, sip=dataclasses.replace(c.sip, host="127.0.0.1\n[evil]")), "sip.host"),
    (lambda c: dataclasses.replace(c, ami=dataclasses.replace(c.ami, host="127.0.0.1\n[evil]")), "ami.host"),
    (lambda c: dataclasses.replace(c, ari=dataclasses.replace(c.ari, url="http://127.0.0.1\n[x]:8088")), "ari.url"),
])
def test_given_a_value_that_could_inject_config_when_rendered_then_it_is_refused(config, change, message):
    with pytest.raises(ConfigError, match=message):
        render_config(CONFIG_DIR, change(config))


def test_given_a_template_with_an_unknown_placeholder_when_rendered_then_the_file_is_named(config, tmp_path):
    (tmp_path / "x.conf").write_text("value = {{nope}}\n")
    with pytest.raises(ConfigError, match=r"x.conf: unknown placeholder \{\{nope\}\}"):
        render_config(tmp_path, config)
