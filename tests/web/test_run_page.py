"""The results page's per-run caches: fast on a second view, never stale."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event
from sqlmodel import Session, select

from app.db import write_session
from app.models import Role
from app.vocabulary import AccessRole
from tests.web.conftest import Browser, run_first_revision

Open = Callable[[AccessRole], Browser]


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _quote_section(page: str) -> str:
    start = page.index('<section id="quote-lines">')
    return page[start : page.index("</section>", start)]


def test_a_second_view_of_the_results_reads_neither_the_stored_result_nor_the_snapshot(
    open_as: Open, seeded: Engine
) -> None:
    presales = open_as(AccessRole.PRESALES)
    run_id = run_first_revision(presales, seeded)
    first = presales.get(f"/runs/{run_id}").text
    with _statements(seeded) as statements:
        second = presales.get(f"/runs/{run_id}").text
    assert second == first
    assert statements, "the listener saw no query at all"
    for statement in statements:
        assert "simulation_run.result" not in statement, statement
        assert "simulation_run.input_snapshot" not in statement, statement


def test_a_role_renamed_after_the_run_shows_its_new_name_in_the_quote_lines(
    open_as: Open, seeded: Engine
) -> None:
    presales = open_as(AccessRole.PRESALES)
    run_id = run_first_revision(presales, seeded)
    with Session(seeded) as session:
        role = session.exec(select(Role).where(Role.code == "BE")).one()
        old_name = role.name_zh
    assert old_name in _quote_section(presales.get(f"/runs/{run_id}").text)
    with write_session(seeded) as session:
        renamed = session.exec(select(Role).where(Role.code == "BE")).one()
        renamed.name_zh = "后端开发（改名）"
    section = _quote_section(presales.get(f"/runs/{run_id}").text)
    assert "后端开发（改名）" in section
    assert old_name not in section


def test_sales_and_presales_share_no_cost_through_the_cached_results(
    open_as: Open, seeded: Engine
) -> None:
    run_id = run_first_revision(open_as(AccessRole.PRESALES), seeded)
    presales_page = open_as(AccessRole.PRESALES).get(f"/runs/{run_id}").text
    sales_page = open_as(AccessRole.SALES).get(f"/runs/{run_id}").text
    assert 'data-series="cost"' in presales_page
    assert 'data-series="cost"' not in sales_page
    assert 'data-series="margin"' not in sales_page
    assert _quote_section(sales_page) == _quote_section(presales_page)


def test_a_second_download_reads_neither_the_stored_result_nor_the_snapshot(
    open_as: Open, seeded: Engine
) -> None:
    """Documents are built from the same per-run decoded result and snapshot as the page."""
    presales = open_as(AccessRole.PRESALES)
    run_id = run_first_revision(presales, seeded)
    for document in ("proposal.docx", "quote.xlsx"):
        first = presales.get(f"/runs/{run_id}/{document}")
        assert first.status_code == 200, first.text
        with _statements(seeded) as statements:
            second = presales.get(f"/runs/{run_id}/{document}")
        assert second.status_code == 200
        assert statements, "the listener saw no query at all"
        for statement in statements:
            assert "simulation_run.result" not in statement, (document, statement)
            assert "simulation_run.input_snapshot" not in statement, (document, statement)
