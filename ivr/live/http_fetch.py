"""The `http` node's fetch on live calls, bounded against hostile or broken services.

    result = await fetch(session, request, max_bytes=1_000_000)

What comes back is never bigger than `max_bytes` after decompression (the raw stream is read
and inflated piece by piece, and reading stops there), never later than the node's timeout (in
total and between reads), and JSON only when it is plain data: `Infinity`, `NaN`, numbers out of
float range and nesting deeper than `MAX_JSON_DEPTH` are refused before the parser could raise
OverflowError or RecursionError. A refusal raises `HttpAnswerRefused` with a short `reason`
(`body-too-large`, `json-constant`, ...) the caller logs; the node then takes its `fail` branch.
"""
from __future__ import annotations

import asyncio
import json
import math
import re
import zlib
from typing import Any

import aiohttp

from ivr.errors import HttpAnswerRefused
from ivr.flows.port import HttpRequest, HttpResult

DEFAULT_MAX_BYTES = 1_000_000
MAX_JSON_DEPTH = 64
MAX_NUMBER_DIGITS = 100
CHUNK = 64 * 1024
# zlib window bits: 16+ = gzip wrapper, 32+ = zlib wrapper auto-detected; raw deflate is tried as a fallback
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 32 + zlib.MAX_WBITS}
_JSON_SPECIAL = re.compile(r'["\\\[\]{}]')


async def answer(session: aiohttp.ClientSession, request: HttpRequest, *, max_bytes: int) -> tuple[HttpResult, str]:
    """`fetch`, with a refusal turned into status 0 and its reason; the second item says more."""
    try:
        return await fetch(session, request, max_bytes=max_bytes), ""
    except HttpAnswerRefused as exc:
        return HttpResult(0, None, exc.reason), str(exc)


async def fetch(session: aiohttp.ClientSession, request: HttpRequest, *, max_bytes: int) -> HttpResult:
    """One request, its answer decoded. Raises HttpAnswerRefused (timeouts and network errors too)."""
    headers = {"Accept-Encoding": "gzip, deflate", **request.headers}
    timeout = aiohttp.ClientTimeout(total=request.timeout_s, sock_read=request.timeout_s)
    try:
        async with asyncio.timeout(request.timeout_s):
            async with session.request(request.method, request.url, params=request.params or None,
                                       json=request.json, headers=headers, timeout=timeout,
                                       auto_decompress=False) as response:
                raw = await _read(response, max_bytes)
                charset = response.charset or "utf-8"
                status = response.status
    except TimeoutError:
        raise HttpAnswerRefused("timeout", f"no whole answer within {request.timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise HttpAnswerRefused("unreachable", f"{type(exc).__name__}: {exc}") from None
    try:
        text = raw.decode(charset)
    except (LookupError, UnicodeDecodeError):
        raise HttpAnswerRefused("bad-text", f"the answer is not {charset} text") from None
    return HttpResult(status, await asyncio.to_thread(decode_json, text))  # up to max_bytes of parsing


async def _read(response: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "", *_WBITS):
        raise HttpAnswerRefused("bad-encoding", f"unsupported Content-Encoding {encoding!r}")
    inflate = zlib.decompressobj(_WBITS[encoding]) if encoding in _WBITS else None
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        if inflate is None:
            body += chunk
        else:
            data = chunk
            while data and len(body) <= max_bytes:
                try:
                    body += inflate.decompress(data, max_bytes + 1 - len(body))
                except zlib.error as exc:
                    raise HttpAnswerRefused("bad-encoding", f"the {encoding} answer does not inflate: {exc}") from None
                data = inflate.unconsumed_tail
        if len(body) > max_bytes:
            raise HttpAnswerRefused("body-too-large", f"the answer is larger than {max_bytes} bytes")
    return bytes(body)


def decode_json(text: str) -> Any:
    """`text` as JSON when it is plain JSON data; the text itself when it is not JSON at all.
    Raises HttpAnswerRefused for JSON a flow must not get (see the module docstring)."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise HttpAnswerRefused("json-too-deep", f"the JSON answer is nested more than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float, parse_int=_bounded_int)
    except HttpAnswerRefused:
        raise
    except ValueError:
        return text


def json_depth(text: str, stop_above: int = MAX_JSON_DEPTH) -> int:
    """How deeply arrays and objects nest in `text` (brackets inside strings do not count), in one
    linear pass; counting stops once the depth passes `stop_above`."""
    depth = deepest = 0
    in_string, escaped = False, -1
    for match in _JSON_SPECIAL.finditer(text):
        at, char = match.start(), match.group()
        if at == escaped:
            continue
        if in_string:
            if char == "\\":
                escaped = at + 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > stop_above:
                break
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> Any:
    raise HttpAnswerRefused("json-constant", f"the JSON answer holds {name}, which is not a number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value) or len(text) > MAX_NUMBER_DIGITS:
        raise HttpAnswerRefused("json-number", f"the JSON answer holds a number out of range ({text[:20]}...)")
    return value


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise HttpAnswerRefused("json-number", f"the JSON answer holds a {len(text)}-digit number")
    return int(text)
