"""Is the PBX answering? Port checks before start, and ARI / AMI / SIP probes after."""
from __future__ import annotations

import asyncio
import socket
import uuid

from ivr.errors import AriRequestError

from ..config import Config
from ..errors import AriUnavailable, IvrError, PbxError
from .ami import Ami
from .ari import AriClient


def port_in_use(host: str, port: int, kind: int) -> bool:
    with socket.socket(socket.AF_INET, kind) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def ports(config: Config) -> list[tuple[str, str, int, int]]:
    """(what, host, port, socket kind) for every port the PBX listens on."""
    ari_host = config.ari.url.split("//", 1)[-1].rsplit(":", 1)[0]
    return [
        ("SIP", config.sip.host, config.sip.port, socket.SOCK_DGRAM),
        ("ARI/HTTP", ari_host, config.ari.port, socket.SOCK_STREAM),
        ("AMI", config.ami.host, config.ami.port, socket.SOCK_STREAM),
    ]


def sip_answers(host: str, port: int, timeout: float = 1.0) -> bool:
    """Send a SIP OPTIONS over UDP; any SIP response means the stack is up."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((host, 0))
        sock.settimeout(timeout)
        local_port = sock.getsockname()[1]
        branch = "z9hG4bK" + uuid.uuid4().hex
        request = (
            f"OPTIONS sip:probe@{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP {host}:{local_port};branch={branch};rport\r\n"
            f"From: <sip:probe@{host}>;tag={uuid.uuid4().hex[:8]}\r\n"
            f"To: <sip:probe@{host}:{port}>\r\n"
            f"Call-ID: {uuid.uuid4().hex}@{host}\r\n"
            "CSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(request.encode(), (host, port))
        try:
            return sock.recv(4096).startswith(b"SIP/2.0 ")
        except OSError:
            return False


async def wait_ready(config: Config, timeout: float = 60.0) -> str:
    """Wait until ARI, AMI and SIP all answer; return the Asterisk version ARI reports."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last: str = "nothing answered yet"
    async with AriClient(config.ari) as ari:
        while loop.time() < deadline:
            try:
                info = await ari.get("/asterisk/info")
                async with Ami(config.ami, timeout=2):
                    pass
                if not await asyncio.to_thread(sip_answers, config.sip.host, config.sip.port):
                    raise PbxError(f"SIP on {config.sip.host}:{config.sip.port}/udp does not answer")
                return info["system"]["version"]
            except (AriUnavailable, AriRequestError, PbxError) as exc:
                last = str(exc)
            except IvrError:
                raise
            await asyncio.sleep(0.5)
    raise PbxError(f"the PBX did not become ready in {timeout:.0f} s: {last}")
