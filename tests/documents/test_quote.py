"""The Excel quote reopened with openpyxl: formulas, formats, protection, validation."""

import io
import re
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from app.documents.errors import DocumentError
from app.documents.quote import (
    GRAND_TOTAL_NAME,
    TABLE_HEADER_ROW,
    PaymentTerm,
    Quote,
    QuoteLine,
    quote_totals,
    quote_workbook,
    round_money,
)
from app.services.documents import QuoteOptions
from app.vocabulary import AccessRole, Language
from tests.documents.conftest import CONTACT, CUSTOMER, Build, StoredRun


@pytest.fixture(scope="module")
def zh_quote(quote_for: Build):  # type: ignore[no-untyped-def]
    return quote_for(AccessRole.PRESALES, Language.ZH)


def _rows_by_label(sheet, label: str) -> list[int]:  # type: ignore[no-untyped-def]
    return [cell.row for cell in sheet["A"] if isinstance(cell.value, str) and cell.value == label]


def test_line_amounts_and_totals_are_live_round_formulas(zh_quote) -> None:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(zh_quote.content))
    sheet = workbook["报价单"]
    first = TABLE_HEADER_ROW + 1
    assert sheet.cell(first, 9).value == f"=ROUND(E{first}*F{first}*(1-G{first}),2)"
    total_row = _rows_by_label(sheet, "合计（含税）")[0]
    assert sheet.cell(total_row, 9).value.startswith("=I")
    destinations = list(workbook.defined_names[GRAND_TOTAL_NAME].destinations)
    assert destinations == [("报价单", f"$I${total_row}")]
    tax_row = _rows_by_label(sheet, "增值税 6%")[0]
    assert "SUMIF(H" in sheet.cell(tax_row, 9).value
    assert "*0.06,2)" in sheet.cell(tax_row, 9).value


def test_money_is_formatted_in_the_quote_currency(zh_quote) -> None:  # type: ignore[no-untyped-def]
    sheet = load_workbook(io.BytesIO(zh_quote.content))["报价单"]
    first = TABLE_HEADER_ROW + 1
    assert sheet.cell(first, 6).number_format.startswith('"¥"#,##0.00')
    assert sheet.cell(first, 9).number_format.startswith('"¥"#,##0.00')
    assert sheet.cell(first, 8).number_format == "0%"


def test_inputs_are_unlocked_formulas_protected_and_validated(zh_quote) -> None:  # type: ignore[no-untyped-def]
    sheet = load_workbook(io.BytesIO(zh_quote.content))["报价单"]
    first = TABLE_HEADER_ROW + 1
    assert sheet.protection.sheet is True
    assert sheet.cell(first, 5).protection.locked is False  # quantity
    assert sheet.cell(first, 7).protection.locked is False  # discount
    assert sheet.cell(first, 9).protection.locked is True  # amount formula
    kinds = {dv.type for dv in sheet.data_validations.dataValidation}
    assert {"decimal", "list"} <= kinds
    discount = next(
        dv for dv in sheet.data_validations.dataValidation if f"G{first}" in str(dv.sqref)
    )
    assert (discount.type, discount.formula1, discount.formula2) == ("decimal", "0", "1")


def test_print_setup_freezes_and_repeats_the_table_header(zh_quote) -> None:  # type: ignore[no-untyped-def]
    sheet = load_workbook(io.BytesIO(zh_quote.content))["报价单"]
    assert sheet.freeze_panes == f"A{TABLE_HEADER_ROW + 1}"
    assert sheet.page_setup.orientation == "landscape"
    assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4)
    assert sheet.page_setup.fitToWidth == 1
    assert sheet.page_setup.fitToHeight == 0
    assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
    assert sheet.print_title_rows == f"${TABLE_HEADER_ROW}:${TABLE_HEADER_ROW}"


def test_user_text_stays_text(zh_quote) -> None:  # type: ignore[no-untyped-def]
    # openpyxl's reader turns any string starting with "=" back into a formula, so the
    # sheet XML itself is read: the contact is an inline string, not an <f> element.
    xml = zipfile.ZipFile(io.BytesIO(zh_quote.content)).read("xl/worksheets/sheet1.xml").decode()
    cells = re.findall(r'<c r="[A-Z]+\d+"[^>]*>(?:(?!</c>).)*</c>', xml)
    contact = next(cell for cell in cells if "HYPERLINK" in cell)
    assert 't="inlineStr"' in contact
    assert "<f>" not in contact
    sheet = load_workbook(io.BytesIO(zh_quote.content))["报价单"]
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert {CUSTOMER, CONTACT} <= values


def test_the_wbs_and_percentile_sheets(zh_quote, stored_run: StoredRun) -> None:  # type: ignore[no-untyped-def]
    workbook = load_workbook(io.BytesIO(zh_quote.content))
    assert workbook.sheetnames == ["报价单", "工作分解", "模拟分位数"]
    wbs = workbook["工作分解"]
    snapshot = stored_run.run().input_snapshot
    assert wbs.max_row == 1 + len(snapshot["items"]) + len(snapshot["percent_items"])
    assert wbs["A1"].value == "编号"
    assert wbs["J1"].value == "P50（人天）"
    for row in wbs.iter_rows(min_row=2, values_only=True):
        optimistic, most_likely, pessimistic, p50, p80 = row[6], row[7], row[8], row[9], row[10]
        assert optimistic <= most_likely <= pessimistic
        assert p50 <= p80
    percentiles = workbook["模拟分位数"]
    summary = stored_run.run().summary or {}
    row = next(r for r in percentiles.iter_rows(values_only=True) if r[0] == "P80")
    assert row[1] == pytest.approx(summary["effort_p80"], abs=0.01)
    assert round(row[3], 2) == float(summary["price_p80"])


def test_sales_quotes_have_no_cost_columns(quote_for: Build) -> None:
    workbook = load_workbook(io.BytesIO(quote_for(AccessRole.SALES, Language.ZH).content))
    header = [cell.value for cell in workbook["模拟分位数"][1]]
    assert header == ["分位数", "工作量（人天）", "工期（工作日）", "报价 (CNY)"]


def test_the_english_quote_has_no_chinese_numerals_row(quote_for: Build) -> None:
    workbook = load_workbook(io.BytesIO(quote_for(AccessRole.SALES, Language.EN).content))
    assert workbook.sheetnames == ["Quote", "WBS", "Percentiles"]
    labels = [cell.value for cell in workbook["Quote"]["A"]]
    assert "Total including VAT" in labels
    assert "合计大写" not in labels


def _quote(lines: list[QuoteLine], payment: list[PaymentTerm]) -> Quote:
    return Quote(
        language="zh", currency="CNY", quote_number="Q-1", quote_date=date(2026, 1, 2),
        validity_days=30, company="c", customer="c", project="p", contact="", lines=lines,
        tax_rates=(Decimal("0.06"), Decimal("0.13")), payment=payment,
    )  # fmt: skip


def test_payment_milestones_must_add_up_to_one_hundred_percent() -> None:
    line = QuoteLine(
        category="a", name="n", unit="u", quantity=Decimal(1), unit_price=Decimal(10),
        tax_rate=Decimal("0.06"),
    )  # fmt: skip
    terms = [
        PaymentTerm(name="签订", percent=Decimal(30)),
        PaymentTerm(name="终验", percent=Decimal(60)),
    ]
    with pytest.raises(DocumentError, match="must add up to 100%: 30% \\+ 60% = 90%"):
        quote_workbook(_quote([line], terms))
    with pytest.raises(DocumentError, match="add up to 90%"):
        QuoteOptions.parse(validity=30, payment="30,30,30")


def test_decimal_totals_round_half_up_per_line_like_the_sheet() -> None:
    # Ref: hand-derived. 0.5 × 0.01 = 0.005 rounds half-up to 0.01 per line (two lines
    # → 0.02), while rounding only the sum of unrounded amounts would give 0.01.
    lines = [
        QuoteLine(category="a", name=str(i), unit="u", quantity=Decimal("0.5"),
                  unit_price=Decimal("0.01"), tax_rate=Decimal("0.06"))
        for i in range(2)
    ]  # fmt: skip
    totals = quote_totals(lines, [PaymentTerm(name="x", percent=Decimal(100))], [Decimal("0.06")])
    assert totals.subtotal == Decimal("0.02")
    assert round_money(Decimal("2.675")) == Decimal("2.68")


def test_payments_add_up_to_the_total_exactly() -> None:
    line = QuoteLine(
        category="a", name="n", unit="u", quantity=Decimal(1), unit_price=Decimal("100.01"),
        tax_rate=Decimal("0.06"),
    )  # fmt: skip
    terms = [PaymentTerm(name=n, percent=Decimal(p)) for n, p in (("a", 30), ("b", 40), ("c", 30))]
    totals = quote_totals([line], terms, [Decimal("0.06")])
    assert totals.total == Decimal("106.01")  # 100.01 + ROUND(6.0006, 2)
    assert sum(totals.payments) == totals.total
