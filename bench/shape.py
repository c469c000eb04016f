#!/usr/bin/env python3
"""The full call shape through our controller and through native Asterisk, side by side in one run.

caller -> prompt (hello-world) + key 1 -> hello-world again -> queue -> an agent answers -> talk ->
the caller hangs up. The native side is dialplan + app_queue (bench/native/) in a second Asterisk
root of the same build; our side is `ivr serve` running bench/shape_flows/shape.yaml over the ACD.
Both get N agent endpoints answered by one SIPp UAS (ours register, with digest auth), the same
SIPp callers (bench/shape_caller.xml: key 1 at 2.5 s, hang-up 8 s later), ramped to --concurrent.
The phases run one after the other (native first), so that neither steals the other's CPU.

Measured on the wire (dumpcap on loopback, filtered to the PBX's SIP port and the callers' RTP
port; bench/wire.py reads it back): DTMF to next prompt (last RFC 4733 end packet to the first
RTP packet back) and key to agent answer (that packet to the agent phone's 200 OK). CPU per call
of everything involved: Asterisk, and on our side the controller and its children (espeak-ng).
A call is ok when SIPp completed it and an agent answered it. Ends with one line:
  ours_failed=<n> native_failed=<n> concurrent=<n> p99_ratio=<x> cpu_ratio=<x>
Run as root from the repository, with the IVR_* port overrides of your checkout exported.
"""
from __future__ import annotations

import argparse
from concurrent.futures import ThreadPoolExecutor
import dataclasses
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ivr import config as config_module  # noqa: E402
from ivr.config import AgentEndpoint  # noqa: E402
from ivr.pbx.local import LocalPbx  # noqa: E402
from ivr.testing import sipp  # noqa: E402
from ivr.testing.agent_phone import AgentPhone  # noqa: E402
from ivr.testing.serve_process import ServeProcess  # noqa: E402

sys.path.insert(0, str(Path(__file__).parent))
from native_pbx import NativePbx  # noqa: E402
from shape_report import Phase, cpu_seconds, machine_busy, report  # noqa: E402
import wire  # noqa: E402

HERE = Path(__file__).parent
CALL_S = 2.5 + 8.0 + 0.3  # the caller's scenario: answer, key at 2.5 s, hang-up 8 s later

def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def start_agents_uas(port: int, media_port: int, workdir: Path) -> subprocess.Popen[str]:
    """One SIPp UAS answering every agent's calls at once (SIPp's built-in `uas`)."""
    return subprocess.Popen([sipp.sipp_binary(), "-sn", "uas", "-i", "127.0.0.1", "-p", str(port),
                             "-mp", str(media_port), "-nostdin", "-trace_err"], cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, text=True)


def register_agents(agents: list[AgentEndpoint], target: str, contact_port: int, workdir: Path) -> None:
    """REGISTER every agent with its own credentials (SIPp takes no [field] inside [authentication],
    so one short SIPp per agent, eight at a time); their Contact is the one UAS."""
    def one(agent: AgentEndpoint) -> None:
        phone = AgentPhone(agent.id, agent.password, target=target)
        phone.port, phone.dir = contact_port, workdir / "register" / agent.id
        phone.dir.mkdir(parents=True)
        for attempt in range(3):  # under load Asterisk may answer a digest with a fresh 401 (stale nonce)
            try:
                return phone.register()
            except RuntimeError:
                if attempt == 2:
                    raise
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, agents))


def capture(path: Path, ports: tuple[int, ...]) -> subprocess.Popen[bytes]:
    """dumpcap on loopback (Debian package tshark), only the given UDP ports, libpcap format."""
    filter_ = "udp and (" + " or ".join(f"port {p}" for p in ports) + ")"
    proc = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-P", "-s", "2048", "-B", "64", "-f", filter_,
                             "-w", str(path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 10
    while not path.exists() or path.stat().st_size < 24:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"dumpcap did not start: {proc.stderr.read().decode()[-300:] if proc.stderr else ''}")
        time.sleep(0.1)
    return proc


def run_callers(args, target: str, pids: dict[str, int], workdir: Path, pbx_sip_port: int) -> Phase:
    """Place the calls with a capture running; CPU of `pids` (name -> pid) over the same span."""
    workdir.mkdir(parents=True, exist_ok=True)
    pcap = workdir / "wire.pcap"
    dumpcap = capture(pcap, (pbx_sip_port, args.caller_media_port))
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    busy_before = machine_busy()
    started = time.monotonic()
    try:
        result = sipp.place_calls(HERE / "shape_caller.xml", service="100", target=target, calls=args.calls,
                                  rate=args.rate, limit=args.concurrent, media_port=args.caller_media_port,
                                  timeout_s=args.calls / args.rate + 120, workdir=workdir)
        time.sleep(1.0)  # the last BYEs and their 200s
    finally:
        dumpcap.terminate()
        dumpcap.wait(10)
    elapsed = time.monotonic() - started
    cpu = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    seen = wire.read(pcap, pbx_sip_port=pbx_sip_port, caller_media_port=args.caller_media_port)
    return Phase(result=result, wire=seen, cpu=cpu, elapsed_s=elapsed, busy=machine_busy() - busy_before,
                 pcap=pcap)


def native_phase(args, config, workdir: Path) -> Phase:
    pbx = NativePbx(config, sip_port=args.native_sip_port, agents=args.agents,
                    agent_contact=f"127.0.0.1:{args.agents_port}", say=say)
    pbx.up()
    uas = start_agents_uas(args.agents_port, args.agents_media_port, workdir)
    try:
        return run_callers(args, f"127.0.0.1:{args.native_sip_port}", {"asterisk": pbx.pid()}, workdir / "native",
                           args.native_sip_port)
    finally:
        uas.terminate()
        uas.wait(10)
        pbx.down()


def ours_phase(args, config, workdir: Path) -> Phase:
    agents = [AgentEndpoint(f"agent{i}", f"shape-agent{i}-local-dev") for i in range(1, args.agents + 1)]
    acd_file = workdir / "acd-shape.yaml"
    acd_file.write_text(json.dumps({
        "skills": ["shape"],
        "queues": {"shape": {"strategy": "longest-idle", "ring_timeout": 15, "wrap_up": 0,
                             "announcements": {"position": False, "estimated_wait": False}}},
        "agents": [{"id": a.id, "endpoint": a.id, "queues": ["shape"], "skills": {"shape": 1}, "languages": ["en"]}
                   for a in agents]}))
    config = dataclasses.replace(config, agents=agents, acd=dataclasses.replace(config.acd, record=False),
                                 control=dataclasses.replace(config.control,
                                                             token_file=str(workdir / "control.token")))
    pbx = LocalPbx(config, say=say)
    pbx.up()  # (re)loads pjsip_agents.conf with the N agents
    target = f"127.0.0.1:{config.sip.port}"
    uas = start_agents_uas(args.agents_port, args.agents_media_port, workdir)
    serve = ServeProcess.configured(config, workdir / "serve", flows_dir=HERE / "shape_flows",
                                    routes={"100": "shape"}, acd_file=acd_file,
                                    store_url=args.store_url or f"sqlite:///{workdir}/acd.sqlite")
    try:
        register_agents(agents, target, args.agents_port, workdir)
        serve.start(env=args.serve_env)
        token = Path(config.control.token_file).read_text().strip()
        for agent in agents:
            control_post(config, f"/agents/{agent.id}/login", token)
        say(f"ours: {len(agents)} agents registered and logged in; controller pid {serve.pid}")
        spy = None
        if args.py_spy:  # sampling profile of the controller over the whole load (collapsed stacks)
            spy = subprocess.Popen([str(Path(sys.executable).parent / "py-spy"), "record", "-p", str(serve.pid),
                                    "-r", "100", "-f", "raw", "-o", str(workdir / "py-spy.txt"), "--nonblocking"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        phase = run_callers(args, target, {"asterisk": pbx.pid(), "controller": serve.pid}, workdir / "ours",
                            config.sip.port)
        if spy:
            spy.send_signal(signal.SIGINT)
            spy.wait(30)
            say(f"ours: py-spy profile (collapsed stacks) in {workdir / 'py-spy.txt'}")
        phase.failed_in_controller = serve.count("call.failed")
        phase.serve_log = serve.log_path
        return phase
    finally:
        serve.stop()
        uas.terminate()
        uas.wait(10)


def control_post(config, path: str, token: str) -> None:
    url = f"http://{config.control.host}:{config.control.port}{path}"
    request = urllib.request.Request(url, method="POST", data=b"", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10):
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concurrent", type=int, default=500, help="callers up at once (default 500)")
    parser.add_argument("--agents", type=int, help="agent endpoints on each side (default the concurrency)")
    parser.add_argument("--hold-s", type=float, default=30.0, help="seconds of calls at the target rate (default 30)")
    parser.add_argument("--sides", default="native,ours", help="which sides to run (default native,ours)")
    parser.add_argument("--native-sip-port", type=int, default=56060)
    parser.add_argument("--agents-port", type=int, default=56300, help="the agents' SIPp UAS (media: +100)")
    parser.add_argument("--caller-media-port", type=int, default=56200, help="the callers' RTP port (and +2)")
    parser.add_argument("--py-spy", action="store_true", help="profile the controller with py-spy (pip install "
                        "py-spy) during the load")
    parser.add_argument("--serve-env", action="append", default=[], metavar="NAME=VALUE",
                        help="environment for our controller (repeatable)")
    parser.add_argument("--store-url", help="our ACD store (default a fresh SQLite file)")
    parser.add_argument("--config", default=str(ROOT / "ivr.yaml"))
    args = parser.parse_args()
    args.agents = args.agents or args.concurrent
    args.agents_media_port = args.agents_port + 100
    args.rate = round(args.concurrent / CALL_S, 1)
    args.calls = int(args.rate * args.hold_s + args.concurrent)
    args.serve_env = dict(item.split("=", 1) for item in args.serve_env)
    config = config_module.load(args.config)
    workdir = Path(tempfile.mkdtemp(prefix="shape-"))
    say(f"shape: {args.calls} calls at {args.rate}/s (at most {args.concurrent} at once), {args.agents} agents "
        f"per side; work dir {workdir}")
    phases = {}
    for side in args.sides.split(","):
        phases[side] = (native_phase if side == "native" else ours_phase)(args, config, workdir)
        say(f"{side}: done in {phases[side].elapsed_s:.0f} s")
    return report(phases, args.concurrent)


if __name__ == "__main__":
    sys.exit(main())
