"""Persistence of the ACD's runtime state and history (SQLAlchemy 2).

SQLite file by default; PostgreSQL by URL (`postgresql+psycopg://user@host/db`) when several
controllers share one store. What is kept:

- each agent's current state (so a controller restart keeps who is paused, available, ...);
- the agent state-change log (occupancy and reports);
- every interaction: while waiting, the fields that define its position (priority, enqueue
  time, arrival sequence), so waiting callers keep their places across a restart; once ended,
  its outcome (answered / abandoned / overflow) and times (ASA, AHT);
- the routing explanation of each interaction as it stood when it last left its queue
  (offered, overflow, abandoned), for `ivr queues explain` after the fact.

All writes go through `Store.write()`, one transaction: everything in it lands, or nothing.
"""
from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from .errors import AcdError, UnknownInteraction
from .model import Agent, AgentState, Interaction, Media, StateChange

DEFAULT_URL = "sqlite:///var/acd.sqlite"
OUTCOMES = ("answered", "abandoned", "overflow")
CUSTOMER_CHARS, LANGUAGE_CHARS = 200, 20  # the longest texts kept; callers' input is cut to these first

metadata = sa.MetaData()

agent_states = sa.Table(
    "acd_agent_states", metadata,
    sa.Column("agent_id", sa.String(100), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("state_since", sa.Float, nullable=False),
    sa.Column("pause_reason", sa.String(100)),
    sa.Column("last_idle", sa.Float, nullable=False),
    sa.Column("occupied_s", sa.Float, nullable=False),
    sa.Column("available_s", sa.Float, nullable=False),
)

state_log = sa.Table(
    "acd_agent_state_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agent_id", sa.String(100), nullable=False, index=True),
    sa.Column("from_state", sa.String(20), nullable=False),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("at", sa.Float, nullable=False, index=True),
    sa.Column("reason", sa.String(100)),
)

interactions = sa.Table(
    "acd_interactions", metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("queue", sa.String(100), nullable=False, index=True),
    sa.Column("media", sa.String(10), nullable=False),
    sa.Column("skills", sa.JSON, nullable=False),
    sa.Column("language", sa.String(LANGUAGE_CHARS), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("enqueued_at", sa.Float, nullable=False),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("customer", sa.String(CUSTOMER_CHARS), nullable=False),
    sa.Column("status", sa.String(10), nullable=False, index=True),  # waiting|offered|answered|ended
    sa.Column("agent_id", sa.String(100)),
    sa.Column("offered_at", sa.Float),
    sa.Column("answered_at", sa.Float),
    sa.Column("ended_at", sa.Float, index=True),
    sa.Column("outcome", sa.String(10)),
)


explanations = sa.Table(
    "acd_explanations", metadata,
    sa.Column("interaction_id", sa.String(100), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("left", sa.String(100), nullable=False),  # how it left: "offered to agent2", "overflow to sales"...
    sa.Column("lines", sa.JSON, nullable=False),
    sa.Column("eligible", sa.JSON, nullable=False),
)


class StoreError(AcdError):
    code = "acd.store.error"


@dataclass(frozen=True)
class InteractionRecord:
    """An ended interaction, as the statistics read it."""

    id: str
    queue: str
    media: Media
    enqueued_at: float
    answered_at: float | None
    ended_at: float
    outcome: str
    agent_id: str | None


@dataclass(frozen=True)
class ExplanationRecord:
    """Why each agent could or could not take the interaction when it left its queue."""

    interaction_id: str
    at: float
    left: str
    lines: tuple[str, ...]
    eligible: tuple[str, ...]


@dataclass(frozen=True)
class HeldRecord:
    """An interaction offered to an agent (`status` "offered") or answered, not yet ended."""

    interaction: Interaction
    agent_id: str
    status: str
    answered_at: float | None


class Store:
    CUSTOMER_CHARS, LANGUAGE_CHARS = CUSTOMER_CHARS, LANGUAGE_CHARS

    def __init__(self, url: str = DEFAULT_URL):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(url, pool_pre_ping=True)  # a restarted PostgreSQL leaves dead pooled connections
            metadata.create_all(self.engine)
        except (sa.exc.SQLAlchemyError, ImportError) as exc:
            raise StoreError(f"cannot open the ACD store {self._safe(url)}: "
                             f"{str(exc).splitlines()[0]}") from None

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def write(self) -> Iterator[StoreWriter]:
        """One transaction: every write made through the writer lands together, or none does."""
        with self.engine.begin() as connection:
            yield StoreWriter(connection)

    # -- reading --------------------------------------------------------------------------

    def restore_agents(self, agents: Iterable[Agent]) -> list[Agent]:
        """Put each configured agent back in the state the store last saw it in."""
        with self.engine.connect() as connection:
            saved = {row.agent_id: row for row in connection.execute(sa.select(agent_states))}
        agents = list(agents)
        for agent in agents:
            row = saved.get(agent.id)
            if row is not None:
                agent.state, agent.state_since = AgentState(row.state), row.state_since
                agent.pause_reason, agent.last_idle = row.pause_reason, row.last_idle
                agent.occupied_s, agent.available_s = row.occupied_s, row.available_s
        return agents

    def waiting(self) -> list[Interaction]:
        """Waiting interactions in serving order, with their original positions."""
        query = (sa.select(interactions).where(interactions.c.status == "waiting")
                 .order_by(interactions.c.priority.desc(), interactions.c.enqueued_at, interactions.c.seq))
        with self.engine.connect() as connection:
            return [_interaction(row) for row in connection.execute(query)]

    def held(self) -> list[HeldRecord]:
        """Offered or answered interactions not yet ended, in arrival order."""
        query = (sa.select(interactions).where(interactions.c.status.in_(("offered", "answered")))
                 .order_by(interactions.c.seq))
        with self.engine.connect() as connection:
            return [HeldRecord(_interaction(row), row.agent_id, row.status, row.answered_at)
                    for row in connection.execute(query)]

    def ended(self, since: float | None = None, until: float | None = None,
              queues: Iterable[str] | None = None) -> list[InteractionRecord]:
        """Ended interactions, by the time they ended: [since, until), of `queues` when given."""
        c = interactions.c
        query = (sa.select(c.id, c.queue, c.media, c.enqueued_at, c.answered_at, c.ended_at, c.outcome, c.agent_id)
                 .where(c.status == "ended"))  # only the columns reports read: a month can be a million rows
        if queues is not None:
            query = query.where(c.queue.in_(list(queues)))
        if since is not None:
            query = query.where(c.ended_at >= since)
        if until is not None:
            query = query.where(c.ended_at < until)
        media = {m.value: m for m in Media}
        with self.engine.connect() as connection:
            return [InteractionRecord(id_, queue, media[kind], enqueued, answered, ended, outcome, agent)
                    for id_, queue, kind, enqueued, answered, ended, outcome, agent
                    in connection.execute(query.order_by(c.ended_at, c.seq))]

    def explanation(self, interaction_id: str) -> ExplanationRecord | None:
        query = sa.select(explanations).where(explanations.c.interaction_id == interaction_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else ExplanationRecord(row.interaction_id, row.at, row.left, tuple(row.lines),
                                                          tuple(row.eligible))

    def state_log(self, agent_id: str | None = None) -> list[StateChange]:
        query = sa.select(state_log).order_by(state_log.c.at, state_log.c.id)
        if agent_id is not None:
            query = query.where(state_log.c.agent_id == agent_id)
        with self.engine.connect() as connection:
            return [StateChange(row.agent_id, AgentState(row.from_state), AgentState(row.to_state), row.at,
                                row.reason) for row in connection.execute(query)]

    def state_log_between(self, since: float, until: float) -> list[StateChange]:
        """State changes in [since, until), and each agent's last change before `since` (the state
        it was in when the period began): what occupancy over the period needs."""
        c = state_log.c
        columns = (c.id, c.agent_id, c.from_state, c.to_state, c.at, c.reason)
        last = (sa.select(c.agent_id, sa.func.max(c.at).label("at"))
                .where(c.at < since).group_by(c.agent_id).subquery())
        before = sa.select(*columns).join(last, sa.and_(c.agent_id == last.c.agent_id, c.at == last.c.at))
        during = sa.select(*columns).where(c.at >= since, c.at < until)
        with self.engine.connect() as connection:
            rows = list(connection.execute(before)) + list(connection.execute(during))
        rows.sort(key=lambda row: (row[4], row[0]))
        states = {s.value: s for s in AgentState}
        return [StateChange(agent, states[old], states[new], at, reason) for _, agent, old, new, at, reason in rows]

    @staticmethod
    def _safe(url: str) -> str:
        return sa.engine.make_url(url).render_as_string(hide_password=True)


class StoreWriter:
    """Writes inside one transaction (see `Store.write`)."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def agent_changes(self, changes: Iterable[StateChange], agents: dict[str, Agent]) -> None:
        """Append state changes to the log and save the current state of the agents they concern."""
        changes = list(changes)
        if not changes:
            return
        self.connection.execute(state_log.insert(), [
            {"agent_id": c.agent_id, "from_state": c.from_state.value, "to_state": c.to_state.value,
             "at": c.at, "reason": c.reason} for c in changes])
        for agent_id in dict.fromkeys(change.agent_id for change in changes):
            self.save_agent(agents[agent_id])

    def save_agent(self, agent: Agent) -> None:
        values = {"state": agent.state.value, "state_since": agent.state_since, "pause_reason": agent.pause_reason,
                  "last_idle": agent.last_idle, "occupied_s": agent.occupied_s, "available_s": agent.available_s}
        self._upsert(agent_states.c.agent_id, agent.id, values)

    def waiting(self, interaction: Interaction) -> None:
        """A new interaction, or one back in its queue after a ring-no-answer."""
        if interaction.seq is None:
            raise StoreError(f"interaction {interaction.id} has no arrival sequence yet (route it first)")
        values = {"queue": interaction.queue, "media": Media(interaction.media).value,
                  "skills": dict(interaction.skills), "language": interaction.language,
                  "priority": interaction.priority, "enqueued_at": interaction.enqueued_at,
                  "seq": interaction.seq, "customer": interaction.customer, "status": "waiting",
                  "agent_id": None, "offered_at": None}
        self._upsert(interactions.c.id, interaction.id, values)

    def offered(self, interaction_id: str, agent_id: str, at: float) -> None:
        self._update(interaction_id, status="offered", agent_id=agent_id, offered_at=at)

    def answered(self, interaction_id: str, at: float) -> None:
        self._update(interaction_id, status="answered", answered_at=at)

    def ended(self, interaction_id: str, at: float, outcome: str) -> None:
        if outcome not in OUTCOMES:
            raise StoreError(f"interaction {interaction_id}: outcome {outcome!r} is not one of {', '.join(OUTCOMES)}")
        self._update(interaction_id, status="ended", ended_at=at, outcome=outcome)

    def explained(self, record: ExplanationRecord) -> None:
        """Keep the explanation of an interaction leaving its queue (the latest one wins)."""
        values = {"at": record.at, "left": record.left[:100], "lines": list(record.lines),
                  "eligible": list(record.eligible)}
        self._upsert(explanations.c.interaction_id, record.interaction_id, values)

    def _upsert(self, key: sa.Column, key_value: str, values: dict) -> None:
        updated = self.connection.execute(key.table.update().where(key == key_value).values(**values))
        if updated.rowcount == 0:
            self.connection.execute(key.table.insert().values({key.name: key_value, **values}))

    def _update(self, interaction_id: str, **values) -> None:
        result = self.connection.execute(
            interactions.update().where(interactions.c.id == interaction_id).values(**values))
        if result.rowcount == 0:
            raise UnknownInteraction(f"interaction {interaction_id} is not in the store")


def _interaction(row) -> Interaction:
    return Interaction(row.id, row.queue, Media(row.media), dict(row.skills), row.language, row.priority,
                       row.enqueued_at, row.customer, row.seq)
