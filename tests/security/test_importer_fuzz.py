"""Hostile workbooks through the requirement-list, catalog and history importers.

Generated workbooks (random sheets, merged cells, formulas, huge and unicode-edge strings,
wrong types) and real fixtures, each possibly damaged (truncated, bytes flipped, one XML
part mangled inside an intact zip): every file is either read or refused with a located
message, never an unhandled exception; a refused import writes nothing.
"""

import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.config import get_settings
from app.db import write_session
from app.errors import ImportRejectedError
from app.intake.types import IntakeRefusedError
from app.models import CatalogVersion, Opportunity, RequirementList, User, WorkItem
from app.services import catalog as catalog_service
from app.services import intake as intake_service
from fuzz import generators, importers
from tests.intake import workbooks

# Examples per property in `make test`; `make fuzz` sets more and then runs atheris.
EXAMPLES = int(os.environ.get("BIDWRIGHT_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,  # counts are compared within each example
    ],
)
FIXTURES = {
    "english_rfp": workbooks.english_rfp,
    "chinese_tender": workbooks.chinese_tender,
    "stray_value": lambda: workbooks.stray_value("XFD1048576"),
    "macro": lambda: workbooks.macro_workbook(workbooks.english_rfp()),
}


def _outcome(entry_point: str, data: bytes) -> str:
    try:
        importers.run(entry_point, data)
    except importers.REFUSALS as error:
        return "refused" if importers.refusal_is_located(error, "fuzz.xlsx") else str(error)
    return "read"


def _damaged(data: bytes, seed: int, how: int) -> bytes:
    rng = random.Random(seed)
    if how == 1:
        return generators.mutate_member(data, rng)
    if how == 2:
        return generators.mutate_bytes(data, rng)
    return data


@pytest.mark.parametrize("entry_point", sorted(importers.ENTRY_POINTS))
@FUZZ
@given(seed=st.integers(0, 2**32 - 1), how=st.integers(0, 2))
def test_a_generated_workbook_is_read_or_refused_with_a_located_message(
    entry_point: str, seed: int, how: int
) -> None:
    data = _damaged(generators.random_workbook(random.Random(seed)), seed, how)
    assert _outcome(entry_point, data) in {"read", "refused"}


@pytest.mark.parametrize("fixture", sorted(FIXTURES))
@pytest.mark.parametrize("entry_point", sorted(importers.ENTRY_POINTS))
@settings(FUZZ, max_examples=EXAMPLES // 3)
@given(seed=st.integers(0, 2**32 - 1), how=st.integers(1, 2))
def test_a_damaged_real_workbook_is_read_or_refused_with_a_located_message(
    entry_point: str, fixture: str, seed: int, how: int
) -> None:
    data = _damaged(FIXTURES[fixture](), seed, how)
    assert _outcome(entry_point, data) in {"read", "refused"}


@pytest.mark.parametrize("entry_point", sorted(importers.ENTRY_POINTS))
@FUZZ
@given(data=st.binary(max_size=4096), prefix=st.sampled_from([b"", b"PK\x03\x04", b"\xef\xbb\xbf"]))
def test_arbitrary_bytes_are_read_or_refused_with_a_located_message(
    entry_point: str, data: bytes, prefix: bytes
) -> None:
    assert _outcome(entry_point, prefix + data) in {"read", "refused"}


def _counts(engine: Engine) -> tuple[int, ...]:
    with Session(engine) as session:
        return tuple(
            session.exec(select(func.count()).select_from(model)).one()
            for model in (CatalogVersion, WorkItem, RequirementList)
        )


@settings(FUZZ, max_examples=20)
@given(seed=st.integers(0, 2**32 - 1), how=st.integers(0, 2))
def test_a_refused_catalog_or_requirement_list_import_writes_nothing(
    seeded: Engine, seed: int, how: int
) -> None:
    data = _damaged(generators.random_workbook(random.Random(seed)), seed, how)
    with Session(seeded) as session:
        user = session.exec(select(User)).first()
        opportunity = session.exec(select(Opportunity)).first()
        assert user is not None
        assert opportunity is not None
    before = _counts(seeded)
    try:
        with write_session(seeded) as session:
            catalog_service.import_catalog_workbook(
                session,
                data=data,
                file_name="fuzz.xlsx",
                max_bytes=get_settings().max_upload_bytes,
                catalog_code="FUZZ",
            )
        catalog_refused = False
    except ImportRejectedError:
        catalog_refused = True
    try:
        with write_session(seeded) as session:
            intake_service.upload(
                session,
                user=session.get(User, user.id) or user,
                opportunity_id=opportunity.id or 0,
                data=data,
                file_name="fuzz.xlsx",
            )
        list_refused = False
    except IntakeRefusedError:
        list_refused = True
    after = _counts(seeded)
    assert after[0] - before[0] == (0 if catalog_refused else 1)
    if catalog_refused:
        assert after[1] == before[1]
    assert after[2] - before[2] == (0 if list_refused else 1)
