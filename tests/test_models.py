"""Model-level guarantees: constraints, optimistic locking and immutability."""

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from app.db import read_session, write_session
from app.errors import ConcurrentEditError, ImmutableRecordError
from app.models import (
    EstimateLine,
    RateCardEntry,
    RateCardEntryPricePublic,
    SimulationRun,
    ThreePoint,
    WorkItem,
    WorkItemEstimate,
)
from app.services import catalog as catalog_service
from app.services import estimates as estimate_service
from app.vocabulary import AccessRole, Phase, RevisionStatus, RunStatus, can_see_cost
from tests import factories


def _estimate_with_line(session: Session) -> tuple[int, int]:
    roles = factories.make_roles(session)
    version = factories.make_catalog_version(session)
    card = factories.make_rate_card(session, roles)
    revision = factories.make_revision(session, version=version, card=card)
    line = estimate_service.add_line_from_item(
        session, revision=revision, item=version.items[0], quantity=2
    )
    session.commit()
    assert revision.id is not None
    assert line.id is not None
    return revision.id, line.id


# --- three-point validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ((5, 3, 8), "optimistic=5 is above most_likely=3"),
        ((1, 9, 8), "most_likely=9 is above pessimistic=8"),
        ((-1, 2, 3), "-1.0 is negative"),
        ((float("nan"), 2, 3), "nan is not a finite number"),
        ((1, 2, float("inf")), "inf is not a finite number"),
    ],
)
def test_an_invalid_triple_is_refused_with_the_field_and_value(
    values: tuple[float, float, float], message: str
) -> None:
    optimistic, most_likely, pessimistic = values
    with pytest.raises(ValidationError, match=message):
        ThreePoint(optimistic=optimistic, most_likely=most_likely, pessimistic=pessimistic)


def test_a_degenerate_triple_is_a_valid_constant() -> None:
    assert ThreePoint(optimistic=2, most_likely=2, pessimistic=2).pessimistic == 2


def test_a_percent_item_without_base_phases_is_refused() -> None:
    with pytest.raises(ValidationError, match="needs percent_of"):
        factories.item(kind="percent")


def test_the_database_refuses_an_unordered_triple_even_bypassing_validation(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        factories.make_roles(session)
        version = factories.make_catalog_version(session)
        item_id = version.items[0].id
        session.add(
            WorkItemEstimate(
                work_item_id=item_id,
                role_id=catalog_service.roles_by_code(session)["QA"].id,
                optimistic=5,
                most_likely=3,
                pessimistic=8,
            )
        )
        with pytest.raises(IntegrityError):
            session.commit()


# --- optimistic locking ------------------------------------------------------------------


def test_the_second_of_two_concurrent_line_saves_is_refused_with_a_clear_message(
    file_engine: Engine,
) -> None:
    with Session(file_engine) as setup:
        _, line_id = _estimate_with_line(setup)
    # Alice and Bob open the same line in their browsers: both forms carry version 1.
    with read_session(file_engine) as session:
        line = session.get(EstimateLine, line_id)
        assert line is not None
        version_in_both_forms = line.lock_version
    with write_session(file_engine) as alice:
        estimate_service.update_line(
            alice,
            line_id=line_id,
            expected_lock_version=version_in_both_forms,
            changes=estimate_service.LineChanges(quantity=5),
        )
    with (
        pytest.raises(ConcurrentEditError, match="changed by someone else") as refused,
        write_session(file_engine) as bob,
    ):
        estimate_service.update_line(
            bob,
            line_id=line_id,
            expected_lock_version=version_in_both_forms,
            changes=estimate_service.LineChanges(quantity=7),
        )
    assert "quantity 5" in str(refused.value)
    with read_session(file_engine) as check:
        line = check.get(EstimateLine, line_id)
        assert line is not None
        assert line.quantity == 5


def test_a_stale_update_racing_past_the_check_is_still_refused_by_the_database(
    file_engine: Engine,
) -> None:
    """Bob's copy is stale when his UPDATE runs; the version in its WHERE clause decides."""
    with Session(file_engine) as setup:
        _, line_id = _estimate_with_line(setup)
    with Session(file_engine, expire_on_commit=False) as bob:
        bob_line = bob.get(EstimateLine, line_id)
        assert bob_line is not None
        bob.commit()  # Bob's read is over; he keeps the (soon stale) values
        with write_session(file_engine) as alice:
            alice_line = alice.get(EstimateLine, line_id)
            assert alice_line is not None
            alice_line.quantity = 3
        bob_line.quantity = 4
        with pytest.raises(StaleDataError, match="expected to update 1 row"):
            bob.commit()
    with read_session(file_engine) as check:
        line = check.get(EstimateLine, line_id)
        assert line is not None
        assert line.quantity == 3


def test_editing_only_role_values_still_bumps_the_line_version(engine: Engine) -> None:
    with Session(engine) as session:
        _, line_id = _estimate_with_line(session)
        line = session.get(EstimateLine, line_id)
        assert line is not None
        before = line.lock_version
        role_id = line.roles[0].role_id
        estimate_service.update_line(
            session,
            line_id=line_id,
            expected_lock_version=before,
            changes=estimate_service.LineChanges(
                overrides={role_id: ThreePoint(optimistic=1, most_likely=4, pessimistic=9)}
            ),
        )
        session.commit()
        assert line.lock_version == before + 1
        assert line.roles[0].effective == (1, 4, 9)
        assert (line.roles[0].optimistic, line.roles[0].most_likely) == (2, 3)


# --- immutability ----------------------------------------------------------------------


def test_a_published_catalog_version_refuses_any_change_to_its_items(engine: Engine) -> None:
    with Session(engine) as session:
        factories.make_roles(session)
        version = factories.make_catalog_version(session)
        catalog_service.publish_catalog_version(
            session, version_id=version.id, expected_lock_version=version.lock_version
        )
        session.commit()
        item = version.items[0]
        item.name_en = "changed"
        with pytest.raises(ImmutableRecordError, match="published"):
            session.flush()
        session.rollback()
        item.estimates[0].pessimistic = 99
        with pytest.raises(ImmutableRecordError, match="published"):
            session.flush()
        session.rollback()
        session.add(
            WorkItem(
                catalog_version_id=version.id,
                code="NEW",
                name_zh="新",
                name_en="New",
                phase=Phase.TEST,
            )
        )
        with pytest.raises(ImmutableRecordError):
            session.flush()


def test_editing_a_published_catalog_starts_a_new_draft_version(engine: Engine) -> None:
    with Session(engine) as session:
        factories.make_roles(session)
        version = factories.make_catalog_version(
            session, [factories.item("A-1"), factories.item("A-2")]
        )
        catalog_service.publish_catalog_version(
            session, version_id=version.id, expected_lock_version=version.lock_version
        )
        draft = catalog_service.new_draft_from(session, version_id=version.id)
        draft.items[0].name_en = "edited in the draft"
        session.commit()
        assert draft.number == version.number + 1
        assert draft.based_on_id == version.id
        assert [i.code for i in draft.items] == ["A-1", "A-2"]
        assert catalog_service.items_of(draft)[1] == catalog_service.items_of(version)[1]
        assert version.items[0].name_en == "Work item A-1"


def test_publishing_twice_or_with_a_stale_version_is_refused(engine: Engine) -> None:
    with Session(engine) as session:
        factories.make_roles(session)
        version = factories.make_catalog_version(session)
        with pytest.raises(ConcurrentEditError):
            catalog_service.publish_catalog_version(
                session, version_id=version.id, expected_lock_version=version.lock_version + 5
            )
        catalog_service.publish_catalog_version(
            session, version_id=version.id, expected_lock_version=version.lock_version
        )
        with pytest.raises(ImmutableRecordError, match="already published"):
            catalog_service.publish_catalog_version(
                session, version_id=version.id, expected_lock_version=version.lock_version
            )


def test_a_frozen_revision_keeps_its_lines_risks_and_settings(engine: Engine) -> None:
    with Session(engine) as session:
        _, line_id = _estimate_with_line(session)
        line = session.get(EstimateLine, line_id)
        assert line is not None
        revision = line.revision
        revision.status = RevisionStatus.FROZEN
        session.commit()
        line.quantity = 10
        with pytest.raises(ImmutableRecordError, match="frozen"):
            session.flush()
        session.rollback()
        revision.iterations = 20_000
        with pytest.raises(ImmutableRecordError, match="frozen"):
            session.flush()
        session.rollback()
        session.delete(line)
        with pytest.raises(ImmutableRecordError):
            session.flush()


def test_a_finished_run_never_changes(engine: Engine) -> None:
    with Session(engine) as session:
        revision_id, _ = _estimate_with_line(session)
        run = SimulationRun(
            revision_id=revision_id,
            engine_version="0.1.0",
            seed=1,
            iterations=1000,
            input_snapshot={"lines": []},
            input_sha256="0" * 64,
        )
        session.add(run)
        session.commit()
        run.status = RunStatus.SUCCEEDED
        run.summary = {"p80": 1.0}
        session.commit()
        run.summary = {"p80": 2.0}
        with pytest.raises(ImmutableRecordError, match="finished"):
            session.commit()


# --- confidentiality ---------------------------------------------------------------------


def test_only_admin_and_presales_may_see_cost_rates() -> None:
    assert {role for role in AccessRole if can_see_cost(role)} == {
        AccessRole.ADMIN,
        AccessRole.PRESALES,
    }


def test_the_price_level_view_of_a_rate_has_no_cost_field() -> None:
    assert "cost_day_rate" not in RateCardEntryPricePublic.model_fields
    assert "margin_ratio" not in RateCardEntryPricePublic.model_fields
    assert RateCardEntry.model_fields["cost_day_rate"] is not None
