"""The dashboard's price is the P80 of each opportunity's most recent successful run."""

from decimal import Decimal

from sqlalchemy import Engine, update
from sqlmodel import Session, col, select

from app.db import write_session
from app.models import Estimate, EstimateRevision, SimulationRun
from app.services import runs as run_service
from app.services.opportunities import list_opportunities
from app.vocabulary import RunStatus


def _record_runs(engine: Engine, first_run: int, outcomes: list[tuple[RunStatus, str]]) -> None:
    """``first_run`` and copies of it, given these statuses and P80 prices, in order."""
    with write_session(engine) as session:
        template = session.get(SimulationRun, first_run)
        assert template is not None
        for number, (status, price) in enumerate(outcomes):
            run = (
                template
                if number == 0
                else SimulationRun(
                    revision_id=template.revision_id,
                    engine_version=template.engine_version,
                    seed=template.seed,
                    iterations=template.iterations,
                    input_snapshot={},
                    input_sha256=template.input_sha256,
                )
            )
            run.status = status
            run.summary = {"price_p80": price}
            session.add(run)


def _opportunity_of(engine: Engine, run_id: int) -> int:
    with Session(engine) as session:
        return session.exec(
            select(Estimate.opportunity_id)
            .join(EstimateRevision, col(EstimateRevision.estimate_id) == col(Estimate.id))
            .join(SimulationRun, col(SimulationRun.revision_id) == col(EstimateRevision.id))
            .where(SimulationRun.id == run_id)
        ).one()


def _prices(engine: Engine) -> dict[int, Decimal | None]:
    with Session(engine) as session:
        return {row.id: row.latest_p80_price for row in list_opportunities(session)}


def test_the_latest_successful_run_gives_the_price(seeded_engine: Engine, queued_run: int) -> None:
    _record_runs(
        seeded_engine,
        queued_run,
        [
            (RunStatus.SUCCEEDED, "100.00"),
            (RunStatus.SUCCEEDED, "200.00"),
            (RunStatus.FAILED, "999.00"),  # later, but failed: not a price
            (RunStatus.QUEUED, "999.00"),
        ],
    )
    prices = _prices(seeded_engine)
    assert prices[_opportunity_of(seeded_engine, queued_run)] == Decimal("200.00")
    assert Decimal("999.00") not in prices.values()


def test_an_opportunity_without_a_successful_run_has_no_price(
    seeded_engine: Engine, queued_run: int
) -> None:
    with write_session(seeded_engine) as session:
        session.execute(update(SimulationRun).values(status=RunStatus.FAILED))
    assert _prices(seeded_engine)[_opportunity_of(seeded_engine, queued_run)] is None


def test_a_real_run_prices_its_opportunity(seeded_engine: Engine, queued_run: int) -> None:
    run_service.execute_run(seeded_engine, queued_run)
    with Session(seeded_engine) as session:
        run = session.get(SimulationRun, queued_run)
        assert run is not None
        assert run.summary is not None
        expected = Decimal(str(run.summary["price_p80"]))
    assert _prices(seeded_engine)[_opportunity_of(seeded_engine, queued_run)] == expected
