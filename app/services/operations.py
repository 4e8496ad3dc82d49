"""Operations on the whole database: backup, restore, integrity and readiness checks.

SQLite is copied with its online backup API, page by page under SQLite's own locks, so a
backup taken while the server writes is a consistent snapshot (a plain file copy of a WAL
database is not). PostgreSQL is dumped and restored with the client tools ``pg_dump`` and
``pg_restore`` in their custom format, the restore in one transaction.
"""

from __future__ import annotations

import glob
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.errors import BidwrightError
from app.migrate import alembic_config

BACKUP_PAGES_PER_STEP = 1024  # lets writers in between steps of a large backup
PG_TOOL_TIMEOUT_SECONDS = 3600


class OperationError(BidwrightError):
    """A backup, restore or check could not be done; the message says why."""


@dataclass
class CheckReport:
    """What ``check_database`` found: ``problems`` is empty when the database is sound."""

    backend: str
    revision: str
    head: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@cache
def migration_head() -> str:
    """The newest migration revision this code knows (read once: files don't change)."""
    return ScriptDirectory.from_config(alembic_config("")).get_current_head() or ""


def current_revision(database: Engine) -> str:
    """The revision the database is migrated to ('' when it was never migrated)."""
    with database.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision() or ""


def is_ready(database: Engine) -> tuple[bool, str]:
    """Whether the database answers and is at the migration head, with the reason if not."""
    try:
        revision = current_revision(database)
    except SQLAlchemyError as error:
        return False, f"database unreachable ({type(error).__name__})"
    head = migration_head()
    if revision != head:
        return False, f"database at migration {revision or 'none'}, code expects {head}"
    return True, f"migration {head}"


def check_database(database: Engine) -> CheckReport:
    """Integrity (SQLite: ``integrity_check`` and ``foreign_key_check``), reachability and
    migration level; never raises for a problem it can name."""
    backend = database.dialect.name
    report = CheckReport(backend=backend, revision="", head=migration_head())
    try:
        with database.connect() as connection:
            if backend == "sqlite":
                rows = connection.exec_driver_sql("PRAGMA integrity_check").scalars().all()
                if rows != ["ok"]:
                    report.problems += [f"integrity_check: {row}" for row in rows]
                orphans = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                report.problems += [
                    f"foreign_key_check: {table} row {rowid} points at a missing {parent}"
                    for table, rowid, parent, _index in orphans
                ]
            else:
                connection.execute(text("SELECT 1"))
            report.revision = MigrationContext.configure(connection).get_current_revision() or ""
    except (SQLAlchemyError, sqlite3.DatabaseError) as error:
        report.problems.append(f"database unreachable or unreadable: {error}")
        return report
    if report.revision != report.head:
        report.problems.append(
            f"database at migration {report.revision or 'none'}, code expects {report.head}: "
            "run `bidwright db upgrade`"
        )
    return report


def backup(database_url: str, target: Path) -> None:
    """Write a consistent copy of the database to ``target`` (an existing file is refused)."""
    if target.exists():
        raise OperationError(f"{target} already exists; choose a new file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    if database_url.startswith("sqlite"):
        _sqlite_copy(_sqlite_path(database_url), target)
        return
    _run_pg_tool(
        "pg_dump", "--format=custom", "--no-owner", f"--file={target}", _libpq_url(database_url)
    )


def restore(database_url: str, source: Path) -> None:
    """Replace the database's contents with the backup in ``source``.

    The backup is checked first (SQLite: ``integrity_check``), so a damaged file never
    overwrites a sound database. Stop the server before restoring.
    """
    if not source.is_file():
        raise OperationError(f"{source} does not exist or is not a file")
    if database_url.startswith("sqlite"):
        _check_sqlite_backup(source)
        _sqlite_copy(source, _sqlite_path(database_url))
        return
    _run_pg_tool(
        "pg_restore",
        "--clean",
        "--if-exists",
        "--no-owner",
        "--single-transaction",
        "--exit-on-error",
        f"--dbname={_libpq_url(database_url)}",
        str(source),
    )


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise OperationError("an in-memory database cannot be backed up or restored")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    reader = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    writer = sqlite3.connect(target)
    try:
        reader.backup(writer, pages=BACKUP_PAGES_PER_STEP)
    except sqlite3.DatabaseError as error:
        raise OperationError(f"copying {source} to {target} failed: {error}") from error
    finally:
        writer.close()
        reader.close()


def _check_sqlite_backup(source: Path) -> None:
    try:
        connection = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            rows = [row[0] for row in connection.execute("PRAGMA integrity_check")]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master")}
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise OperationError(f"{source} is not a SQLite database: {error}") from error
    if rows != ["ok"]:
        raise OperationError(f"{source} is damaged ({'; '.join(rows[:5])}); nothing restored")
    if "alembic_version" not in tables:
        raise OperationError(f"{source} is not a Bidwright backup (no migration table)")


def _libpq_url(database_url: str) -> str:
    """The URL as libpq's tools read it (no SQLAlchemy driver suffix)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _pg_tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    # Debian keeps versioned tools off PATH; take the newest one installed.
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if candidates:
        return candidates[-1]
    raise OperationError(
        f"{name} was not found: install the PostgreSQL client tools "
        "(Debian/Ubuntu: apt-get install postgresql-client) matching the server's version"
    )


def _run_pg_tool(name: str, *arguments: str) -> None:
    command = [_pg_tool(name), *arguments]
    try:
        finished = subprocess.run(  # noqa: S603 - fixed tool, arguments built here
            command, capture_output=True, text=True, timeout=PG_TOOL_TIMEOUT_SECONDS, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise OperationError(f"{name} took longer than {PG_TOOL_TIMEOUT_SECONDS} s") from error
    if finished.returncode != 0:
        detail = finished.stderr.strip() or f"exit code {finished.returncode}"
        raise OperationError(f"{name} failed: {detail}")
