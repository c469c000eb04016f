"""`http`: a data dip to a web service; save parts of its JSON answer into variables.

    lookup:
      http:
        method: GET                    # GET (default), POST, PUT, PATCH or DELETE
        url: "https://crm.example/accounts/{account}"   # values are URL-quoted
        params: {lang: "{language}"}   # query parameters (templated)
        json: {caller: "{caller}"}     # request body (templated)
        headers: {X-Api-Key: "..."}
        timeout: 2                     # seconds, for the whole answer and between its reads
        max_bytes: 100000              # largest answer taken (default: flows.http_max_bytes, 1 MB)
        save: {account.balance: balance, account.name: customer.name}
        next: say_balance              # on a 2xx answer with every saved path present
        fail: agent                    # slow, unreachable, non-2xx, a saved path missing, or an
                                       # answer refused: too big, Infinity/NaN, nested too deep

`save` maps a variable to a path in the answer: `balance`, `customer.name`, `items.0.id`,
or `$` for the whole answer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..context import RunContext
from ..model import Next, Node, ParseContext, Target
from ..port import HttpRequest
from ..template import check_template, render, render_data
from . import register
from .common import TARGET, VARIABLE_PATTERN, body_schema, node_schema

JSON_PATH_PATTERN = r"^(\$|(\$\.)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*)$"
_MISSING = object()


@register
@dataclass
class Http(Node):
    kind = "http"
    id: str
    url: str
    next: str
    fail: str
    method: str = "GET"
    params: dict[str, str] = field(default_factory=dict)
    json: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    timeout_s: float = 3.0
    save: dict[str, str] = field(default_factory=dict)
    max_bytes: int | None = None

    @classmethod
    def schema(cls) -> dict:
        strings = {"type": "object", "additionalProperties": {"type": "string"}}
        body = body_schema({
            "method": {"enum": ["GET", "POST", "PUT", "PATCH", "DELETE"]},
            "url": {"type": "string", "pattern": r"^https?://", "x-expected": "an http:// or https:// URL"},
            "params": strings,
            "json": {},
            "headers": strings,
            "timeout": {"type": "number", "exclusiveMinimum": 0, "maximum": 30},
            "max_bytes": {"type": "integer", "minimum": 1, "maximum": 100_000_000},
            "save": {"type": "object",
                     "propertyNames": {"pattern": VARIABLE_PATTERN, "x-expected": "a variable name"},
                     "additionalProperties": {"type": "string", "pattern": JSON_PATH_PATTERN,
                                              "x-expected": "a path in the answer like customer.name, or $"}},
            "next": TARGET,
            "fail": TARGET,
        }, required=("url", "next", "fail"))
        return node_schema("http", body)

    @classmethod
    def parse(cls, node_id: str, raw: dict[str, Any], at: ParseContext) -> Http | None:
        body = raw["http"]
        texts = [("url", body["url"])] + [(f"params.{k}", v) for k, v in body.get("params", {}).items()]
        for where, text in texts:
            if at.attempt(at.path("http", *where.split(".", 1)), lambda: check_template(text) or True) is None:
                return None
        return cls(node_id, body["url"], body["next"], body["fail"], method=body.get("method", "GET"),
                   params=dict(body.get("params", {})), json=body.get("json"),
                   headers=dict(body.get("headers", {})), timeout_s=float(body.get("timeout", 3.0)),
                   save=dict(body.get("save", {})), max_bytes=body.get("max_bytes"))

    def targets(self) -> list[Target]:
        base = ("nodes", self.id, "http")
        return [Target(self.next, base + ("next",)), Target(self.fail, base + ("fail",))]

    async def run(self, ctx: RunContext) -> Next:
        request = HttpRequest(
            method=self.method,
            url=render(self.url, ctx.lookup, escape=lambda value: quote(value, safe="")),
            timeout_s=self.timeout_s,
            headers={key: render(value, ctx.lookup) for key, value in self.headers.items()},
            params={key: render(value, ctx.lookup) for key, value in self.params.items()},
            json=render_data(self.json, ctx.lookup),
            max_bytes=self.max_bytes,
        )
        result = await ctx.port.http(request)
        if result.status == 0:
            ctx.note(f"http {request.method} {request.url}: no usable answer ({result.reason or 'timeout'})")
            return self.fail
        if not 200 <= result.status < 300:
            ctx.note(f"http {request.method} {request.url}: status {result.status}")
            return self.fail
        saved = {}
        for variable, path in self.save.items():
            value = extract(result.body, path)
            if value is _MISSING:
                ctx.note(f"http {request.method} {request.url}: the answer has no '{path}'")
                return self.fail
            saved[variable] = value
        for variable, value in saved.items():
            ctx.assign(variable, value)
        ctx.note(f"http {request.method} {request.url}: status {result.status}")
        return self.next


def extract(body: Any, path: str) -> Any:
    """The value at `path` in a decoded JSON answer, or _MISSING."""
    if path == "$":
        return body
    value = body
    for part in path.removeprefix("$.").split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return _MISSING
    return value
