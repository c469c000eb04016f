"""A thin asyncio client for the Asterisk REST Interface: REST commands and the event WebSocket.

`AriClient.run()` keeps the event stream connected, reconnecting with backoff when
Asterisk goes away, and calls `on_connect` after every (re)connection so the
controller can re-attach to calls still in our Stasis application.
"""
from __future__ import annotations

import asyncio
import base64
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aiohttp
import orjson

from .. import log
from ..config import AriConfig
from ..errors import AriAuthError, AriRequestError, AriTimeout, AriUnavailable
from ..health import count, failed, timings

Event = dict[str, Any]
REQUEST_TIMEOUT_S = 10.0  # every REST command, connect to last byte
EventSink = Callable[[Event], None]


class Ari(Protocol):
    """The one seam between the controller and Asterisk. `AriClient` talks to a real Asterisk;
    `ivr.testing.fake_ari.FakeAri` is a scriptable stand-in for unit tests.

    Commands raise `AriRequestError` (Asterisk said no), `AriUnavailable` (no connection) or
    `AriAuthError`; `missing_ok` turns a 404 into None. `run` streams events until cancelled,
    calling `on_connect` after every (re)connection.
    """

    async def __aenter__(self) -> "Ari": ...

    async def __aexit__(self, *exc: object) -> None: ...

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: Any = None, missing_ok: bool = False) -> Any: ...

    def get(self, path: str, **kw: Any) -> Awaitable[Any]: ...

    def post(self, path: str, **kw: Any) -> Awaitable[Any]: ...

    def delete(self, path: str, **kw: Any) -> Awaitable[Any]: ...

    async def run(self, on_event: EventSink, on_connect: Callable[[], Awaitable[None]],
                  on_disconnect: Callable[[], None] = lambda: None) -> None: ...


class AriVerbs:
    """`get`, `post` and `delete` over `request`: shared by the real client and the fake."""

    def get(self, path: str, **kw: Any) -> Awaitable[Any]:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Awaitable[Any]:
        return self.request("POST", path, **kw)

    def delete(self, path: str, **kw: Any) -> Awaitable[Any]:
        return self.request("DELETE", path, **kw)


class AriClient(AriVerbs):
    def __init__(self, config: AriConfig, *, connections: int = 100):
        self.config = config
        self.base = config.url.rstrip("/") + "/ari"
        token = base64.b64encode(f"{config.username}:{config.password}".encode()).decode()
        self._headers = {"Authorization": f"Basic {token}"}
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> "AriClient":
        self._session = aiohttp.ClientSession(
            headers=self._headers,
            connector=aiohttp.TCPConnector(limit=self._connections),
            timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session:
            await self._session.close()

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            raise RuntimeError("AriClient used outside 'async with'")
        return self._session

    def _auth_error(self) -> AriAuthError:
        return AriAuthError(
            f"ARI at {self.config.url} refused user {self.config.username!r}: wrong username or password "
            "(ari.username/ari.password in the config, or IVR_ARI_PASSWORD)"
        )

    async def request(self, method: str, path: str, *, params: dict[str, Any] | None = None,
                      body: Any = None, missing_ok: bool = False) -> Any:
        """Send one REST command; return the decoded JSON (None for 204, or for 404 when missing_ok)."""
        params = {k: _param(v) for k, v in (params or {}).items() if v is not None}
        try:
            async with self.session.request(method, self.base + path, params=params, json=body) as resp:
                if resp.status == 401:
                    raise self._auth_error()
                if resp.status == 404 and missing_ok:
                    return None
                if resp.status >= 400:
                    raise AriRequestError(resp.status, method, path, " ".join((await resp.text()).split())[:200])
                if resp.status == 204 or resp.content_length == 0:
                    return None
                return await resp.json(content_type=None)
        except aiohttp.ClientConnectionError as exc:
            raise AriUnavailable(f"ARI at {self.config.url} is unreachable: {exc}") from None
        except TimeoutError:
            raise AriTimeout(f"ARI {method} {path}: no answer within {REQUEST_TIMEOUT_S:.0f} s") from None

    async def run(self, on_event: Callable[[Event], None], on_connect: Callable[[], Awaitable[None]],
                  on_disconnect: Callable[[], None] = lambda: None, *, first_delay: float = 0.5,
                  max_delay: float = 3.0) -> None:
        """Stream events forever. Unreachable Asterisk: `on_disconnect`, then retry with backoff.
        Bad credentials: raise."""
        url = self.base.replace("http", "ws", 1) + "/events"
        delay, connected_before = first_delay, False
        while True:
            try:
                async with self.session.ws_connect(
                    url, params={"app": self.config.app}, heartbeat=15, timeout=aiohttp.ClientWSTimeout(ws_close=5)
                ) as ws:
                    log.event("ari.connected", url=self.config.url, app=self.config.app)
                    if connected_before:
                        count("ari.reconnects")
                    connected_before = True
                    delay = first_delay
                    await on_connect()
                    async for msg in ws:
                        if msg.type == aiohttp.WSMsgType.TEXT:
                            _deliver(on_event, msg.data)
                        elif msg.type == aiohttp.WSMsgType.ERROR:
                            break
                count("ari.disconnects")
                log.warning("ari.disconnected", url=self.config.url)
            except aiohttp.WSServerHandshakeError as exc:
                if exc.status == 401:
                    raise self._auth_error() from None
                log.warning("ari.unreachable", url=self.config.url, reason=f"HTTP {exc.status}",
                            retry_in_s=round(delay, 2))
            except (aiohttp.ClientError, OSError, AriUnavailable) as exc:
                log.warning("ari.unreachable", url=self.config.url, reason=type(exc).__name__,
                            retry_in_s=round(delay, 2))
            on_disconnect()
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, max_delay)


def _deliver(on_event: EventSink, data: str) -> None:
    """Hand one event on. Nothing about one event may end the stream every call depends on.
    Its time here, decoding included, goes to `timings["ari.event_ms"]`."""
    started = time.perf_counter()
    try:
        _handle(on_event, data)
    finally:
        timings["ari.event_ms"].add((time.perf_counter() - started) * 1000)


def _handle(on_event: EventSink, data: str) -> None:
    try:
        event = orjson.loads(data)
        if not isinstance(event, dict) or not isinstance(event.get("type"), str):
            raise ValueError("not an ARI event object")
    except ValueError as exc:  # orjson.JSONDecodeError is a ValueError
        failed("ari.bad_event", exc, data=data[:200])
        return
    try:
        on_event(event)
    except Exception as exc:  # noqa: BLE001 - the controller isolates per call; this is the last guard
        failed("ari.event_failed", exc, type=event["type"])


def _param(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
