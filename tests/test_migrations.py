"""The Alembic migrations create exactly the schema the models describe, on both databases."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from app.db import make_engine
from app.migrate import downgrade, upgrade


def _differences(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrading_to_head_creates_the_models_schema_exactly(database_url: str) -> None:
    upgrade(database_url)
    assert _tables(database_url) == set(SQLModel.metadata.tables)
    assert _differences(database_url) == []


def test_migrations_downgrade_to_nothing_and_upgrade_again(database_url: str) -> None:
    upgrade(database_url)
    downgrade(database_url, "base")
    assert _tables(database_url) == set()
    upgrade(database_url)
    assert _differences(database_url) == []


def test_upgrading_twice_is_harmless(database_url: str) -> None:
    upgrade(database_url)
    upgrade(database_url)
    assert _differences(database_url) == []
