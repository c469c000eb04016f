"""Plain synchronous ARI requests, for tests that assert what the PBX itself says."""
from __future__ import annotations

import base64
import json
import urllib.request


def ari_request(config, method: str, path: str):
    request = urllib.request.Request(config.ari.url.rstrip("/") + "/ari" + path, method=method)
    token = base64.b64encode(f"{config.ari.username}:{config.ari.password}".encode()).decode()
    request.add_header("Authorization", f"Basic {token}")
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read()
    return json.loads(body) if body else None


def ari_get(config, path: str):
    return ari_request(config, "GET", path)
