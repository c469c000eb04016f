"""The agent workspace's HTTP API, as tests (and benchmarks) drive it: real HTTP with the token."""
from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ..config import Config
from ..live.http_guard import read_token


class WorkspaceClient:
    def __init__(self, config: Config):
        self.base = f"http://{config.control.host}:{config.control.port}"
        self.token = read_token(Path(config.control.token_file))

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}"}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read() or b"{}")

    def ok(self, method: str, path: str, body: dict | None = None) -> Any:
        status, found = self.request(method, path, body)
        assert status == 200, f"{method} {path} answered {status}: {found}"
        return found

    def inbox(self, agent: str) -> dict:
        return self.ok("GET", f"/agents/{agent}/inbox")

    def wait_offer(self, agent: str, media: str, timeout: float = 10.0, conversation: str | None = None) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for work in self.inbox(agent)["work"]:
                if work["media"] == media and work["state"] == "offered" and \
                        conversation in (None, work["conversation"]):
                    return work
            time.sleep(0.05)
        raise AssertionError(f"no {media} offer for {agent} within {timeout} s: {self.inbox(agent)}")

    def act(self, agent: str, conversation: str, verb: str, body: dict | None = None) -> Any:
        return self.ok("POST", f"/agents/{agent}/work/{conversation}/{verb}", body)
