"""The demo account service the shipped support line looks accounts up in, so `make run` answers.

With `lookup.port` set in `ivr.yaml`, `ivr serve` serves `GET /accounts/<number>` on loopback
from a JSON file (`lookup.file`, a mapping of account number to its record), read on every
request so an edit shows at once. An unknown account is a 404 (the flow's `fail` branch). It
stands in for a real CRM: set `port: 0` and point the flow's `http` url at yours.
"""
from __future__ import annotations

import json
from pathlib import Path

from aiohttp import web

from ivr import log
from ivr.config import LookupConfig


def make_app(file: Path) -> web.Application:
    async def account(request: web.Request) -> web.Response:
        try:
            accounts = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.error("lookup.unreadable", file=str(file), reason=str(exc))
            return web.json_response({"error": "the demo accounts file cannot be read"}, status=500)
        record = accounts.get(request.match_info["number"]) if isinstance(accounts, dict) else None
        if not isinstance(record, dict):
            return web.json_response({"error": "no such account"}, status=404)
        return web.json_response(record)

    app = web.Application()
    app.router.add_get("/accounts/{number}", account)
    return app


async def start_lookup(config: LookupConfig) -> web.AppRunner | None:
    """Serve the demo accounts when `config.port` is set (None otherwise); `cleanup()` stops it.
    A port already taken is logged and the demo skipped: calls are served all the same."""
    if not config.port:
        return None
    runner = web.AppRunner(make_app(Path(config.file)), access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, config.host, config.port).start()
    except OSError as exc:
        await runner.cleanup()
        log.error("lookup.unavailable", port=config.port, reason=str(exc))
        return None
    log.event("lookup.start", url=f"http://{config.host}:{config.port}/accounts/", file=config.file)
    return runner
