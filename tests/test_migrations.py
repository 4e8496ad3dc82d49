"""The Alembic migrations create exactly the schema the models describe, on both databases."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text
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


def _run_columns(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return [column["name"] for column in inspect(engine).get_columns("simulation_run")]
    finally:
        engine.dispose()


@pytest.mark.sqlite_only
def test_a_runs_large_columns_come_last_on_sqlite(database_url: str) -> None:
    """SQLite walks a long row's overflow pages up to the column it reads (migration 0005)."""
    upgrade(database_url, "0004")
    assert _run_columns(database_url)[-1] == "requested_by_id"
    upgrade(database_url)
    columns = _run_columns(database_url)
    assert columns[-3:] == ["summary", "result", "input_snapshot"]
    assert columns == [column.name for column in SQLModel.metadata.tables["simulation_run"].c]
    downgrade(database_url, "0004")
    assert _run_columns(database_url)[-1] == "requested_by_id"


def test_upgrading_a_database_with_data_keeps_every_row(database_url: str) -> None:
    upgrade(database_url, "0001")
    engine = make_engine(database_url)
    now = "2026-01-01 00:00:00"
    stamps = {"created_at": now, "updated_at": now, "lock_version": 1}
    rows = [
        (
            "catalog",
            {
                "id": 1,
                "code": "c",
                "name_zh": "目录",
                "name_en": "c",
                "created_at": now,
                "updated_at": now,
            },
        ),
        (
            "catalog_version",
            {"id": 1, "catalog_id": 1, "number": 1, "status": "published", "notes": "", **stamps},
        ),
        (
            "rate_card",
            {
                "id": 1,
                "code": "r",
                "version": 1,
                "name_zh": "r",
                "name_en": "r",
                "currency": "CNY",
                "status": "published",
                **stamps,
            },
        ),
        (
            "customer",
            {
                "id": 1,
                "name": "客户",
                "name_en": "",
                "industry": "",
                "contact_name": "",
                "contact_email": "",
                "contact_phone": "",
                "address": "",
                **stamps,
            },
        ),
        (
            "opportunity",
            {
                "id": 1,
                "customer_id": 1,
                "name": "o",
                "bid_number": "B-1",
                "status": "bidding",
                "currency": "CNY",
                "description": "",
                **stamps,
            },
        ),
        ("estimate", {"id": 1, "opportunity_id": 1, "name": "e", **stamps}),
        (
            "estimate_revision",
            {
                "id": 1,
                "estimate_id": 1,
                "number": 1,
                "status": "draft",
                "catalog_version_id": 1,
                "rate_card_id": 1,
                "confidence_level": 0.8,
                "iterations": 10000,
                "seed": 1,
                "sampling": "mc",
                "ranges_are": "absolute",
                "pert_lambda": 4.0,
                "notes": "",
                **stamps,
            },
        ),
        (
            "simulation_run",
            {
                "id": 1,
                "revision_id": 1,
                "status": "succeeded",
                "engine_version": "0",
                "seed": 1,
                "iterations": 1000,
                "sampling": "mc",
                "input_snapshot": "{}",
                "input_sha256": "0",
                "error": "",
                "created_at": now,
                "updated_at": now,
            },
        ),
    ]
    with engine.begin() as connection:
        for table, values in rows:
            columns = ", ".join(values)
            placeholders = ", ".join(f":{name}" for name in values)
            connection.execute(
                text(f"INSERT INTO {table} ({columns}) VALUES ({placeholders})"),  # noqa: S608 - fixed test names
                values,
            )
    engine.dispose()
    upgrade(database_url)
    engine = make_engine(database_url)
    with engine.connect() as connection:
        run = connection.execute(
            text("SELECT status, progress, input_sha256 FROM simulation_run")
        ).one()
        revision = connection.execute(
            text("SELECT correlation_groups FROM estimate_revision")
        ).one()
    engine.dispose()
    assert tuple(run) == ("succeeded", 0, "0")
    assert revision[0] in ("[]", [])
