"""Engine settings and the concurrency guarantees the foundation promises."""

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import JSON, Column, Engine, Integer, MetaData, Table, select, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from app.db import EncodedJSON, begin_write, make_engine, write_session
from app.models import Customer, Opportunity

WRITERS = 8
UPDATES_PER_WRITER = 25


@pytest.mark.sqlite_only
def test_sqlite_files_use_wal_foreign_keys_and_a_busy_timeout(file_engine: Engine) -> None:
    with file_engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10_000


def test_foreign_keys_are_enforced(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(Opportunity(customer_id=999, name="orphan"))
        with pytest.raises(IntegrityError):
            session.commit()


def _increment_contact_phone(engine: Engine, customer_id: int, errors: list[BaseException]) -> None:
    for _ in range(UPDATES_PER_WRITER):
        try:
            with write_session(engine) as session:
                customer = session.get(Customer, customer_id, with_for_update=True)
                assert customer is not None
                customer.contact_phone = str(int(customer.contact_phone) + 1)
        except BaseException as error:  # collected and asserted on below
            errors.append(error)


def test_concurrent_read_modify_write_loses_nothing_and_never_reports_locked(
    file_engine: Engine,
) -> None:
    # Ref: foundation issue measurements: 8 writers with plain defaults lost most updates;
    # WAL + busy_timeout + BEGIN IMMEDIATE (FOR UPDATE on PostgreSQL) lost none.
    with write_session(file_engine) as session:
        customer = Customer(name="counter", contact_phone="0")
        session.add(customer)
        session.flush()
        customer_id = customer.id
    assert customer_id is not None
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_increment_contact_phone, args=(file_engine, customer_id, errors))
        for _ in range(WRITERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with Session(file_engine) as session:
        customer = session.get(Customer, customer_id)
        assert customer is not None
        assert int(customer.contact_phone) == WRITERS * UPDATES_PER_WRITER


def test_write_session_rolls_back_everything_when_the_block_fails(engine: Engine) -> None:
    def fail_half_way() -> None:
        with write_session(engine) as session:
            session.add(Customer(name="half-written"))
            session.flush()
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        fail_half_way()
    with Session(engine) as session:
        assert session.exec(text("SELECT count(*) FROM customer")).scalar() == 0  # type: ignore[call-overload]


def test_an_in_memory_engine_is_shared_across_sessions() -> None:
    engine = make_engine("sqlite://")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE t (x INTEGER)"))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM t")).scalar() == 0


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_every_way_of_ending_a_write_transaction_frees_the_next_writer(
    file_engine: Engine, ending: str
) -> None:
    first = Session(file_engine)
    begin_write(first)
    first.add(Customer(name="first"))
    getattr(first, ending)()
    first.close()
    started = time.monotonic()
    with write_session(file_engine) as second:
        second.add(Customer(name="second"))
    assert time.monotonic() - started < 2


@pytest.fixture
def json_probe(engine: Engine) -> Iterator[Table]:
    probe = Table(
        "json_probe", MetaData(), Column("id", Integer, primary_key=True), Column("value", JSON)
    )
    probe.create(engine)
    yield probe
    probe.drop(engine)


def _stored_values(engine: Engine, probe: Table) -> list[Any]:
    with engine.connect() as connection:
        return list(connection.execute(select(probe.c.value).order_by(probe.c.id)).scalars())


def test_json_encoded_ahead_of_its_write_reads_back_as_the_value(
    engine: Engine, json_probe: Table
) -> None:
    value = {"名称": "登录", "p80": [1.5, 2, None], "nested": {"ok": True}}
    with engine.begin() as connection:
        connection.execute(json_probe.insert(), [{"id": 1, "value": EncodedJSON.of(value)}])
        connection.execute(json_probe.insert(), [{"id": 2, "value": value}])
    assert _stored_values(engine, json_probe) == [value, value]


def test_json_holding_an_integer_beyond_64_bits_still_reads_back(
    engine: Engine, json_probe: Table
) -> None:
    """orjson would read this integer as a float, silently rounded: JSON columns are read
    with the standard library (only run results, whose integers are small, use orjson)."""
    value = {"big": 2**70 + 1, "名称": "登录"}
    with engine.begin() as connection:
        connection.execute(json_probe.insert(), [{"id": 1, "value": value}])
    assert _stored_values(engine, json_probe) == [value]


def test_json_encoded_ahead_is_as_strict_as_any_json_column() -> None:
    with pytest.raises(ValueError, match="JSON compliant"):
        EncodedJSON.of({"price": float("nan")})
