"""One serving controller with the ACD and the channels, shared by the tests of a module."""
from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path

import sqlalchemy as sa

from acd.store import interactions
from ivr.live.flow_service import FlowService
from ivr.testing.channel_config import free_port, with_channels
from ivr.testing.serve_thread import ServeThread
from ivr.testing.workspace_client import WorkspaceClient

HERE = Path(__file__).parent


from test_acd_calls import until  # noqa: E402 - one polling helper for the integration tests


class Serving:
    def __init__(self, config, thread: ServeThread):
        self.config, self.thread = config, thread
        self.service, self.hub = thread.acd_service, thread.channels
        self.workspace = WorkspaceClient(config)

    def on_loop(self, fn):
        async def run():
            return fn()
        return self.thread.call(run)

    def login(self, *agents: str) -> None:
        for agent in agents:
            self.on_loop(lambda agent=agent: self.service.agent_available(agent, login=True))

    def logout_all(self) -> None:
        """Between tests: every conversation still in the ACD is taken and closed, every agent logged out."""
        agents = self.service.router.agents.values()
        for agent in agents:
            if agent.state.value in ("logged_out", "paused"):
                self.on_loop(lambda agent=agent: self.service.agents.do(
                    "login" if agent.state.value == "logged_out" else "ready", agent.id))
        until(lambda: self._close_what_is_offered() and not self.service.desk.items, 15, "every conversation closed")
        until(lambda: not self.service.router.held(), 15, "agents to hold nothing")
        for agent in agents:
            self.on_loop(lambda agent=agent: self.service.agents.do("logout", agent.id))

    def _close_what_is_offered(self) -> bool:
        for agent in self.service.router.agents.values():
            for work in self.workspace.inbox(agent.id)["work"]:
                if work["conversation"] is None:
                    continue
                if work["state"] == "offered":
                    self.workspace.request("POST", f"/agents/{agent.id}/work/{work['conversation']}/accept")
                self.workspace.request("POST", f"/agents/{agent.id}/work/{work['conversation']}/close",
                                       {"disposition": "test-end"})
        return True

    def row(self, interaction_id: str):
        assert self.thread.call(self.service.journal.drain, 15), "the store writes did not land"
        with self.service.store.engine.connect() as connection:
            return connection.execute(sa.select(interactions).where(interactions.c.id == interaction_id)).first()


@contextlib.contextmanager
def serving_channels(config, store_dir: Path, *, flows_dir: Path = HERE / "acd_flows",
                     routes: dict | None = None, **channels):
    routed = with_channels(dataclasses.replace(
        config,
        flows=dataclasses.replace(config.flows, dir=str(flows_dir), routes=routes or {"100": "acd-test"}),
        acd=dataclasses.replace(config.acd, file=str(HERE / "acd-channels.yaml"),
                                store_url=f"sqlite:///{store_dir}/acd.sqlite", record=False),
        control=dataclasses.replace(config.control, port=free_port(), token_file=str(store_dir / "token"))),
        **{media: {"queue": "billing", **settings} for media, settings in channels.items()})
    thread = ServeThread(routed, FlowService.from_config(routed), acd=True).start()
    try:
        yield Serving(routed, thread)
    finally:
        thread.stop()
