"""Shared fixtures: a fresh, empty database per test.

Without ``DATABASE_URL`` a test gets a new in-memory SQLite database; with
``DATABASE_URL=postgresql…`` (``make test-postgres``) it gets a brand-new PostgreSQL
database, created for it and dropped afterwards. Tests that take ``engine`` are marked
``db`` and run on both.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

from app.config import PROJECT_ROOT
from app.db import make_engine, write_session
from app.models import EstimateRevision
from app.services import accounts, runs
from app.services.seed import seed_all
from app.vocabulary import AccessRole

POSTGRES_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith("postgresql")
DATA_DIR = PROJECT_ROOT / "data"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if {"engine", "database_url", "file_engine", "seeded_engine"} & set(fixtures):
            item.add_marker(pytest.mark.db)


@pytest.fixture(autouse=True, scope="session")
def _cheap_password_hashing() -> Iterator[None]:
    """Argon2 at production cost takes ~0.1 s a hash; tests check behaviour, not cost."""
    cheap = PasswordHash([Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1)])
    original = accounts.password_hasher
    accounts.password_hasher = cheap
    yield
    accounts.password_hasher = original


def _postgres_url(name: str) -> str:
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def _postgres_admin(statement: str) -> None:
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(statement))
    admin.dispose()


@contextmanager
def _new_database(tmp_path: Path, *, template: str | None = None) -> Iterator[str]:
    """A new database: a file (copied from ``template``) on SQLite, a database on PostgreSQL."""
    if not ON_POSTGRES:
        target = tmp_path / f"bidwright-{uuid.uuid4().hex[:8]}.db"
        if template is not None:
            shutil.copyfile(make_url(template).database or "", target)
        yield f"sqlite:///{target}"
        return
    name = f"test_{uuid.uuid4().hex[:16]}"
    source = f' TEMPLATE "{make_url(template).database}"' if template else ""
    _postgres_admin(f'CREATE DATABASE "{name}"{source}')
    try:
        yield _postgres_url(name)
    finally:
        _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a new, empty database (no tables) on the backend under test."""
    with _new_database(tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the schema and the default seed, made once and copied per test."""
    with _new_database(tmp_path_factory.mktemp("template")) as url:
        engine = make_engine(url)
        SQLModel.metadata.create_all(engine)
        with write_session(engine) as session:
            seed_all(session, DATA_DIR)
        engine.dispose()
        yield url


@pytest.fixture
def seeded_engine(seeded_template: str, tmp_path: Path) -> Iterator[Engine]:
    """A file-backed engine on a fresh copy of the seeded database."""
    with _new_database(tmp_path, template=seeded_template) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def queued_run(seeded_engine: Engine) -> int:
    """The id of a run of the seeded estimate, queued by a presales user."""
    with write_session(seeded_engine) as session:
        user = accounts.create_user(
            session, username="runner", password="long enough secret", role=AccessRole.PRESALES
        )
        revision = session.exec(select(EstimateRevision)).one()
        run = runs.create_run(session, user=user, revision_id=revision.id or 0, data_dir=DATA_DIR)
        return run.id or 0


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
