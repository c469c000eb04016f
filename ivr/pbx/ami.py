"""AMI (Asterisk Manager Interface) over panoramisk, for what ARI does not offer."""
from __future__ import annotations

import asyncio
import time
from typing import Any

from panoramisk import Manager

from ..config import AmiConfig
from ..errors import PbxError


class Ami:
    """One logged-in AMI session: `async with Ami(config) as ami: await ami.action('CoreStatus')`."""

    def __init__(self, config: AmiConfig, *, timeout: float = 5.0):
        self.config = config
        self.timeout = timeout
        self._manager: Manager | None = None

    async def __aenter__(self) -> "Ami":
        where = f"AMI at {self.config.host}:{self.config.port}"
        manager = Manager(loop=asyncio.get_running_loop(), host=self.config.host, port=self.config.port,
                          username=self.config.username, secret=self.config.password,
                          events="off", ping_delay=3600, reconnect_timeout=3600)
        try:
            await asyncio.wait_for(manager.connect(), self.timeout)
            await asyncio.sleep(0)  # let panoramisk send its Login
            login = await asyncio.wait_for(manager.authenticated_future, self.timeout)
        except (OSError, TimeoutError) as exc:
            manager.close()
            raise PbxError(f"{where} is unreachable: {exc or 'timed out'}") from None
        if not login.success:
            manager.close()
            raise PbxError(f"{where} refused user {self.config.username!r}: wrong username or password "
                           "(ami.username/ami.password in the config, or IVR_AMI_PASSWORD)")
        self._manager = manager
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._manager:
            self._manager.close()

    async def action(self, name: str, **params: Any) -> dict[str, str]:
        assert self._manager is not None
        reply = await asyncio.wait_for(self._manager.send_action({"Action": name, **params}), self.timeout)
        if isinstance(reply, list):
            reply = reply[0]
        return dict(reply)


async def pbx_status(config: AmiConfig) -> dict[str, Any]:
    """Version, uptime and active channels, as the running Asterisk reports them."""
    async with Ami(config) as ami:
        settings = await ami.action("CoreSettings")
        status = await ami.action("CoreStatus")
    started = f"{status.get('CoreStartupDate', '')} {status.get('CoreStartupTime', '')}".strip()
    uptime_s = None
    try:
        uptime_s = int(time.time() - time.mktime(time.strptime(started, "%Y-%m-%d %H:%M:%S")))
    except ValueError:
        pass
    return {
        "version": settings.get("AsteriskVersion", "?"),
        "uptime_s": uptime_s,
        "channels": int(status.get("CoreCurrentCalls", 0)),
    }
