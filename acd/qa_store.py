"""What supervisors did and what was recorded: two tables beside the ACD's store (same database).

- `sup_sessions`: one row per supervision session (who, whom, which call and queue, the modes it
  went through with their times, when it was asked for, answered and ended, and how it ended);
- `qa_recordings`: one row per QA recording of a bridged call (call, queue, agent, caller, start,
  duration, file, size, checksum, pauses), marked `failed` when Asterisk did not write it and
  `purged` once retention removed the file.

Writes take a `StoreWriter` (one transaction, through the controller's journal); reads take the `Store`.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from .store import Store, StoreWriter, metadata

sup_sessions = sa.Table(
    "sup_sessions", metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("supervisor", sa.String(100), nullable=False, index=True),
    sa.Column("via", sa.String(100), nullable=False),
    sa.Column("agent_id", sa.String(100), nullable=False, index=True),
    sa.Column("interaction_id", sa.String(100), nullable=False, index=True),
    sa.Column("queue", sa.String(100), nullable=False),
    sa.Column("modes", sa.JSON, nullable=False),  # [[mode, at], ...] in the order they were taken
    sa.Column("requested_at", sa.Float, nullable=False, index=True),
    sa.Column("answered_at", sa.Float),
    sa.Column("ended_at", sa.Float),
    sa.Column("outcome", sa.String(20)),  # left | hung-up | call-ended | unanswered | failed
)

qa_recordings = sa.Table(
    "qa_recordings", metadata,
    sa.Column("id", sa.String(200), primary_key=True),  # the recording's name (path under recordings/)
    sa.Column("interaction_id", sa.String(100), nullable=False, index=True),
    sa.Column("queue", sa.String(100), nullable=False, index=True),
    sa.Column("agent_id", sa.String(100), nullable=False, index=True),
    sa.Column("caller", sa.String(200), nullable=False, index=True),
    sa.Column("side", sa.String(10), nullable=False),  # mixed | caller | agent
    sa.Column("started_at", sa.Float, nullable=False, index=True),
    sa.Column("duration_s", sa.Float),
    sa.Column("file", sa.String(4096), nullable=False),
    sa.Column("size", sa.BigInteger),
    sa.Column("sha256", sa.String(64)),
    sa.Column("pauses", sa.JSON, nullable=False),  # [[offset_s, length_s], ...] muted in the file
    sa.Column("status", sa.String(10), nullable=False),  # recording | done | failed | purged
    sa.Column("error", sa.String(300)),
)


def ensure_tables(store: Store) -> None:
    """Create the tables in a store opened before they existed (idempotent)."""
    metadata.create_all(store.engine, tables=[sup_sessions, qa_recordings])


# -- supervision sessions -------------------------------------------------------------------

def session_requested(writer: StoreWriter, session_id: str, supervisor: str, via: str, agent_id: str,
                      interaction_id: str, queue: str, mode: str, at: float) -> None:
    writer.connection.execute(sup_sessions.insert().values(
        id=session_id, supervisor=supervisor, via=via, agent_id=agent_id, interaction_id=interaction_id,
        queue=queue, modes=[[mode, at]], requested_at=at))


def session_answered(writer: StoreWriter, session_id: str, at: float) -> None:
    writer.connection.execute(sup_sessions.update().where(sup_sessions.c.id == session_id).values(answered_at=at))


def session_mode(writer: StoreWriter, session_id: str, mode: str, at: float) -> None:
    row = writer.connection.execute(sa.select(sup_sessions.c.modes).where(sup_sessions.c.id == session_id)).first()
    if row is not None:
        writer.connection.execute(sup_sessions.update().where(sup_sessions.c.id == session_id)
                                  .values(modes=[*row.modes, [mode, at]]))


def session_ended(writer: StoreWriter, session_id: str, outcome: str, at: float) -> None:
    writer.connection.execute(sup_sessions.update().where(sup_sessions.c.id == session_id)
                              .values(ended_at=at, outcome=outcome))


def sessions(store: Store, supervisor: str | None = None) -> list:
    query = sa.select(sup_sessions).order_by(sup_sessions.c.requested_at)
    if supervisor is not None:
        query = query.where(sup_sessions.c.supervisor == supervisor)
    with store.engine.connect() as connection:
        return list(connection.execute(query))


# -- QA recordings -----------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordingFilter:
    agent: str | None = None
    queue: str | None = None
    caller: str | None = None
    since: float | None = None  # started at or after
    until: float | None = None  # started before

    def apply(self, query):
        table = qa_recordings.c
        for column, value in ((table.agent_id, self.agent), (table.queue, self.queue), (table.caller, self.caller)):
            if value is not None:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(table.started_at >= self.since)
        if self.until is not None:
            query = query.where(table.started_at < self.until)
        return query


def recording_started(writer: StoreWriter, name: str, interaction_id: str, queue: str, agent_id: str, caller: str,
                      side: str, started_at: float, file: str) -> None:
    writer.connection.execute(qa_recordings.insert().values(
        id=name, interaction_id=interaction_id, queue=queue, agent_id=agent_id, caller=caller[:200], side=side,
        started_at=started_at, file=file, pauses=[], status="recording"))


def recording_finished(writer: StoreWriter, name: str, *, duration_s: float | None, size: int | None,
                       sha256: str | None, pauses: list[list[float]], error: str | None) -> None:
    writer.connection.execute(qa_recordings.update().where(qa_recordings.c.id == name).values(
        duration_s=duration_s, size=size, sha256=sha256, pauses=pauses, status="failed" if error else "done",
        error=error[:300] if error else None))


def recordings(store: Store, where: RecordingFilter = RecordingFilter()) -> list:
    query = where.apply(sa.select(qa_recordings)).order_by(qa_recordings.c.started_at)
    with store.engine.connect() as connection:
        return list(connection.execute(query))


def mark_purged(store: Store, names: list[str]) -> None:
    with store.write() as writer:
        writer.connection.execute(qa_recordings.update().where(qa_recordings.c.id.in_(names))
                                  .values(status="purged"))
