"""The default data and the idempotent seed."""

from collections import Counter
from decimal import Decimal

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.db import write_session
from app.models import (
    Catalog,
    Customer,
    EstimateLine,
    Opportunity,
    RateCard,
    RateCardEntry,
    Risk,
    Role,
    Staffing,
    Statement,
    WorkItem,
)
from app.services.seed import load_catalog_file, seed_all
from app.vocabulary import ItemKind, Phase
from tests.conftest import DATA_DIR

TABLES = (
    Role,
    RateCard,
    RateCardEntry,
    Catalog,
    WorkItem,
    Customer,
    Opportunity,
    EstimateLine,
    Risk,
    Statement,
    Staffing,
)


def _counts(session: Session) -> dict[str, int]:
    return {
        model.__name__: session.exec(select(func.count()).select_from(model)).one()
        for model in TABLES
    }


def test_the_default_catalog_is_bilingual_and_covers_every_phase() -> None:
    document = load_catalog_file(DATA_DIR / "catalog" / "default.yaml")
    assert len(document.items) >= 80
    phases = Counter(item.phase for item in document.items)
    assert set(phases) == set(Phase)
    assert all(count >= 5 for count in phases.values())
    for item in document.items:
        assert item.name_zh.strip()
        assert item.name_en.strip()
        assert item.name_zh != item.name_en
        assert item.description_zh
        assert item.description_en
    percent_items = [item for item in document.items if item.kind == ItemKind.PERCENT]
    assert any(item.phase == Phase.PM for item in percent_items)


def test_default_estimates_are_plausible_person_days() -> None:
    document = load_catalog_file(DATA_DIR / "catalog" / "default.yaml")
    for item in document.items:
        for role, triple in item.estimates.items():
            where = f"{item.code}/{role}"
            assert triple.pessimistic <= 200, where
            if item.distribution != "fixed":
                assert triple.pessimistic > triple.optimistic, where
            if item.kind == ItemKind.PERCENT:
                assert triple.pessimistic <= 30, where


def test_seeding_loads_the_catalog_rate_card_and_a_demo_opportunity(engine: Engine) -> None:
    with write_session(engine) as session:
        report = seed_all(session, DATA_DIR)
    assert report.kept == []
    with Session(engine) as session:
        counts = _counts(session)
        assert counts["Role"] == 9
        assert counts["WorkItem"] >= 80
        assert counts["Opportunity"] == 1
        assert counts["EstimateLine"] >= 20
        card = session.exec(select(RateCard)).one()
        assert card.currency == "CNY"
        assert all(entry.cost_day_rate < entry.sell_day_rate for entry in card.entries)


def test_seeding_twice_duplicates_nothing(engine: Engine) -> None:
    with write_session(engine) as session:
        seed_all(session, DATA_DIR)
    with Session(engine) as session:
        first = _counts(session)
    with write_session(engine) as session:
        report = seed_all(session, DATA_DIR)
    assert report.created == []
    with Session(engine) as session:
        assert _counts(session) == first


def test_seeding_again_keeps_what_users_changed_and_created(engine: Engine) -> None:
    with write_session(engine) as session:
        seed_all(session, DATA_DIR)
    with write_session(engine) as session:
        opportunity = session.exec(select(Opportunity)).one()
        opportunity.name = "用户改过的名字"
        role = session.exec(select(Role).where(Role.code == "PM")).one()
        role.name_en = "Delivery lead"
        session.add(Customer(name="用户新建的客户"))
        entry = session.exec(select(RateCardEntry)).first()
        assert entry is not None
        entry_id = entry.id
    with write_session(engine) as session:
        seed_all(session, DATA_DIR)
    with Session(engine) as session:
        assert session.exec(select(Opportunity)).one().name == "用户改过的名字"
        assert session.exec(select(Role).where(Role.code == "PM")).one().name_en == "Delivery lead"
        assert session.exec(select(Customer).where(Customer.name == "用户新建的客户")).one()
        entry = session.get(RateCardEntry, entry_id)
        assert entry is not None
        assert entry.sell_day_rate > Decimal(0)
