"""An agent's SIP phone made of SIPp: it REGISTERs as agentN (digest auth), answers calls and dials.

    with AgentPhone("agent1", password, target="127.0.0.1:5062", answer_after_ms=1000) as phone:
        phone.dial("*11")  # a feature code: the controller answers, confirms and hangs up
        ...  # the ACD rings PJSIP/agent1; the phone answers after 1 s and stays until the BYE

One SIPp process registers (then exits); a second one, listening on the port the
registration names as Contact, plays the phone: `answer_after_ms=None` never answers
(it rings until Asterisk cancels), which is how ring-no-answer is tested, and `busy=True`
answers every call 486 Busy Here. `dial` is a
third, short-lived one: an INVITE from the agent's endpoint, answering the digest
challenge, that waits for the far end to hang up.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path

from ..errors import SipRefused
from .scripted_caller import AWAIT_BYE, SDP
from .sipp import free_media_port, free_udp_port, sipp_binary

REGISTER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent register">
{requests}
</scenario>
"""

REGISTER_REQUEST = """  <send retrans="500">
    <![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:{agent}@[remote_ip]>;tag=[pid]reg[call_number]
      To: <sip:{agent}@[remote_ip]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:{agent}@[local_ip]:{contact_port}>
      Expires: {expires}
      Max-Forwards: 70
{auth}      Content-Length: 0
    ]]>
  </send>
"""

RESPONSE_HEADERS = """      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]agent[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:{agent}@[local_ip]:[local_port]>"""

ANSWER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone answers">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
{headers}
      Content-Length: 0
    ]]>
  </send>
  <pause milliseconds="{delay_ms}"/>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
{headers}
      Content-Type: application/sdp
      Content-Length: [len]

{sdp}    ]]>
  </send>
  <recv request="ACK" crlf="true"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
{plain_headers}
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""

NO_ANSWER = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone never answers">
  <recv request="INVITE" crlf="true">
    <action><ereg regexp="CSeq: ([0-9]+) INVITE" search_in="msg" assign_to="all,cseq"/></action>
  </recv>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
{headers}
      Content-Length: 0
    ]]>
  </send>
  <recv request="CANCEL"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
{plain_headers}
      Content-Length: 0
    ]]>
  </send>
  <send>
    <![CDATA[
      SIP/2.0 487 Request Terminated
      [last_Via:]
      [last_From:]
      [last_To:];tag=[pid]agent[call_number]
      [last_Call-ID:]
      CSeq: [$cseq] INVITE
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
  <Reference variables="all"/>
</scenario>
"""

BUSY = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone is busy">
  <recv request="INVITE" crlf="true"/>
  <send>
    <![CDATA[
      SIP/2.0 486 Busy Here
{headers}
      Content-Length: 0
    ]]>
  </send>
  <recv request="ACK"/>
</scenario>
"""

# A call from the agent's endpoint (From user = agent id, which is how PJSIP identifies it) to
# `number`, in the agent's dialplan context. The first INVITE is challenged: the 401 is ACKed within
# the INVITE's transaction ([last_Via:] repeats its branch, [last_To:] the 401's tag), then the
# INVITE is sent again with a new branch, CSeq 2 and the digest answer. The far end hangs up.
DIAL_HEADERS = """      From: <sip:{agent}@[remote_ip]>;tag=[pid]dial[call_number]
      Call-ID: [call_id]
      Contact: <sip:{agent}@[local_ip]:[local_port]>
      Max-Forwards: 70"""

DIAL_INVITE = """  <send retrans="500">
    <![CDATA[
      INVITE sip:{number}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      To: <sip:{number}@[remote_ip]:[remote_port]>
{headers}
      CSeq: {cseq} INVITE
{auth}      Content-Type: application/sdp
      Content-Length: [len]

{sdp}    ]]>
  </send>
"""

# The ACK of a final non-2xx answer: in the INVITE's transaction ([last_Via:] repeats its branch).
ACK_FINAL = """  <send>
    <![CDATA[
      ACK sip:{number}@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      [last_To:]
{headers}
      CSeq: {cseq} ACK
      Content-Length: 0
    ]]>
  </send>
"""

DIAL = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="agent phone dials">
{challenged}  <recv response="100" optional="true"/>
  <recv response="401" auth="true"/>
{ack_challenge}{authenticated}  <recv response="100" optional="true"/>
  <recv response="401" optional="true" next="refused"/>
  <recv response="403" optional="true" next="refused"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" crlf="true"/>
  <send>
    <![CDATA[
      ACK sip:{number}@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      To: <sip:{number}@[remote_ip]:[remote_port]>[peer_tag_param]
{headers}
      CSeq: 2 ACK
      Content-Length: 0
    ]]>
  </send>
{await_bye}
  <nop next="end"/>
  <!-- The digest answer was refused (wrong password): ACK the final response, say so, and fail at
       once (a receive that cannot come, with a 1 ms timeout) instead of waiting out the call. -->
  <label id="refused"/>
{ack_refusal}  <nop><action><log message="REFUSED"/></action></nop>
  <recv request="NEVER" timeout="1"/>
  <label id="end"/>
</scenario>
"""

# SIPp reports an error on stderr as `date<TAB>time<TAB>epoch: what happened` (and more lines after).
SIPP_EVENT = re.compile(r"^\d{4}-\d\d-\d\d\t[^\t]+\t[^:]+: (.*)$", re.MULTILINE)


def sipp_error(done: subprocess.CompletedProcess[str], directory: Path) -> str:
    """SIPp's first reported error, on one line (the whole story is in the -trace_err file)."""
    match = SIPP_EVENT.search(done.stderr)
    what = match.group(1).strip() if match else "no error reported"
    return f"{what} (SIPp exit {done.returncode}; trace in {directory})"


class AgentPhone:
    def __init__(self, agent: str, password: str, *, target: str, answer_after_ms: int | None = 500,
                 busy: bool = False, calls: int = 20, media_port: int | None = None):
        self.agent, self.password, self.target = agent, password, target
        self.media_port = media_port  # the SDP names this port (an `RtpPeer`) instead of SIPp's own
        self.answer_after_ms, self.busy, self.calls = answer_after_ms, busy, calls
        self.port = free_udp_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"phone-{agent}-"))
        self.proc: subprocess.Popen[str] | None = None

    def _sipp(self, scenario: Path, port: int, *extra: str) -> list[str]:
        return [sipp_binary(), self.target, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
                "-mp", str(free_media_port()), "-nostdin", "-trace_err", *extra]

    def register(self, expires: int = 3600) -> None:
        """REGISTER (answering the digest challenge); `expires=0` unregisters."""
        requests = REGISTER_REQUEST.format(agent=self.agent, cseq=1, contact_port=self.port, expires=expires,
                                           auth="") + '  <recv response="401" auth="true"/>\n'
        auth = f"      [authentication username={self.agent} password={self.password}]\n"
        requests += REGISTER_REQUEST.format(agent=self.agent, cseq=2, contact_port=self.port, expires=expires,
                                            auth=auth) + '  <recv response="200"/>\n'
        scenario = self.dir / f"register-{expires}.xml"
        scenario.write_text(REGISTER.format(requests=requests))
        done = subprocess.run(self._sipp(scenario, free_udp_port(), "-m", "1", "-timeout", "10s", "-timeout_error"),
                              cwd=self.dir, capture_output=True, text=True, timeout=30)
        if done.returncode != 0:
            raise RuntimeError(f"{self.agent} could not register: {sipp_error(done, self.dir)}")

    def dial(self, number: str, timeout_s: float = 20.0) -> None:
        """Call `number` from this agent's endpoint (digest auth) and stay until the far end hangs up.

        A refused digest answer (wrong password: Asterisk answers 401 or 403 again) raises
        `SipRefused` at once.
        """
        headers = DIAL_HEADERS.format(agent=self.agent)
        auth = f"      [authentication username={self.agent} password={self.password}]\n"
        await_bye = AWAIT_BYE.format(timeout_ms=int(timeout_s * 1000)).replace("</scenario>\n", "")
        text = DIAL.format(
            number=number, headers=headers, await_bye=await_bye,
            ack_challenge=ACK_FINAL.format(number=number, headers=headers, cseq=1),
            ack_refusal=ACK_FINAL.format(number=number, headers=headers, cseq=2),
            challenged=DIAL_INVITE.format(number=number, headers=headers, cseq=1, auth="", sdp=SDP),
            authenticated=DIAL_INVITE.format(number=number, headers=headers, cseq=2, auth=auth, sdp=SDP))
        scenario = self.dir / "dial.xml"
        scenario.write_text(text)
        for old in self.dir.glob("dial_*_logs.log"):
            old.unlink()
        done = subprocess.run(self._sipp(scenario, free_udp_port(), "-m", "1", "-timeout", f"{int(timeout_s)}s",
                                         "-timeout_error", "-trace_logs"),
                              cwd=self.dir, capture_output=True, text=True, timeout=timeout_s + 20)
        if any("REFUSED" in log.read_text() for log in self.dir.glob("dial_*_logs.log")):
            raise SipRefused(f"{self.agent} could not dial {number}: Asterisk refused its digest answer "
                             f"(wrong password for {self.agent}?)")
        if done.returncode != 0:
            raise RuntimeError(f"{self.agent} could not dial {number}: {sipp_error(done, self.dir)}")

    def start(self) -> "AgentPhone":
        headers = RESPONSE_HEADERS.format(agent=self.agent)
        plain = headers.replace(";tag=[pid]agent[call_number]", "")
        if self.busy:
            text = BUSY.format(headers=headers)
        elif self.answer_after_ms is None:
            text = NO_ANSWER.format(headers=headers, plain_headers=plain)
        else:
            sdp = SDP if self.media_port is None else SDP.replace("[media_port]", str(self.media_port))
            text = ANSWER.format(headers=headers, plain_headers=plain, delay_ms=self.answer_after_ms, sdp=sdp)
        scenario = self.dir / "phone.xml"
        scenario.write_text(text)
        self.proc = subprocess.Popen(self._sipp(scenario, self.port, "-m", str(self.calls)),
                                     cwd=self.dir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.register()
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.communicate(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()
        try:
            self.register(expires=0)
        except (RuntimeError, subprocess.TimeoutExpired):
            pass

    def __enter__(self) -> "AgentPhone":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
