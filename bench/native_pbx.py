"""The native baseline's Asterisk: the same build as `ivr pbx up`'s, in a second root, with the
dialplan + app_queue config of bench/native/ (no ARI, no AMI: SIP and RTP only).

    pbx = NativePbx(config, sip_port=56060, agents=500, agent_contact="127.0.0.1:56300")
    pbx.up()    # unpacks the cached root the first time, writes the config, starts Asterisk
    pbx.pid()   # for CPU accounting
    pbx.down()
"""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import time
from pathlib import Path

from ivr.config import Config
from ivr.errors import PbxError
from ivr.pbx.local import LocalPbx, config_dir

HERE = Path(__file__).parent / "native"
SHARED = ("asterisk.conf", "musiconhold.conf")  # paths and music: the same as our PBX's


def pjsip_conf(host: str, port: int, agents: int, contact: str) -> str:
    lines = ["[transport-udp]", "type=transport", "protocol=udp", f"bind={host}:{port}", "",
             "[anonymous]", "type=endpoint", "context=from-callers", "disallow=all", "allow=alaw,ulaw",
             "dtmf_mode=rfc4733", "rtp_symmetric=yes", "direct_media=no", f"media_address={host}",
             "bind_rtp_to_media_address=yes", ""]
    for i in range(1, agents + 1):
        lines += [f"[agent{i}]", "type=endpoint", "context=agents", "disallow=all", "allow=alaw,ulaw",
                  f"aors=agent{i}", "direct_media=no", f"media_address={host}", "bind_rtp_to_media_address=yes", "",
                  f"[agent{i}]", "type=aor", f"contact=sip:agent{i}@{contact}", ""]
    return "\n".join(lines)


def queues_conf(agents: int) -> str:
    lines = ["[general]", "persistentmembers=no", "", "[support]", "strategy=leastrecent", "timeout=15", "retry=1",
             "wrapuptime=0", "ringinuse=no", "joinempty=yes", "leavewhenempty=no"]
    lines += [f"member => PJSIP/agent{i}" for i in range(1, agents + 1)]
    return "\n".join(lines) + "\n"


class NativePbx(LocalPbx):
    def __init__(self, config: Config, *, sip_port: int, agents: int, agent_contact: str, say=print):
        pbx = dataclasses.replace(config.pbx, root=str(Path(config.pbx.root).resolve().parent / "pbx-native"))
        super().__init__(dataclasses.replace(config, pbx=pbx), say=say)
        self.sip_port, self.agents, self.agent_contact = sip_port, agents, agent_contact

    def up(self, timeout: float = 60.0) -> None:
        if self.pid():
            self.down()
        self._ensure_root()
        self._install_config()
        self._mount()
        self._start()
        deadline = time.monotonic() + timeout
        while self._asterisk("-rx", "core waitfullybooted", check=False).returncode:
            if time.monotonic() > deadline:
                raise PbxError(f"the native Asterisk did not boot; see {self.root}/var/log/asterisk/messages.log")
            time.sleep(0.5)
        self.say(f"native PBX up: SIP {self.config.sip.host}:{self.sip_port}/udp, {self.agents} agents")

    def _write_config(self) -> list[str]:
        etc = self.root / "etc/asterisk"
        shutil.rmtree(etc, ignore_errors=True)  # Debian's sample configs would open IAX, HTTP, AMI...
        etc.mkdir()
        sip = self.config.sip
        files = {path.name: path.read_text() for path in HERE.glob("*.conf")}
        files.update({name: (config_dir() / name).read_text() for name in SHARED})
        files["rtp.conf"] = f"[general]\nrtpstart={sip.rtp_start}\nrtpend={sip.rtp_end}\n"
        files["pjsip.conf"] = pjsip_conf(sip.host, self.sip_port, self.agents, self.agent_contact)
        files["queues.conf"] = queues_conf(self.agents)
        for name, text in files.items():
            (etc / name).write_text(text)
        uid, gid = self._asterisk_ids()
        for path in [etc, *etc.iterdir()]:
            shutil.chown(path, uid, gid)
        return sorted(files)

    def mounts(self) -> list[tuple[str, list[str]]]:
        return [("dev", ["--bind", "/dev"]), ("proc", ["-t", "proc", "proc"])]

    def _mount(self) -> None:
        mounted = set(self._mounted())
        for rel, args in self.mounts():
            point = self.root / rel
            if str(point) not in mounted:
                point.mkdir(parents=True, exist_ok=True)
                subprocess.run(["mount", *args, str(point)], check=True, capture_output=True)
