"""An anonymous SIPp caller that dials a number and reports the PBX's final answer (404, 401, 200...).

    status = final_status("*11", target="127.0.0.1:5060")          # 404: not in the callers' context
    status = final_status("*11", target=..., from_user="agent1")    # 401: agent1 must prove it

What Asterisk said is read from SIPp's log, not guessed from a timeout: every final response the
scenario can meet has its own branch that logs `STATUS <code>`, ACKs (and hangs up after a 200).
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .agent_phone import ACK_FINAL
from .scripted_caller import SDP
from .sipp import free_media_port, free_udp_port, sipp_binary

CODES = (200, 401, 403, 404, 407, 480, 484, 486, 488, 500, 503, 603)

HEADERS = """      From: <sip:{from_user}@[local_ip]:[local_port]>;tag=[pid]anon[call_number]
      Call-ID: [call_id]
      Contact: <sip:{from_user}@[local_ip]:[local_port]>
      Max-Forwards: 70"""

ANSWERED = """  <send>
    <![CDATA[
      ACK sip:{number}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      To: <sip:{number}@[remote_ip]:[remote_port]>[peer_tag_param]
{headers}
      CSeq: 1 ACK
      Content-Length: 0
    ]]>
  </send>
"""

BYE = """  <send retrans="500">
    <![CDATA[
      BYE sip:{number}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      To: <sip:{number}@[remote_ip]:[remote_port]>[peer_tag_param]
{headers}
      CSeq: 2 BYE
      Content-Length: 0
    ]]>
  </send>
  <recv response="200"/>
"""


def scenario(number: str, from_user: str) -> str:
    headers = HEADERS.format(from_user=from_user)
    lines = ['<?xml version="1.0" encoding="ISO-8859-1" ?>', '<scenario name="anonymous dial">',
             f"""  <send retrans="500">
    <![CDATA[
      INVITE sip:{number}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      To: <sip:{number}@[remote_ip]:[remote_port]>
{headers}
      CSeq: 1 INVITE
      Content-Type: application/sdp
      Content-Length: [len]

{SDP}    ]]>
  </send>""",
             '  <recv response="100" optional="true"/>', '  <recv response="180" optional="true"/>',
             '  <recv response="183" optional="true"/>']
    lines += [f'  <recv response="{code}" optional="{"false" if code == CODES[-1] else "true"}" next="s{code}"/>'
              for code in CODES]
    for code in CODES:
        lines.append(f'  <label id="s{code}"/>')
        lines.append(f'  <nop><action><log message="STATUS {code}"/></action></nop>')
        if code == 200:  # routed after all: hang up cleanly, the caller reports what happened
            lines.append(ANSWERED.format(number=number, headers=headers) + BYE.format(number=number, headers=headers))
        else:
            lines.append(ACK_FINAL.format(number=number, headers=headers, cseq=1))
        lines.append('  <nop next="end"/>')
    lines += ['  <label id="end"/>', "</scenario>", ""]
    return "\n".join(lines)


def final_status(number: str, *, target: str, from_user: str = "caller", timeout_s: float = 15.0) -> int:
    """Dial `number` from `from_user` (no password) and return the PBX's final SIP status code."""
    workdir = Path(tempfile.mkdtemp(prefix="anon-"))
    (workdir / "dial.xml").write_text(scenario(number, from_user))
    done = subprocess.run([sipp_binary(), target, "-sf", "dial.xml", "-i", "127.0.0.1", "-p", str(free_udp_port()),
                           "-mp", str(free_media_port()), "-m", "1", "-nostdin", "-timeout", f"{int(timeout_s)}s",
                           "-timeout_error", "-trace_logs", "-trace_err"],
                          cwd=workdir, capture_output=True, text=True, timeout=timeout_s + 20)
    for log in workdir.glob("dial_*_logs.log"):
        for line in log.read_text().splitlines():
            if line.startswith("STATUS "):
                return int(line.split()[1])
    raise RuntimeError(f"no final answer to {number} (SIPp exit {done.returncode}; trace in {workdir})")
