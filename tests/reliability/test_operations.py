"""``bidwright backup``, ``restore`` and ``check``, end to end on both databases."""

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli import cli
from app.db import make_engine, write_session
from app.migrate import downgrade
from app.models import Customer
from app.services import operations
from tests.conftest import _postgres_admin, _postgres_url

runner = CliRunner()


def _customers(url: str) -> list[str]:
    database = make_engine(url)
    try:
        with Session(database) as session:
            return sorted(session.exec(select(Customer.name)).all())
    finally:
        database.dispose()


def _add_customer(url: str, name: str) -> None:
    database = make_engine(url)
    with write_session(database) as session:
        session.add(Customer(name=name))
    database.dispose()


def test_a_backup_restores_exactly_what_was_committed_when_it_was_taken(
    configured: str, tmp_path: Path
) -> None:
    _add_customer(configured, "before the backup")
    expected = _customers(configured)
    backup_file = tmp_path / "backups" / "bidwright.backup"
    result = runner.invoke(cli, ["backup", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert backup_file.stat().st_size > 0

    _add_customer(configured, "after the backup")
    database = make_engine(configured)
    with write_session(database) as session:
        first = session.exec(select(Customer).where(Customer.name == "before the backup")).one()
        first.name = "renamed after the backup"
    database.dispose()
    assert _customers(configured) != expected

    result = runner.invoke(cli, ["restore", str(backup_file)])
    assert result.exit_code == 0, result.output
    assert _customers(configured) == expected
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0, result.output
    assert "ok:" in result.output


def test_a_backup_never_overwrites_an_existing_file(configured: str, tmp_path: Path) -> None:
    existing = tmp_path / "existing.backup"
    existing.write_bytes(b"keep me")
    result = runner.invoke(cli, ["backup", str(existing)])
    assert result.exit_code == 1
    assert "already exists" in result.output
    assert existing.read_bytes() == b"keep me"


def test_restoring_a_missing_file_exits_1_and_changes_nothing(
    configured: str, tmp_path: Path
) -> None:
    before = _customers(configured)
    result = runner.invoke(cli, ["restore", str(tmp_path / "nowhere.backup")])
    assert result.exit_code == 1
    assert "does not exist" in result.output
    assert _customers(configured) == before


def test_check_exits_1_when_the_database_is_behind_the_migrations(configured: str) -> None:
    downgrade(configured, "0003")
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "database at migration 0003" in result.output
    assert "bidwright db upgrade" in result.output


@pytest.mark.sqlite_only
def test_restore_refuses_a_damaged_backup_and_keeps_the_database(
    configured: str, tmp_path: Path
) -> None:
    backup_file = tmp_path / "damaged.backup"
    assert runner.invoke(cli, ["backup", str(backup_file)]).exit_code == 0
    data = bytearray(backup_file.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    for page in range(2, len(data) // page_size):  # every page but the header page
        data[page * page_size + 8 : page * page_size + 64] = b"\xa5" * 56
    backup_file.write_bytes(bytes(data))
    before = _customers(configured)

    result = runner.invoke(cli, ["restore", str(backup_file)])
    assert result.exit_code == 1
    assert "damaged" in result.output or "not a SQLite database" in result.output
    assert _customers(configured) == before


@pytest.mark.sqlite_only
def test_check_reports_a_corrupted_sqlite_file(configured: str) -> None:
    path = Path(make_url(configured).database or "")
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    data = bytearray(path.read_bytes())
    page_size = int.from_bytes(data[16:18], "big")
    last_page = len(data) // page_size - 1
    data[last_page * page_size + 8 : last_page * page_size + 200] = b"\xff" * 192
    path.write_bytes(bytes(data))

    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 1
    assert "problem:" in result.output


@pytest.mark.sqlite_only
def test_a_file_that_is_not_a_backup_is_refused(configured: str, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger.db"
    connection = sqlite3.connect(stranger)
    connection.execute("CREATE TABLE t (x INTEGER)")
    connection.commit()
    connection.close()
    result = runner.invoke(cli, ["restore", str(stranger)])
    assert result.exit_code == 1
    assert "not a Bidwright backup" in result.output


def test_missing_postgresql_client_tools_are_named_with_how_to_install_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations.shutil, "which", lambda _name: None)
    monkeypatch.setattr(operations.glob, "glob", lambda _pattern: [])
    nowhere = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    with pytest.raises(operations.OperationError, match=r"pg_dump was not found.*postgresql-cl"):
        operations.backup(nowhere, tmp_path / "x.backup")
    (tmp_path / "y.backup").write_bytes(b"PGDMP")
    with pytest.raises(operations.OperationError, match="pg_restore was not found"):
        operations.restore(nowhere, tmp_path / "y.backup")


def test_the_backup_of_a_database_under_writes_is_consistent(
    configured: str, tmp_path: Path
) -> None:
    """Rows keep arriving while the backup runs; the copy holds a prefix of them, whole."""
    stop = threading.Event()

    def keep_writing() -> None:
        database = make_engine(configured)
        number = 0
        while not stop.is_set():
            with write_session(database) as session:
                session.add(Customer(name=f"stream {number:05d}"))
            number += 1
        database.dispose()

    writer = threading.Thread(target=keep_writing)
    writer.start()
    try:
        operations.backup(configured, tmp_path / "live.backup")
    finally:
        stop.set()
        writer.join()
    with _restored_copy(configured, tmp_path / "live.backup", tmp_path) as copy_url:
        names = [name for name in _customers(copy_url) if name.startswith("stream ")]
        database = make_engine(copy_url)
        report = operations.check_database(database)
        database.dispose()
    assert names == [f"stream {number:05d}" for number in range(len(names))]
    assert report.ok, report.problems


@contextmanager
def _restored_copy(url: str, backup_file: Path, tmp_path: Path) -> Iterator[str]:
    """The backup restored into a database of its own (a file, or a new PostgreSQL db)."""
    if url.startswith("sqlite"):
        target = f"sqlite:///{tmp_path / 'restored.db'}"
        operations.restore(target, backup_file)
        yield target
        return
    name = f"{make_url(url).database}_restored"
    _postgres_admin(f'CREATE DATABASE "{name}"')
    try:
        operations.restore(_postgres_url(name), backup_file)
        yield _postgres_url(name)
    finally:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
