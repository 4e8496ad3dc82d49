"""Engine and sessions.

SQLite is tuned for several concurrent writers: WAL journal, foreign keys on, a busy
timeout, and ``BEGIN IMMEDIATE`` for write transactions. Measured on this stack, plain
``BEGIN`` in WAL mode surfaced hundreds of "database is locked" errors under 8 writers;
taking the write lock up front (and waiting for it with the busy timeout) gave none.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Self

from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.pool import StaticPool
from sqlmodel import Session, create_engine

from app import immutability  # noqa: F401 - registers the flush guard
from app.config import get_settings
from app.errors import BidwrightError

BEGIN_MODE_OPTION = "sqlite_begin_mode"


def _json_text(value: Any) -> str:
    """JSON columns as strict JSON: NaN or infinity is an error here, not invalid JSON that
    PostgreSQL refuses later; Chinese stays readable and half the size."""
    if type(value) is EncodedJSON:
        return str(value)
    return json.dumps(value, ensure_ascii=False, allow_nan=False)


class EncodedJSON(str):
    """A JSON column's value encoded ahead of its write (``EncodedJSON.of(value)``), so that
    a large value's encoding is not done while the transaction holds the write lock."""

    __slots__ = ()

    @classmethod
    def of(cls, value: Any) -> Self:
        return cls(_json_text(value))


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    """Create an engine; for SQLite, install the pragmas and explicit BEGIN handling."""
    if not url.startswith("sqlite"):
        return create_engine(
            url,
            echo=echo,
            pool_pre_ping=True,
            json_serializer=_json_text,
            json_deserializer=json.loads,
        )

    in_memory = url in {"sqlite://", "sqlite:///:memory:"}
    if not in_memory:
        _ensure_sqlite_directory(url)
    engine = create_engine(
        url,
        echo=echo,
        connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
        poolclass=StaticPool if in_memory else None,
        json_serializer=_json_text,
        json_deserializer=json.loads,
    )
    _install_sqlite_hooks(engine, busy_timeout_ms=busy_timeout_ms, file_backed=not in_memory)
    return engine


def _install_sqlite_hooks(engine: Engine, *, busy_timeout_ms: int, file_backed: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        if file_backed:
            # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's is deferred-only).
            dbapi_connection.isolation_level = None
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.close()

    if not file_backed:
        return  # one shared in-memory connection (tests): there is no other writer to wait for

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get(BEGIN_MODE_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


@lru_cache
def get_engine() -> Engine:
    settings = get_settings()
    return make_engine(settings.database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms)


def _ensure_sqlite_directory(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def read_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session for reading; commits nothing unless the caller does."""
    with Session(engine or get_engine()) as session:
        yield session


class DatabaseBusyError(BidwrightError):
    """No write slot came free in time; nothing was written. The client may retry."""

    status_code = 503
    retry_after = 5


# SQLite admits one writer at a time, and its busy handler polls: under sustained load a
# waiting writer can lose every race for longer than the busy timeout and fail with
# "database is locked". Writers of this process therefore queue on a lock first; SQLite's
# busy timeout is then only ever spent on the rare writer of another process.
_sqlite_write_gate = threading.Lock()
WRITE_GATE_TIMEOUT_SECONDS = 30.0
_HOLDS_GATE = "holds_sqlite_write_gate"


def begin_write(session: Session) -> None:
    """Start the session's next transaction as a write (``BEGIN IMMEDIATE`` on SQLite).

    For a session that already committed once: its next transaction would otherwise be
    deferred, and a deferred transaction that reads then writes fails at once on SQLite if
    another writer committed in between. On SQLite the write waits its turn on the
    process's write gate, released when the transaction commits or rolls back.
    """
    if session.get_bind().dialect.name == "sqlite" and not session.info.get(_HOLDS_GATE):
        if not _sqlite_write_gate.acquire(timeout=WRITE_GATE_TIMEOUT_SECONDS):
            raise DatabaseBusyError("the database is busy with other changes; try again")
        session.info[_HOLDS_GATE] = True
    try:
        session.connection(execution_options={BEGIN_MODE_OPTION: "IMMEDIATE"})
    except BaseException:
        _release_write_gate(session)
        raise


def _release_write_gate(session: OrmSession) -> None:
    if session.info.pop(_HOLDS_GATE, False):
        _sqlite_write_gate.release()


@event.listens_for(OrmSession, "after_transaction_end")
def _on_transaction_end(session: OrmSession, transaction: Any) -> None:
    # Fires on commit, rollback and close alike; only the outermost transaction counts.
    if transaction.parent is None:
        _release_write_gate(session)


def in_write_transaction(session: Session) -> bool:
    """Whether the session's current transaction was begun as a write (see ``begin_write``)."""
    if not session.in_transaction():
        return False
    return session.connection().get_execution_options().get(BEGIN_MODE_OPTION) == "IMMEDIATE"


@contextmanager
def write_session(engine: Engine | None = None) -> Iterator[Session]:
    """A session whose transaction takes the write lock first and commits on success.

    On SQLite this is ``BEGIN IMMEDIATE``; on PostgreSQL row-level protection comes from
    the version counters (optimistic locking) and ``SELECT … FOR UPDATE`` where needed.
    """
    with Session(engine or get_engine()) as session:
        begin_write(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
