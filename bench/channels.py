#!/usr/bin/env python3
"""Messages through each channel into the ACD: chat (WebSocket), email (SMTP), SMS (signed webhook).

Starts the engine with the three channels on free loopback ports (on the local PBX, which it
starts if needed), sends --messages new conversations per channel with --concurrency senders,
and prints one line per channel:
  channel=<chat|email|sms> messages=<n> offered=<n> msgs_per_s=<x> arrival_to_offer_p50_ms=<x> arrival_to_offer_p99_ms=<x>
Arrival is when the client started sending; offer is when the ACD offered the conversation to an
agent's workspace. The store is a temporary SQLite file (--store-url for PostgreSQL).
"""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import smtplib
import sys
import tempfile
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from ivr import config as config_module  # noqa: E402
from ivr.channels.sms import signed_headers  # noqa: E402
from ivr.live.flow_service import FlowService  # noqa: E402
from ivr.pbx.local import LocalPbx  # noqa: E402
from ivr.testing.channel_config import free_port, with_channels  # noqa: E402
from ivr.testing.serve_thread import ServeThread  # noqa: E402

SECRET = "bench-sms-secret"


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


class Offers:
    """When each conversation was offered (the desk's listener, on the engine's thread)."""

    def __init__(self):
        self.at: dict[str, float] = {}
        self.lock = threading.Lock()

    def __call__(self, event: str, item) -> None:
        if event == "offered":
            with self.lock:
                self.at.setdefault(item.interaction.id, time.monotonic())


async def chat(config, n: int, concurrency: int) -> dict[str, float]:
    url = f"ws://{config.channels.chat.host}:{config.channels.chat.port}/ws"
    sent: dict[str, float] = {}
    limit = asyncio.Semaphore(concurrency)

    async def one(session: aiohttp.ClientSession, i: int) -> None:
        async with limit, session.ws_connect(url) as ws:
            await ws.receive_json(timeout=30)  # welcome
            started = time.monotonic()
            await ws.send_json({"type": "message", "text": f"bench chat {i}"})
            while (frame := await ws.receive_json(timeout=30))["type"] != "conversation":
                pass
            sent[frame["conversation"]] = started
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session, i) for i in range(n)))
    return sent


async def sms(config, n: int, concurrency: int) -> dict[str, float]:
    url = f"http://{config.channels.sms.host}:{config.channels.sms.port}/sms"
    sent: dict[str, float] = {}
    limit = asyncio.Semaphore(concurrency)

    async def one(session: aiohttp.ClientSession, i: int) -> None:
        body = urllib.parse.urlencode({"MessageSid": f"bench-{i}-{time.time()}", "From": f"+1555{i:07d}",
                                       "Body": f"bench sms {i}"}).encode()
        async with limit:
            started = time.monotonic()
            async with session.post(url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded",
                                                             **signed_headers(SECRET, body)}) as response:
                answer = await response.json()
                if response.status == 200:
                    sent[answer["conversation"]] = started
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(one(session, i) for i in range(n)))
    return sent


def email(config, n: int, concurrency: int, offers: Offers, hub) -> dict[str, float]:
    """SMTP gives no conversation id back: match by the sender each mail has alone."""
    host, port = config.channels.email.host, config.channels.email.port
    started: dict[str, float] = {}

    def send(worker: int) -> None:
        with smtplib.SMTP(host, port, timeout=60) as smtp:
            for i in range(worker, n, concurrency):
                message = EmailMessage()
                message["From"], message["To"] = f"bench{i}@example.com", "support@localhost"
                message["Subject"], message["Message-ID"] = f"bench {i}", f"<bench-{i}-{time.time()}@example.com>"
                message.set_content(f"bench email {i}")
                started[f"email:bench{i}@example.com"] = time.monotonic()
                smtp.send_message(message)
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(send, range(concurrency)))
    return {item.interaction.id: started[item.interaction.customer]
            for item in list(hub.service.desk.items.values()) if item.interaction.customer in started}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=300, help="new conversations per channel (default 300)")
    parser.add_argument("--concurrency", type=int, default=20, help="senders at once (default 20)")
    parser.add_argument("--store-url", help="the store (default: a temporary SQLite file)")
    args = parser.parse_args()
    base = config_module.load(ROOT / "ivr.yaml")
    LocalPbx(base, say=print).up()
    work = Path(tempfile.mkdtemp(prefix="bench-channels-"))
    config = with_channels(dataclasses.replace(
        base, flows=dataclasses.replace(base.flows, dir=str(ROOT / "bench/soak_flows"), routes={}, default="echo-digit"),
        acd=dataclasses.replace(base.acd, file=str(ROOT / "bench/channels-acd.yaml"), record=False,
                                      store_url=args.store_url or f"sqlite:///{work}/acd.sqlite"),
        control=dataclasses.replace(base.control, port=free_port(), token_file=str(work / "token"))),
        chat={"queue": "soak"}, email={"queue": "soak", "attachments_dir": str(work / "attachments")},
        sms={"queue": "soak", "secret": SECRET})
    offers = Offers()
    with ServeThread(config, FlowService.from_config(config), acd=True) as thread:
        service = thread.acd_service
        service.desk.listeners.append(offers)

        async def login():
            for agent in service.router.agents:
                service.agent_available(agent, login=True)
        thread.call(login)
        runs = {"chat": lambda: asyncio.run(chat(config, args.messages, args.concurrency)),
                "email": lambda: email(config, args.messages, args.concurrency, offers, thread.channels),
                "sms": lambda: asyncio.run(sms(config, args.messages, args.concurrency))}
        for name, run in runs.items():
            began = time.monotonic()
            sent = run()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not all(cid in offers.at for cid in sent):
                time.sleep(0.05)
            latencies = [(offers.at[cid] - at) * 1000 for cid, at in sent.items() if cid in offers.at]
            last = max((offers.at[cid] for cid in sent if cid in offers.at), default=time.monotonic())
            print(f"channel={name} messages={args.messages} offered={len(latencies)} "
                  f"msgs_per_s={len(latencies) / max(1e-9, last - began):.1f} "
                  f"arrival_to_offer_p50_ms={percentile(latencies, 0.5):.1f} "
                  f"arrival_to_offer_p99_ms={percentile(latencies, 0.99):.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
