"""The estimate editor's line table: pre-formatted numbers, one row markup for page and fragment."""

import re
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from app import i18n
from app.models import EstimateLine, EstimateRevision
from app.vocabulary import AccessRole, Language
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]


@pytest.mark.parametrize("language", list(Language))
@pytest.mark.parametrize("digits", [0, 1, 2])
def test_the_bulk_number_format_prints_exactly_what_number_prints(
    language: Language, digits: int
) -> None:
    bulk = i18n.number_format(language, digits=digits)
    for value in (0.0, -0.0, 0.05, 0.15, 1.005, 2.5, -3.25, 999.95, 1234567.891, 1e-9, 3):
        assert bulk(value) == i18n.format_number(value, language, digits=digits)
    assert bulk(Decimal("1234.565")) == i18n.format_number(
        Decimal("1234.565"), language, digits=digits
    )


def _draft(engine: Engine) -> tuple[int, list[int]]:
    with Session(engine) as session:
        revision = session.exec(select(EstimateRevision)).first()
        assert revision is not None
        lines = session.exec(
            select(EstimateLine.id)
            .where(EstimateLine.revision_id == revision.id)
            .order_by(col(EstimateLine.position), col(EstimateLine.id))
        ).all()
        return revision.id or 0, [line for line in lines if line is not None]


def _row(html: str, line_id: int) -> str:
    match = re.search(rf'<tr id="line-{line_id}">.*?</tr>', html, re.DOTALL)
    assert match is not None, f"no row for line {line_id}"
    return match.group(0)


@pytest.mark.parametrize("role", [AccessRole.PRESALES, AccessRole.SALES])
def test_a_single_row_fragment_is_the_same_markup_as_its_row_in_the_page(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    browser = open_as(role)
    revision_id, lines = _draft(seeded)
    page = browser.get(f"/revisions/{revision_id}").text
    for line_id in (lines[0], lines[-1]):
        fragment = browser.get(f"/lines/{line_id}/row", headers={"HX-Request": "true"}).text
        assert _row(fragment, line_id) == _row(page, line_id)


def test_the_table_foot_sums_the_most_likely_days_of_the_rows(
    open_as: Open, seeded: Engine
) -> None:
    revision_id, _ = _draft(seeded)
    page = open_as(AccessRole.PRESALES).get(f"/revisions/{revision_id}").text
    rows = re.findall(r'<tr id="line-\d+">.*?</tr>', page, re.DOTALL)
    days = []
    for row in rows:
        cells = re.findall(r'<td class="num">([^<]*)</td>', row)
        if cells[-1] != "%":  # a percent line has no days of its own
            days.append(float(cells[-1].replace(",", "")))
    foot = re.search(r'</tbody>\s*<tfoot>.*?<td class="num">([^<]+)</td>', page, re.DOTALL)
    assert foot is not None
    # The rows are rounded to 0.1 day, so their sum may differ from the total by 0.05 a row.
    assert abs(float(foot.group(1).replace(",", "")) - sum(days)) <= 0.05 * len(days) + 1e-9
    assert len(rows) == len(_draft(seeded)[1])
