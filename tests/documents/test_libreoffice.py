"""LibreOffice headless: the quote's totals recalculate to the app's figures; the proposals
convert to PDF with their Chinese text. One conversion per format for the whole module."""

import random
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlmodel import Session

from app.documents.chinese_numerals import rmb_upper
from app.documents.quote import (
    TABLE_HEADER_ROW,
    PaymentTerm,
    Quote,
    QuoteLine,
    quote_totals,
    quote_workbook,
)
from app.services import documents as document_service
from app.vocabulary import AccessRole, Language
from tests.documents.conftest import CUSTOMER, Build, StoredRun
from tests.documents.office import convert, pdf_text


def _tricky_quote() -> Quote:
    """Amounts that sit on or near half a cent, with discounts, at two tax rates."""
    generator = random.Random(20261122)
    lines = [
        QuoteLine(
            category="开发" if index % 2 else "硬件",
            name=f"line {index}",
            unit="人天",
            quantity=Decimal(generator.randint(1, 50_000)) / 100,
            unit_price=Decimal(generator.randint(1, 900_000)) / 100,
            discount=Decimal(generator.choice([0, 5, 10, 15, 12.5, 33])) / 100,
            tax_rate=Decimal("0.06") if index % 2 else Decimal("0.13"),
        )
        for index in range(60)
    ]
    lines.append(
        QuoteLine(category="开发", name="half", unit="项", quantity=Decimal("0.5"),
                  unit_price=Decimal("0.01"), tax_rate=Decimal("0.06"))
    )  # fmt: skip
    terms = [
        PaymentTerm(name=n, percent=Decimal(p)) for n, p in (("签", 30), ("上线", 40), ("终验", 30))
    ]
    return Quote(
        language="zh", currency="CNY", quote_number="Q-T", quote_date=date(2026, 1, 2),
        validity_days=60, company="c", customer="c", project="p", contact="", lines=lines,
        tax_rates=(Decimal("0.06"), Decimal("0.13")), payment=terms, optional_rows=0,
    )  # fmt: skip


@dataclass(frozen=True)
class Converted:
    run_quote: Path
    tricky_quote: Path
    zh_pdf: Path
    en_pdf: Path


@pytest.fixture(scope="module")
def converted(
    tmp_path_factory: pytest.TempPathFactory, proposal_for: Build, quote_for: Build
) -> Converted:
    source = tmp_path_factory.mktemp("office-in")
    output = tmp_path_factory.mktemp("office-out")
    files = {
        "run-quote.xlsx": quote_for(AccessRole.SALES, Language.ZH).content,
        "tricky-quote.xlsx": quote_workbook(_tricky_quote()),
        "proposal-zh.docx": proposal_for(AccessRole.PRESALES, Language.ZH).content,
        "proposal-en.docx": proposal_for(AccessRole.SALES, Language.EN).content,
    }
    for name, content in files.items():
        (source / name).write_bytes(content)
    workbooks = convert([source / "run-quote.xlsx", source / "tricky-quote.xlsx"], "xlsx", output)
    pdfs = convert([source / "proposal-zh.docx", source / "proposal-en.docx"], "pdf", output)
    return Converted(*workbooks, *pdfs)


def _computed(path: Path) -> dict[str, object]:
    """Label (column A) → computed value (column I) of the totals block."""
    workbook = load_workbook(path, data_only=True, read_only=True)
    try:
        sheet = workbook.worksheets[0]
        return {row[0]: row[8] for row in sheet.iter_rows(values_only=True) if row[0] is not None}
    finally:
        workbook.close()


def _cents(value: object) -> Decimal:
    assert isinstance(value, int | float), value
    return Decimal(repr(float(value))).quantize(Decimal("0.01"))


def test_the_recalculated_quote_equals_the_apps_totals_to_the_cent(
    converted: Converted, stored_run: StoredRun
) -> None:
    with Session(stored_run.engine) as session:
        view = document_service.quote_lines(
            session, stored_run.run_id, user=stored_run.user(AccessRole.SALES), language=Language.ZH
        )
    computed = _computed(converted.run_quote)
    summary = stored_run.run().summary or {}
    # Ref: the pricing rule — the total excluding VAT is the run's stored price at P80.
    assert _cents(computed["合计（不含税）"]) == Decimal(summary["price_at_confidence"])
    assert _cents(computed["合计（不含税）"]) == view.subtotal_value
    assert _cents(computed["合计（含税）"]) == view.total_value
    assert computed["合计大写"] == rmb_upper(view.total_value)
    workbook = load_workbook(converted.run_quote, data_only=True, read_only=True)
    payments = [
        row[3] for row in workbook.worksheets[0].iter_rows(values_only=True) if row[1] == "终验"
    ]
    workbook.close()
    assert payments
    assert _cents(payments[0]) > 0


def test_every_line_and_total_matches_decimal_half_up_rounding(converted: Converted) -> None:
    quote = _tricky_quote()
    totals = quote_totals(quote.lines, quote.payment, quote.tax_rates)
    workbook = load_workbook(converted.tricky_quote, data_only=True, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(min_row=TABLE_HEADER_ROW + 1, values_only=True))
    workbook.close()
    # The sheet groups lines by category: match them by name.
    amounts = {row[2]: _cents(row[8]) for row in rows if isinstance(row[0], int)}
    assert amounts == {line.name: line.amount for line in quote.lines}
    computed = _computed(converted.tricky_quote)
    assert _cents(computed["合计（不含税）"]) == totals.subtotal
    assert _cents(computed["增值税 6%"]) == totals.taxes[0].tax
    assert _cents(computed["增值税 13%"]) == totals.taxes[1].tax
    assert _cents(computed["合计（含税）"]) == totals.total


def test_the_proposals_convert_to_pdf_with_their_chinese_text(
    converted: Converted, stored_run: StoredRun
) -> None:
    for path, low, high in ((converted.zh_pdf, 8, 30), (converted.en_pdf, 8, 30)):
        assert low <= len(PdfReader(path).pages) <= high
    text = pdf_text(converted.zh_pdf)
    for phrase in ("技术方案书", "项目概述", "风险管理", "付款方式", CUSTOMER):
        assert phrase in text
    pages = len(PdfReader(converted.zh_pdf).pages)
    assert f"第1页/共{pages}页" in text.replace(" ", "")  # the footer's PAGE/NUMPAGES fields
    english = pdf_text(converted.en_pdf)
    assert "Risk management" in english
    assert "Page1of" in english.replace(" ", "")
    assert "新一代协同办公与流程审批平台建设项目" in english.replace("\n", "")


def test_the_pdf_embeds_cjk_fonts(converted: Converted) -> None:
    fonts = set()
    for page in PdfReader(converted.zh_pdf).pages:
        resources = page.get("/Resources") or {}
        for font in (resources.get("/Font") or {}).values():
            fonts.add(str(font.get_object().get("/BaseFont")))
    assert any("CJK" in name for name in fonts), fonts
