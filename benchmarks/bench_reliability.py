"""Reliability figures (issue 8): concurrent read-modify-write and 30 kill -9 restarts.

1. 8 writers x 100 read-modify-write transactions on one counter, on a SQLite file (WAL)
   and on PostgreSQL: lost updates, "database is locked" errors, transactions/s (target:
   0 lost, 0 locked, >= 300/s). Baseline measured in the same run: the same workload on
   SQLite with a plain SQLAlchemy engine (default deferred BEGIN, no write gate), the way
   a naive app would write. PostgreSQL runs in a throwaway server started through
   ``scripts/with-postgres.sh`` (skipped, and said so, when PostgreSQL is not installed).
2. 30 kills: a real server is SIGKILLed in the middle of copying a revision, a long run
   and a catalog import (10 each, seeded random moments), restarted and checked:
   ``integrity_check`` ok, nothing committed lost, nothing half-written, the interrupted
   run marked failed and run again (target: 30/30).

Run ``.venv/bin/python benchmarks/bench_reliability.py`` (``make bench``); set
``KILL_ROUNDS`` to run fewer or more kills. Exits 1 when a correctness target fails.
"""

from __future__ import annotations

import glob
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

from app.db import make_engine  # noqa: E402
from app.models import Customer  # noqa: E402
from tests.reliability.kill import KILL_SCENARIOS, make_template, run_scenario  # noqa: E402
from tests.reliability.workloads import (  # noqa: E402
    ReadModifyWriteResult,
    hammer_counter,
    read_modify_write,
)

WRITERS = 8
TRANSACTIONS = 100
KILL_ROUNDS = int(os.environ.get("KILL_ROUNDS", "30"))


def naive_read_modify_write(url: str) -> ReadModifyWriteResult:
    """The baseline: plain engine, deferred transactions, no lock taken up front."""
    database = create_engine(url, connect_args={"check_same_thread": False})
    SQLModel.metadata.create_all(database)
    with Session(database) as session:
        counter = Customer(name="naive counter", contact_phone="0")
        session.add(counter)
        session.commit()
        counter_id = counter.id or 0

    def increment() -> None:
        with Session(database) as session:
            row = session.get(Customer, counter_id)
            assert row is not None
            row.contact_phone = str(int(row.contact_phone) + 1)
            session.commit()

    result = hammer_counter(
        database, counter_id, increment, writers=WRITERS, transactions=TRANSACTIONS
    )
    database.dispose()
    return result


def show(label: str, result: ReadModifyWriteResult) -> bool:
    ok = result.lost_updates == 0 and result.locked_errors == 0 and not result.errors
    print(
        f"{label:<38}{result.transactions_per_second:>8.0f}/s  lost {result.lost_updates:>4}  "
        f'"locked" {result.locked_errors:>4}  other errors '
        f"{len(result.errors) - result.locked_errors:>3}  {'PASS' if ok else 'FAIL'}"
        f"{'' if result.transactions_per_second >= 300 else ' (rate below 300/s)'}"
    )
    if result.errors:
        print(f"{'':<38}first error: {result.errors[0][:150]}")
    return ok


def bench_read_modify_write(workdir: Path) -> bool:
    print(f"\n{WRITERS} writers x {TRANSACTIONS} read-modify-write transactions")
    naive = naive_read_modify_write(f"sqlite:///{workdir / 'naive.db'}")
    show("baseline: SQLite, plain engine", naive)
    sqlite_url = f"sqlite:///{workdir / 'rmw.db'}"
    database = make_engine(sqlite_url)
    SQLModel.metadata.create_all(database)
    ok = show("SQLite (WAL, BEGIN IMMEDIATE, gate)", read_modify_write(database))
    database.dispose()
    return postgres_read_modify_write() and ok


def postgres_read_modify_write() -> bool:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        database = make_engine(url)
        SQLModel.metadata.drop_all(database)
        SQLModel.metadata.create_all(database)
        ok = show("PostgreSQL (SELECT ... FOR UPDATE)", read_modify_write(database))
        database.dispose()
        return ok
    if not glob.glob("/usr/lib/postgresql/*/bin/initdb"):
        print("PostgreSQL: not installed here, not measured (scripts/with-postgres.sh installs it)")
        return True
    finished = subprocess.run(  # noqa: S603 - our own script
        [str(ROOT / "scripts" / "with-postgres.sh"), sys.executable, __file__, "--postgres-only"],
        check=False,
    )
    return finished.returncode == 0


def bench_kills(workdir: Path) -> bool:
    print(f"\n{KILL_ROUNDS} x kill -9 mid-write (revision copy, long run, catalog import)")
    template = make_template(workdir / "template.db")
    passed = mid_write = 0
    started = time.perf_counter()
    for round_number in range(KILL_ROUNDS):
        scenario = KILL_SCENARIOS[round_number % len(KILL_SCENARIOS)]
        try:
            outcome = run_scenario(
                scenario, template, workdir / f"kill-{round_number:02d}", seed=round_number
            )
        except AssertionError as error:
            print(f"  round {round_number:2d} {scenario:<8} FAIL: {error}")
            continue
        passed += 1
        mid_write += not outcome.finished_before_kill
        print(
            f"  round {round_number:2d} {scenario:<8} ok  (kill after "
            f"{outcome.delay_seconds:.2f} s, "
            f"{'request had finished' if outcome.finished_before_kill else 'mid-write'})"
        )
    print(
        f"kills: {passed}/{KILL_ROUNDS} restarted with integrity_check ok, nothing committed "
        f"lost, nothing half-written ({mid_write} killed mid-write) in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return passed == KILL_ROUNDS


def main() -> int:
    if "--postgres-only" in sys.argv:
        return 0 if postgres_read_modify_write() else 1
    workdir = Path(tempfile.mkdtemp(prefix="bidwright-reliability-"))
    print(f"machine load: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} CPUs")
    ok = bench_read_modify_write(workdir)
    ok = bench_kills(workdir) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
