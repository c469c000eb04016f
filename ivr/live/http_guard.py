"""The guard in front of every HTTP surface of the controller (the control API today, more later).

    app = http_guard.application(host, port, token_file, middlewares=[...])
    app.add_routes([web.get("/agents", handler), web.get("/metrics", http_guard.open_route(metrics))])

What it refuses, in this order, each with a one-line JSON error:

- 421 a Host header that is not the bound address or `localhost` (a DNS-rebinding page names its own
  host: the browser sends that, not ours);
- 403 a browser request from another origin (`Origin` that is not ours, or `Sec-Fetch-Site: cross-site`);
- 401 a request without `Authorization: Bearer <token>` (the token is generated on the first start
  into `token_file`, mode 0600: only the service user and root can read it, and a web page cannot);
- 415 a request body that is not JSON (no form a page can post without a CORS preflight);
- 413 a body over `max_body` bytes (aiohttp's `client_max_size`).

`open_route(handler)` exempts one route from the token (not from the Host and Origin checks): for
metrics a scraper reads on loopback.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import re
import secrets
import stat
from collections.abc import Iterable
from pathlib import Path

from aiohttp import web

from ivr import log
from ivr.errors import ConfigError

MAX_BODY = 64 * 1024
PORT_SUFFIX = re.compile(r":[0-9]{1,5}\Z")
_OPEN = "_http_guard_open"


def open_route(handler):
    """`handler`, reachable without the token (Host and Origin are still checked). A wrapper, so the
    same handler behind another route keeps needing the token."""
    async def opened(request: web.Request) -> web.StreamResponse:
        return await handler(request)
    setattr(opened, _OPEN, True)
    return opened


def ensure_token(path: Path) -> str:
    """The token in `path`, generated there (mode 0600) when the file does not exist yet."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as out:
                os.fchmod(out.fileno(), 0o600)  # whatever the umask
                out.write(secrets.token_urlsafe(32) + "\n")
        if stat.S_IMODE(path.stat().st_mode) & 0o077:
            os.chmod(path, 0o600)  # readable by others: a copy, or an old file; only the owner may read it
    except OSError as exc:
        raise ConfigError(f"control.token_file: cannot create {path}: {exc.strerror}") from None
    return read_token(path)


def read_token(path: Path) -> str:
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        raise ConfigError(f"control.token_file: {path} does not exist: start `ivr serve` first") from None
    except OSError as exc:
        raise ConfigError(f"control.token_file: cannot read {path}: {exc.strerror} "
                          "(run as the user that runs `ivr serve`)") from None
    if len(token) < 32:
        raise ConfigError(f"control.token_file: {path} holds no usable token: delete it and restart `ivr serve`")
    return token


def allowed_hosts(host: str) -> set[str]:
    """Host names (the Host header without its port) that name this server: the bound address, localhost."""
    names = {"localhost", f"[{host}]" if ":" in host else host}
    if _is_loopback(host):
        names |= {"127.0.0.1", "[::1]"}
    return names


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def _refuse(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers)


def guard(token: str, host: str, port: int):
    """The middleware: Host, Origin, token and content type, as the module docstring says."""
    hosts = allowed_hosts(host)
    origins = {f"http://{name}" for name in hosts} | {f"http://{name}:{port}" for name in hosts}

    @web.middleware
    async def middleware(request: web.Request, handler):
        if PORT_SUFFIX.sub("", request.headers.get("Host", "")).lower() not in hosts:
            return _refuse(421, "this server answers only to its own address (Host header)")
        origin = request.headers.get("Origin")
        if (origin is not None and origin.lower() not in origins) \
                or request.headers.get("Sec-Fetch-Site") == "cross-site":
            return _refuse(403, "cross-origin requests are refused")
        if not getattr(request.match_info.handler, _OPEN, False):
            scheme, _, given = request.headers.get("Authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
                return _refuse(401, "missing or wrong token (Authorization: Bearer, see control.token_file)",
                               **{"WWW-Authenticate": "Bearer"})
        if request.can_read_body and request.content_type != "application/json":
            return _refuse(415, "request bodies must be application/json")
        return await handler(request)

    return middleware


async def listen(app: web.Application, host: str, port: int, name: str, setting: str) -> web.AppRunner | None:
    """Serve `app` on host:port; None (logged loudly as `<name>.unavailable`) when the port is taken,
    because calls must still be served without this surface. `setting` names the config key to change."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        await runner.cleanup()
        log.error(f"{name}.unavailable",
                  reason=f"cannot listen on {host}:{port}: {exc.strerror} ({setting} in the config)")
        return None
    log.event(f"{name}.listening", host=host, port=port)
    return runner


def application(host: str, port: int, token_file: str | Path, *, middlewares: Iterable = (),
                max_body: int = MAX_BODY) -> web.Application:
    """A web application behind the guard (the token generated into `token_file` if it has none)."""
    token = ensure_token(Path(token_file))
    return web.Application(middlewares=[guard(token, host, port), *middlewares], client_max_size=max_body)
