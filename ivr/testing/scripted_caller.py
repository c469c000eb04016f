"""SIPp caller scenarios written from a short script of steps.

    scenario = caller_scenario(["wait 2000", "dtmf 4", "dtmf 2", "dtmf #", "wait 500"], end="await-bye")

Steps: `wait MS`; `dtmf KEYS` (each of 0-9, *, # sent as RFC 4733, 400 ms per key);
`audio PCAP` (RTP from a pcap file, e.g. speech; the caller waits for it to finish).
`end`: `await-bye` (the IVR hangs up) or `hangup` (the caller does).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from .dtmf_pcap import write_dtmf_pcap

KEY_MS = 400  # a pcap holds one key of about 200 ms; leave a gap so keys never overlap

# SIPp's SDP for a phone: G.711 A-law and RFC 4733 keys, on SIPp's media port.
SDP = """      v=0
      o=sipp 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15
"""

HEADERS = """      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "caller" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>{peer_tag}
      Call-ID: [call_id]
      CSeq: {cseq}
      Contact: sip:caller@[local_ip]:[local_port]
      Max-Forwards: 70"""

START = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="scripted caller">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{invite_headers}
      Content-Type: application/sdp
      Content-Length: [len]

{sdp}    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rtd="true" crlf="true"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{ack_headers}
      Content-Length: 0
    ]]>
  </send>
"""

AWAIT_BYE = """  <recv request="BYE" timeout="{timeout_ms}"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: sip:caller@[local_ip]:[local_port]
      Content-Length: 0
    ]]>
  </send>
</scenario>
"""

HANGUP = """  <send retrans="500">
    <![CDATA[
      BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
{bye_headers}
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" crlf="true"/>
</scenario>
"""


def _headers(cseq: str, peer_tag: bool) -> str:
    return HEADERS.format(cseq=cseq, peer_tag="[peer_tag_param]" if peer_tag else "")


def caller_scenario(steps: list[str], *, end: str = "await-bye", bye_timeout_ms: int = 30000,
                    directory: Path | None = None, media_port: int | None = None) -> Path:
    """Write the scenario file for `steps` and return its path (the caller's number is the SIPp key `caller`).
    `media_port`: the SDP names this port instead of SIPp's own (an `RtpPeer` plays the audio)."""
    directory = directory or Path(tempfile.mkdtemp(prefix="caller-"))
    body, keys_sent = [], 0
    for step in steps:
        verb, _, arg = step.partition(" ")
        if verb == "wait":
            body.append(f'  <pause milliseconds="{int(arg)}"/>')
        elif verb == "dtmf":
            for key in arg:
                pcap = write_dtmf_pcap(directory / f"key{keys_sent}.pcap", key, keys_sent)
                keys_sent += 1
                body.append(f'  <nop><action><exec play_pcap_audio="{pcap}"/></action></nop>')
                body.append(f'  <pause milliseconds="{KEY_MS}"/>')
        elif verb == "audio":
            body.append(f'  <nop><action><exec play_pcap_audio="{arg}"/></action></nop>')
        else:
            raise ValueError(f"unknown caller step {step!r}")
    sdp = SDP if media_port is None else SDP.replace("[media_port]", str(media_port))
    text = START.format(sdp=sdp, invite_headers=_headers("1 INVITE", False), ack_headers=_headers("1 ACK", True))
    text += "\n".join(body) + "\n"
    if end == "await-bye":
        text += AWAIT_BYE.format(timeout_ms=bye_timeout_ms)
    elif end == "hangup":
        text += HANGUP.format(bye_headers=_headers("2 BYE", True))
    else:
        raise ValueError(f"unknown end {end!r}")
    path = directory / "caller.xml"
    path.write_text(text)
    return path
