"""Hostile inputs for tests: a data-dip service that answers badly, and a YAML alias bomb.

    with HostileService() as service:          # on 127.0.0.1, a free port, in its own thread
        url = service.url("/infinity")

or, on a running loop, `runner = await start_hostile(port=0)`. Paths:

    /ok          {"name": "Ada", "balance": 42}
    /infinity    {"balance": Infinity}          /nan     {"balance": NaN}
    /big-number  {"balance": 1e999}             /deep    100,000 nested lists
    /huge        2 MB of JSON                    /stall   headers, a few bytes, then nothing
    /gzip-bomb   about 200 KB of gzip that would inflate to 200 MB
"""
from __future__ import annotations

import asyncio
import threading
import zlib
from functools import cache

from aiohttp import web

BILLION_LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{chr(ord('a') + i)}: &{chr(ord('a') + i)} [{', '.join(['*' + chr(ord('a') + i - 1)] * 9)}]\n"
    for i in range(1, 9))  # 9 ** 9 strings once expanded

BOMB_INFLATED_BYTES = 200_000_000


@cache
def gzip_bomb() -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = b" " * 1_000_000
    parts = [packer.compress(b'{"balance": 1, "pad": "')]
    parts += [packer.compress(block) for _ in range(BOMB_INFLATED_BYTES // len(block))]
    return b"".join(parts + [packer.compress(b'"}'), packer.flush()])


def _json(text: str, **headers: str) -> web.Response:
    return web.Response(body=text.encode(), content_type="application/json", headers=headers)


async def _stall(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    await response.prepare(request)
    await response.write(b'{"balance": ')
    await asyncio.sleep(3600)
    return response


def make_app() -> web.Application:
    app = web.Application()
    routes = {
        "/ok": lambda _: _json('{"name": "Ada", "balance": 42}'),
        "/infinity": lambda _: _json('{"balance": Infinity}'),
        "/nan": lambda _: _json('{"balance": NaN}'),
        "/big-number": lambda _: _json('{"balance": 1e999}'),
        "/deep": lambda _: _json("[" * 100_000 + "]" * 100_000),
        "/huge": lambda _: _json('{"balance": 1, "pad": "' + "x" * 2_000_000 + '"}'),
        "/gzip-bomb": lambda _: web.Response(body=gzip_bomb(), headers={"Content-Type": "application/json",
                                                                        "Content-Encoding": "gzip"}),
    }

    for path, answer in routes.items():
        async def handler(request: web.Request, answer=answer) -> web.StreamResponse:
            return answer(request)
        app.router.add_get(path, handler)
    app.router.add_get("/stall", _stall)
    return app


async def start_hostile(host: str = "127.0.0.1", port: int = 0) -> tuple[web.AppRunner, int]:
    """Serve the hostile app on the running loop; returns the runner (cleanup() to stop) and the port."""
    runner = web.AppRunner(make_app(), shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, site._server.sockets[0].getsockname()[1]


class HostileService:
    """The hostile app on its own loop in a thread, for synchronous tests."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.host, self.port = host, port
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, name="hostile-http", daemon=True)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def __enter__(self) -> "HostileService":
        gzip_bomb()  # built before any call waits on it
        self._thread.start()
        future = asyncio.run_coroutine_threadsafe(start_hostile(self.host, self.port), self._loop)
        self._runner, self.port = future.result(10)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
