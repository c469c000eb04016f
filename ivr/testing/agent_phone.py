"""An agent's SIP phone made of SIPp: it REGISTERs as agentN (digest auth) and answers calls.

    with AgentPhone("agent1", password, target="127.0.0.1:5062", answer_after_ms=1000) as phone:
        ...  # the ACD rings PJSIP/agent1; the phone answers after 1 s and stays until the BYE

One SIPp process registers (then exits); a second one, listening on the port the
registration names as Contact, plays the phone: `answer_after_ms=None` never answers
(it rings until Asterisk cancels), which is how ring-no-answer is tested.
"""
from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from .scripted_caller import SDP
from .sipp import free_udp_port, sipp_binary

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


class AgentPhone:
    def __init__(self, agent: str, password: str, *, target: str, answer_after_ms: int | None = 500,
                 calls: int = 20):
        self.agent, self.password, self.target = agent, password, target
        self.answer_after_ms, self.calls = answer_after_ms, calls
        self.port = free_udp_port()
        self.dir = Path(tempfile.mkdtemp(prefix=f"phone-{agent}-"))
        self.proc: subprocess.Popen[str] | None = None

    def _sipp(self, scenario: Path, port: int, *extra: str) -> list[str]:
        return [sipp_binary(), self.target, "-sf", str(scenario), "-i", "127.0.0.1", "-p", str(port),
                "-nostdin", "-trace_err", *extra]

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
            raise RuntimeError(f"{self.agent} could not register: {done.stdout[-800:]}{done.stderr[-400:]}")

    def start(self) -> "AgentPhone":
        headers = RESPONSE_HEADERS.format(agent=self.agent)
        plain = headers.replace(";tag=[pid]agent[call_number]", "")
        if self.answer_after_ms is None:
            text = NO_ANSWER.format(headers=headers, plain_headers=plain)
        else:
            text = ANSWER.format(headers=headers, plain_headers=plain, delay_ms=self.answer_after_ms, sdp=SDP)
        scenario = self.dir / "phone.xml"
        scenario.write_text(text)
        media_port = free_udp_port()
        self.proc = subprocess.Popen(self._sipp(scenario, self.port, "-m", str(self.calls), "-mp", str(media_port)),
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
