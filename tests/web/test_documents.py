"""Proposal and quote downloads per role, and the proposal-template upload page."""

import io
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.config import get_settings
from app.models import EstimateRevision, SimulationRun
from app.vocabulary import AccessRole
from tests.documents.conftest import template_with
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _run(open_as: Open, engine: Engine) -> tuple[int, dict[str, str]]:
    with Session(engine) as session:
        revision = session.exec(select(EstimateRevision).order_by(EstimateRevision.id)).first()
        assert revision is not None
    response = open_as(AccessRole.PRESALES).post(f"/revisions/{revision.id}/runs")
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/runs/(\d+)", response.headers["location"])
    assert match is not None
    run_id = int(match.group(1))
    with Session(engine) as session:
        run = session.get(SimulationRun, run_id)
        assert run is not None
        assert run.summary is not None
        return run_id, run.summary


def _docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _xlsx_text(content: bytes) -> str:
    workbook = load_workbook(io.BytesIO(content))
    return "\n".join(
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    )


def _money_texts(summary: dict[str, str], key: str) -> list[str]:
    amount = Decimal(summary[key])
    return [f"{amount:,.2f}", str(amount), str(float(amount))]


@pytest.mark.parametrize("role", list(AccessRole))
def test_every_role_downloads_the_proposal_and_the_quote(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    run_id, summary = _run(open_as, seeded)
    browser = open_as(role)
    proposal = browser.get(f"/runs/{run_id}/proposal.docx?language=zh")
    assert proposal.status_code == 200
    assert proposal.headers["content-type"] == DOCX
    disposition = proposal.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="proposal-run-')
    assert f"filename*=UTF-8''{quote('技术方案书', safe='')}" in disposition
    price = f"{Decimal(summary['price_at_confidence']):,.2f}"
    assert price in _docx_text(proposal.content)
    workbook = browser.get(f"/runs/{run_id}/quote.xlsx?language=en&validity=60&payment=30,60,10")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"].startswith(XLSX)
    assert "filename*=UTF-8''Quote%20-%20" in workbook.headers["content-disposition"]
    assert "Instalment" not in _xlsx_text(workbook.content)


@pytest.mark.parametrize("role", [AccessRole.SALES, AccessRole.BID])
def test_price_level_roles_get_documents_without_any_cost_figure(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    run_id, summary = _run(open_as, seeded)
    browser = open_as(role)
    for language in ("zh", "en"):
        proposal = _docx_text(
            browser.get(f"/runs/{run_id}/proposal.docx?language={language}").content
        )
        sheet = _xlsx_text(browser.get(f"/runs/{run_id}/quote.xlsx?language={language}").content)
        for key in ("cost_p50", "cost_p80", "cost_p90", "margin_p50", "margin_p80", "margin_p90"):
            for text in _money_texts(summary, key):
                assert text not in proposal, (language, key)
                assert text not in sheet, (language, key)
        assert "成本" not in sheet
        assert "Cost" not in sheet
        assert "毛利" not in sheet
        assert "Margin" not in sheet


def test_presales_documents_include_cost(open_as: Open, seeded: Engine) -> None:
    run_id, summary = _run(open_as, seeded)
    proposal = open_as(AccessRole.PRESALES).get(f"/runs/{run_id}/proposal.docx?language=zh")
    assert f"{Decimal(summary['cost_p80']):,.2f}" in _docx_text(proposal.content)


def test_the_same_run_downloads_identical_bytes(open_as: Open, seeded: Engine) -> None:
    run_id, _ = _run(open_as, seeded)
    browser = open_as(AccessRole.SALES)
    for url in (f"/runs/{run_id}/proposal.docx?language=en", f"/runs/{run_id}/quote.xlsx"):
        assert browser.get(url).content == browser.get(url).content


def test_bad_quote_options_are_refused_with_a_message(open_as: Open, seeded: Engine) -> None:
    run_id, _ = _run(open_as, seeded)
    browser = open_as(AccessRole.SALES)
    response = browser.get(f"/runs/{run_id}/quote.xlsx?payment=30,30,30")
    assert response.status_code == 422
    assert "add up to 90%" in response.text
    assert browser.get(f"/runs/{run_id}/quote.xlsx?validity=45").status_code == 422
    assert browser.get("/runs/9999/quote.xlsx").status_code == 404


def test_downloads_need_a_login(seeded: Engine) -> None:
    from tests.web.conftest import make_client  # noqa: PLC0415

    with make_client(seeded) as client:
        response = client.get("/runs/1/proposal.docx", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


@pytest.fixture
def template_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("BIDWRIGHT_TEMPLATE_DIR", str(tmp_path / "templates"))
    get_settings.cache_clear()
    yield tmp_path / "templates"
    get_settings.cache_clear()


def _upload(browser: Browser, content: bytes, *, htmx: bool = False, **data: object):  # type: ignore[no-untyped-def]
    files = {"template": ("品牌模板.docx", content, DOCX)}
    return browser.post("/proposal-templates", data, htmx=htmx, files=files)


def test_presales_upload_a_template_and_use_it(
    open_as: Open, seeded: Engine, template_dir: Path
) -> None:
    browser = open_as(AccessRole.PRESALES)
    assert browser.get("/proposal-templates").status_code == 200
    response = _upload(
        browser, template_with("客户：{{ customer }}", "报价：{{ price_at_confidence }}")
    )
    assert response.status_code == 200, response.text
    assert "品牌模板.docx" in response.text
    stored = list(template_dir.glob("*.docx"))
    assert len(stored) == 1
    run_id, summary = _run(open_as, seeded)
    sales = open_as(AccessRole.SALES)
    proposal = sales.get(f"/runs/{run_id}/proposal.docx?language=zh&template={stored[0].stem}")
    assert proposal.status_code == 200
    text = _docx_text(proposal.content)
    assert text.startswith("客户：华东某市城市商业银行")
    assert f"{Decimal(summary['price_at_confidence']):,.2f}" in text


def test_a_broken_template_is_refused_with_its_report_as_page_and_fragment(
    open_as: Open, seeded: Engine, template_dir: Path
) -> None:
    browser = open_as(AccessRole.ADMIN)
    broken = template_with(
        "{{ customer }}", "{% for r in risks %}{{ r.title }}", "｛｛ project ｝｝"
    )
    page = _upload(browser, broken)
    assert page.status_code == 422
    assert "paragraph 2" in page.text
    assert 'data-kind="syntax"' in page.text
    assert "<html" in page.text
    fragment = _upload(browser, template_with("{{ nonsense }}"), htmx=True)
    assert fragment.status_code == 422
    assert "<html" not in fragment.text
    assert "nonsense is not provided" in fragment.text
    assert not template_dir.exists() or not list(template_dir.glob("*.docx"))


def test_a_non_docx_upload_is_refused(open_as: Open, seeded: Engine, template_dir: Path) -> None:
    response = _upload(open_as(AccessRole.PRESALES), b"MZ" + bytes(2_000_000))
    assert response.status_code == 422
    assert "not a .docx" in response.text


def test_sales_and_bid_cannot_manage_templates(
    open_as: Open, seeded: Engine, template_dir: Path
) -> None:
    for role in (AccessRole.SALES, AccessRole.BID):
        browser = open_as(role)
        assert browser.get("/proposal-templates").status_code == 403
        assert _upload(browser, template_with("{{ customer }}")).status_code == 403
    assert not template_dir.exists()


def test_uploads_need_the_csrf_token(open_as: Open, seeded: Engine, template_dir: Path) -> None:
    browser = open_as(AccessRole.PRESALES)
    response = browser.client.post(
        "/proposal-templates",
        files={"template": ("t.docx", template_with("x"), DOCX)},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert not template_dir.exists()


@pytest.mark.parametrize("role", list(AccessRole))
def test_the_run_page_shows_the_quote_lines_and_the_downloads(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    run_id, summary = _run(open_as, seeded)
    browser = open_as(role)
    browser.post("/language", data={"language": "zh"})
    page = browser.get(f"/runs/{run_id}").text
    price = f"{Decimal(summary['price_at_confidence']):,.2f}"
    assert f'<td class="num" id="quote-subtotal">¥{price}</td>' in page
    assert "风险储备金" in page
    assert "合计（含税）" in page
    assert f"/runs/{run_id}/proposal.docx?language=zh" in page
    assert f'action="/runs/{run_id}/quote.xlsx"' in page
