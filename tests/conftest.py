"""Shared fixtures: a fresh, empty database per test.

Without ``DATABASE_URL`` a test gets a new in-memory SQLite database; with
``DATABASE_URL=postgresql…`` (``make test-postgres``) it gets a brand-new PostgreSQL
database, created for it and dropped afterwards. Tests that take ``engine`` are marked
``db`` and run on both.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from app.config import PROJECT_ROOT
from app.db import make_engine

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")
DATA_DIR = PROJECT_ROOT / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if {"engine", "database_url", "file_engine"} & set(fixtures):
            item.add_marker(pytest.mark.db)


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no tables) on the backend under test."""
    if not ON_POSTGRES:
        yield f"sqlite:///{tmp_path / 'bidwright.db'}"
        return
    name = f"test_{uuid.uuid4().hex[:16]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _engine_with_tables(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a fresh database with every table created (in-memory on SQLite)."""
    yield from _engine_with_tables(database_url if ON_POSTGRES else "sqlite://")


@pytest.fixture
def file_engine(database_url: str) -> Iterator[Engine]:
    """Like ``engine`` but file-backed on SQLite (WAL, several connections), for concurrency."""
    yield from _engine_with_tables(database_url)


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session:
        yield session
