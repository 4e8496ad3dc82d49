"""Concurrent write workloads shared by the tests and ``benchmarks/bench_reliability.py``."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlmodel import Session

from app.db import write_session
from app.models import Customer

LOCKED = "database is locked"


@dataclass
class ReadModifyWriteResult:
    writers: int
    transactions_per_writer: int
    final_value: int
    seconds: float
    errors: list[str] = field(default_factory=list)

    @property
    def expected(self) -> int:
        return self.writers * self.transactions_per_writer

    @property
    def lost_updates(self) -> int:
        return self.expected - self.final_value - len(self.errors)

    @property
    def locked_errors(self) -> int:
        return sum(LOCKED in error for error in self.errors)

    @property
    def transactions_per_second(self) -> float:
        return self.expected / self.seconds if self.seconds else 0.0


def read_modify_write(
    database: Engine, *, writers: int = 8, transactions: int = 100
) -> ReadModifyWriteResult:
    """``writers`` threads each read a counter, add one and commit, ``transactions`` times.

    Each transaction is a separate ``write_session`` (SQLite: ``BEGIN IMMEDIATE``;
    PostgreSQL: ``SELECT … FOR UPDATE``), as a request that edits a record is.
    """
    with write_session(database) as session:
        counter = Customer(name="read-modify-write counter", contact_phone="0")
        session.add(counter)
        session.flush()
        counter_id = counter.id or 0

    def increment() -> None:
        with write_session(database) as session:
            row = session.get(Customer, counter_id, with_for_update=True)
            assert row is not None
            row.contact_phone = str(int(row.contact_phone) + 1)

    return hammer_counter(
        database, counter_id, increment, writers=writers, transactions=transactions
    )


def hammer_counter(
    database: Engine,
    counter_id: int,
    increment: Callable[[], None],
    *,
    writers: int,
    transactions: int,
) -> ReadModifyWriteResult:
    """Start ``writers`` threads together, each calling ``increment`` ``transactions``
    times; count the failures and read the counter's final value."""
    errors: list[str] = []
    start = threading.Barrier(writers + 1)

    def writer() -> None:
        start.wait()
        for _ in range(transactions):
            try:
                increment()
            except Exception as error:  # every failure is counted, reported
                errors.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    with Session(database) as session:
        final = session.get(Customer, counter_id)
        assert final is not None
        value = int(final.contact_phone)
    return ReadModifyWriteResult(writers, transactions, value, seconds, errors)
