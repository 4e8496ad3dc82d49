"""The Excel quote (报价单): live formulas the customer's finance team can edit.

Money is computed here in ``Decimal`` exactly as the sheet's formulas compute it, so the
totals the app shows equal the totals Excel or LibreOffice print:

- line amount = ROUND(quantity × unit price × (1 − discount), 2), half-up;
- tax per rate = ROUND(Σ amounts at that rate × rate, 2);
- total = Σ amounts + Σ taxes; payment milestones are ROUND(total × share, 2), the last
  one takes the remainder so they add up to the total exactly.

User text (customer, project, line names) is always written as text, never as a formula.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, NamedStyle, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.documents.chinese_numerals import rmb_upper
from app.documents.errors import DocumentError
from app.documents.reproducible import normalize_package

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
GRAND_TOTAL_NAME = "GrandTotal"
TABLE_HEADER_ROW = 10
_CURRENCY_SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "HKD": "HK$", "GBP": "£", "JPY": "¥"}


def round_money(value: Decimal) -> Decimal:
    """Half-up to the cent, as the sheet's ROUND does for positive amounts."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True, kw_only=True)
class QuoteLine:
    """One priced line; ``discount`` and ``tax_rate`` are fractions (0.06 = 6 %)."""

    category: str
    name: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal
    discount: Decimal = Decimal(0)
    description: str = ""

    @property
    def amount(self) -> Decimal:
        return round_money(self.quantity * self.unit_price * (1 - self.discount))


@dataclass(frozen=True, kw_only=True)
class PaymentTerm:
    name: str
    percent: Decimal  # 30 = 30 %


@dataclass(frozen=True, kw_only=True)
class TaxLine:
    rate: Decimal
    base: Decimal
    tax: Decimal


@dataclass(frozen=True, kw_only=True)
class QuoteTotals:
    subtotal: Decimal
    taxes: tuple[TaxLine, ...]
    total: Decimal
    payments: tuple[Decimal, ...]


@dataclass(frozen=True, kw_only=True)
class WbsRow:
    line: str
    name: str
    phase: str
    role: str
    quantity: float
    complexity: float
    optimistic: float
    most_likely: float
    pessimistic: float
    p50: float
    p80: float


@dataclass(frozen=True, kw_only=True)
class Quote:
    language: str  # "zh" or "en"
    currency: str
    quote_number: str
    quote_date: date
    validity_days: int
    company: str
    customer: str
    project: str
    contact: str
    lines: Sequence[QuoteLine]
    tax_rates: Sequence[Decimal]
    payment: Sequence[PaymentTerm]
    assumptions: Sequence[str] = ()
    exclusions: Sequence[str] = ()
    wbs: Sequence[WbsRow] = ()
    percentile_columns: Sequence[str] = ()
    percentiles: Sequence[tuple[str, Sequence[float]]] = ()
    optional_rows: int = 3
    optional_tax_rate: Decimal = Decimal("0.13")
    stamp: datetime = field(default_factory=lambda: datetime(2026, 1, 1))


def percent_text(rate: Decimal) -> str:
    """0.06 → "6%"."""
    return f"{(rate * 100).normalize():f}%"


def check_payment(payment: Sequence[PaymentTerm]) -> None:
    total = sum((term.percent for term in payment), Decimal(0))
    if not payment or total != HUNDRED:
        shares = " + ".join(f"{term.percent}%" for term in payment) or "nothing"
        raise DocumentError(f"payment milestones must add up to 100%: {shares} = {total}%")
    for term in payment:
        if term.percent <= 0:
            raise DocumentError(f"payment milestone {term.name!r}: {term.percent}% is not positive")


def quote_totals(
    lines: Sequence[QuoteLine], payment: Sequence[PaymentTerm], tax_rates: Sequence[Decimal]
) -> QuoteTotals:
    """The figures the sheet's formulas compute, in exact decimal arithmetic."""
    check_payment(payment)
    subtotal = sum((line.amount for line in lines), Decimal(0))
    taxes = []
    for rate in _all_rates(lines, tax_rates):
        base = sum((line.amount for line in lines if line.tax_rate == rate), Decimal(0))
        taxes.append(TaxLine(rate=rate, base=base, tax=round_money(base * rate)))
    total = subtotal + sum((tax.tax for tax in taxes), Decimal(0))
    shares = [round_money(total * term.percent / HUNDRED) for term in payment[:-1]]
    return QuoteTotals(
        subtotal=subtotal,
        taxes=tuple(taxes),
        total=total,
        payments=(*shares, total - sum(shares, Decimal(0))),
    )


def _all_rates(lines: Sequence[QuoteLine], tax_rates: Sequence[Decimal]) -> list[Decimal]:
    rates = list(dict.fromkeys([*tax_rates, *(line.tax_rate for line in lines)]))
    return sorted(rates)


# --- Workbook -----------------------------------------------------------------------------

_LABELS: dict[str, dict[str, Any]] = {
    "zh": {
        "sheet": "报价单",
        "wbs_sheet": "工作分解",
        "percentile_sheet": "模拟分位数",
        "title": "报价单",
        "quote_number": "报价编号",
        "date": "报价日期",
        "validity": "报价有效期（天）",
        "customer": "客户名称",
        "project": "项目名称",
        "contact": "联系人",
        "company": "报价单位",
        "currency": "币种",
        "columns": (
            "序号",
            "类别",
            "名称",
            "单位",
            "数量",
            "单价",
            "折扣",
            "税率",
            "金额（不含税）",
            "说明",
        ),
        "category_subtotal": "小计",
        "optional": "软件许可与硬件（可选，由客户填写）",
        "subtotal": "合计（不含税）",
        "tax": "增值税",
        "total": "合计（含税）",
        "in_words": "合计大写",
        "words_changed": "金额已修改，请重新核对大写金额",
        "payment": "付款方式",
        "payment_check": "付款比例合计须为 100%",
        "assumptions": "假设条件",
        "exclusions": "不包含项",
        "signature": (
            "报价单位（盖章）：",
            "授权代表（签字）：",
            "日期：",
            "客户确认（盖章）：",
        ),
        "wbs_columns": (
            "编号",
            "名称",
            "阶段",
            "角色",
            "数量",
            "复杂度系数",
            "乐观（人天）",
            "最可能（人天）",
            "悲观（人天）",
            "P50（人天）",
            "P80（人天）",
        ),
        "level": "分位数",
    },
    "en": {
        "sheet": "Quote",
        "wbs_sheet": "WBS",
        "percentile_sheet": "Percentiles",
        "title": "Quotation",
        "quote_number": "Quote number",
        "date": "Date",
        "validity": "Valid for (days)",
        "customer": "Customer",
        "project": "Project",
        "contact": "Contact",
        "company": "From",
        "currency": "Currency",
        "columns": (
            "No.",
            "Category",
            "Item",
            "Unit",
            "Quantity",
            "Unit price",
            "Discount",
            "VAT rate",
            "Amount (excl. VAT)",
            "Notes",
        ),
        "category_subtotal": "Subtotal",
        "optional": "Software licences and hardware (optional, filled in by the customer)",
        "subtotal": "Total excluding VAT",
        "tax": "VAT",
        "total": "Total including VAT",
        "in_words": "",
        "words_changed": "",
        "payment": "Payment terms",
        "payment_check": "The payment shares must add up to 100%",
        "assumptions": "Assumptions",
        "exclusions": "Exclusions",
        "signature": ("For the supplier (seal):", "Authorised signature:", "Date:", "Customer:"),
        "wbs_columns": (
            "Line",
            "Name",
            "Phase",
            "Role",
            "Quantity",
            "Complexity",
            "Optimistic (days)",
            "Most likely (days)",
            "Pessimistic (days)",
            "P50 (days)",
            "P80 (days)",
        ),
        "level": "Percentile",
    },
}

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor="FFF8DC")
_HEADER_FILL = PatternFill("solid", fgColor="DDE7F3")


def money_format(currency: str) -> str:
    symbol = _CURRENCY_SYMBOLS.get(currency)
    if symbol is None:
        return f'#,##0.00 "{currency}";-#,##0.00 "{currency}"'
    return f'"{symbol}"#,##0.00;-"{symbol}"#,##0.00'


class _Styles:
    """Named styles, registered once per workbook (far cheaper than per-cell style objects)."""

    def __init__(self, workbook: Workbook, currency: str) -> None:
        font = "宋体"
        self.text = self._add(workbook, "bw_text", font, "@")
        self.money = self._add(workbook, "bw_money", font, money_format(currency))
        self.number = self._add(workbook, "bw_number", font, "#,##0.00")
        self.percent = self._add(workbook, "bw_percent", font, "0%")
        self.discount = self._add(workbook, "bw_discount", font, "0.0%")
        self.header = self._add(workbook, "bw_header", "黑体", "@", bold=True, fill=_HEADER_FILL)
        self.bold_money = self._add(workbook, "bw_bold_money", "黑体", money_format(currency))

    @staticmethod
    def _add(
        workbook: Workbook,
        name: str,
        font: str,
        number_format: str,
        *,
        bold: bool = False,
        fill: PatternFill | None = None,
    ) -> str:
        style = NamedStyle(name=name, number_format=number_format)
        style.font = Font(name=font, size=10.5, bold=bold)
        style.border = _BORDER
        style.alignment = Alignment(vertical="center", wrap_text=number_format == "@")
        if fill is not None:
            style.fill = fill
        workbook.add_named_style(style)
        return name


def write_text(cell: Cell, value: str) -> Cell:
    """User text stays text: ``=HYPERLINK(...)`` must never become a formula."""
    cell.value = value
    cell.data_type = "s"
    return cell


def _unlock(cell: Cell) -> None:
    cell.protection = Protection(locked=False)
    cell.fill = _INPUT_FILL


class _QuoteSheet:
    def __init__(self, workbook: Workbook, quote: Quote, styles: _Styles) -> None:
        self.quote = quote
        self.labels = _LABELS[quote.language]
        self.styles = styles
        self.sheet: Worksheet = workbook.active
        self.sheet.title = self.labels["sheet"]
        self.row = TABLE_HEADER_ROW + 1
        self.validation = {
            "quantity": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0"),
            "price": DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0"),
            "discount": DataValidation(
                type="decimal", operator="between", formula1="0", formula2="1"
            ),
            "tax": DataValidation(
                type="list",
                formula1='"'
                + ",".join(str(r) for r in _all_rates(quote.lines, quote.tax_rates))
                + '"',
            ),
            "validity": DataValidation(type="list", formula1='"30,60,90"'),
            "share": DataValidation(type="decimal", operator="between", formula1="0", formula2="1"),
        }
        for name, validation in self.validation.items():
            validation.error = self.labels["payment_check"] if name == "share" else None
            validation.showErrorMessage = True
            self.sheet.add_data_validation(validation)

    def _cell(self, row: int, column: int, value: object, style: str) -> Cell:
        """A value; any string is written as text, whatever it starts with."""
        cell: Cell = self.sheet.cell(row=row, column=column)
        if isinstance(value, str):
            write_text(cell, value)
        else:
            cell.value = value
        cell.style = style
        return cell

    def _formula(self, row: int, column: int, formula: str, style: str) -> Cell:
        """A formula the app wrote itself (never user text)."""
        assert formula.startswith("=")
        cell: Cell = self.sheet.cell(row=row, column=column)
        cell.value = formula
        cell.style = style
        return cell

    def header(self) -> None:
        labels, quote, sheet, s = self.labels, self.quote, self.sheet, self.styles
        sheet.merge_cells("A1:J1")
        title = self._cell(1, 1, labels["title"], s.header)
        title.font = Font(name="黑体", size=18, bold=True)
        title.alignment = Alignment(horizontal="center")
        fields = [
            ("quote_number", quote.quote_number, "date", quote.quote_date.isoformat()),
            ("customer", quote.customer, "validity", quote.validity_days),
            ("project", quote.project, "contact", quote.contact),
            ("company", quote.company, "currency", quote.currency),
        ]
        for offset, (left, left_value, right, right_value) in enumerate(fields):
            row = 3 + offset
            self._cell(row, 1, labels[left], s.header)
            sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=5)
            self._cell(row, 2, left_value, s.text)
            self._cell(row, 7, labels[right], s.header)
            sheet.merge_cells(start_row=row, start_column=8, end_row=row, end_column=10)
            value_cell = self._cell(row, 8, right_value, s.text)
            if right == "validity":
                value_cell.style = s.number
                value_cell.number_format = "0"
                _unlock(value_cell)
                self.validation["validity"].add(value_cell)
        for column, name in enumerate(labels["columns"], start=1):
            self._cell(TABLE_HEADER_ROW, column, name, s.header)

    def line(self, number: int, line: QuoteLine | None, category: str) -> int:
        row, s = self.row, self.styles
        self._cell(row, 1, number, s.number).number_format = "0"
        self._cell(row, 2, category, s.text)
        self._cell(row, 3, line.name if line else "", s.text)
        self._cell(row, 4, line.unit if line else "", s.text)
        self._cell(row, 5, float(line.quantity) if line else 0, s.number)
        self._cell(row, 6, float(line.unit_price) if line else 0, s.money)
        self._cell(row, 7, float(line.discount) if line else 0, s.discount)
        rate = line.tax_rate if line else self.quote.optional_tax_rate
        self._cell(row, 8, float(rate), s.percent)
        self._formula(row, 9, f"=ROUND(E{row}*F{row}*(1-G{row}),2)", s.money)
        self._cell(row, 10, line.description if line else "", s.text)
        inputs = (5, 6, 7, 8) if line else (3, 4, 5, 6, 7, 8, 10)
        for column in inputs:
            _unlock(self.sheet.cell(row=row, column=column))
        for column, key in ((5, "quantity"), (6, "price"), (7, "discount"), (8, "tax")):
            self.validation[key].add(self.sheet.cell(row=row, column=column))
        self.row += 1
        return row

    def category(self, name: str, rows: list[int]) -> int:
        row, s = self.row, self.styles
        self.sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=8)
        self._cell(row, 1, f"{name} {self.labels['category_subtotal']}", s.header)
        self._formula(row, 9, f"=SUM(I{rows[0]}:I{rows[-1]})", s.bold_money)
        self.row += 1
        return row

    def lines(self) -> tuple[list[int], int, int]:
        groups: dict[str, list[QuoteLine]] = {}
        for line in self.quote.lines:
            groups.setdefault(line.category, []).append(line)
        number, subtotal_rows, first = 1, [], self.row
        for category, members in groups.items():
            rows = []
            for line in members:
                rows.append(self.line(number, line, category))
                number += 1
            subtotal_rows.append(self.category(category, rows))
        if self.quote.optional_rows:
            rows = [
                self.line(number + i, None, self.labels["optional"])
                for i in range(self.quote.optional_rows)
            ]
            subtotal_rows.append(self.category(self.labels["optional"], rows))
        return subtotal_rows, first, self.row - 1

    def totals(self, subtotal_rows: list[int], first: int, last: int) -> int:
        labels, s = self.labels, self.styles
        self.row += 1
        subtotal_row = self.row
        self._label(labels["subtotal"])
        self._formula(subtotal_row, 9, "=" + "+".join(f"I{r}" for r in subtotal_rows), s.bold_money)
        self.row += 1
        tax_rows = []
        for rate in _all_rates(self.quote.lines, self.quote.tax_rates):
            row = self.row
            self._label(f"{labels['tax']} {percent_text(rate)}")
            formula = f"=ROUND(SUMIF(H{first}:H{last},{rate},I{first}:I{last})*{rate},2)"
            self._formula(row, 9, formula, s.money)
            tax_rows.append(row)
            self.row += 1
        total_row = self.row
        self._label(labels["total"])
        total = "+".join([f"I{subtotal_row}", *(f"I{r}" for r in tax_rows)])
        self._formula(total_row, 9, f"={total}", s.bold_money)
        sheet_name = self.sheet.title
        self.sheet.parent.defined_names[GRAND_TOTAL_NAME] = DefinedName(
            GRAND_TOTAL_NAME, attr_text=f"'{sheet_name}'!$I${total_row}"
        )
        self.row += 1
        return total_row

    def _label(self, text: str) -> None:
        self.sheet.merge_cells(start_row=self.row, start_column=1, end_row=self.row, end_column=8)
        self._cell(self.row, 1, text, self.styles.header)

    def in_words(self, total_row: int, total: Decimal) -> None:
        if self.quote.language != "zh":
            return
        self._label(self.labels["in_words"])
        words = rmb_upper(total).replace('"', "")
        changed = self.labels["words_changed"]
        formula = f'=IF(ROUND(I{total_row},2)={total},"{words}","{changed}")'
        self.sheet.merge_cells(start_row=self.row, start_column=9, end_row=self.row, end_column=10)
        self._formula(self.row, 9, formula, self.styles.text)
        self.row += 1

    def payment(self, total_row: int) -> None:
        s, terms = self.styles, self.quote.payment
        self.row += 1
        self._cell(self.row, 1, self.labels["payment"], s.header)
        self.row += 1
        first = self.row
        for index, term in enumerate(terms):
            row = self.row
            self._cell(row, 2, term.name, s.text)
            share = self._cell(row, 3, float(term.percent / HUNDRED), s.percent)
            _unlock(share)
            self.validation["share"].add(share)
            if index < len(terms) - 1:
                amount = f"=ROUND(I{total_row}*C{row},2)"
            else:
                amount = (
                    f"=I{total_row}-SUM(D{first}:D{row - 1})" if row > first else f"=I{total_row}"
                )
            self._formula(row, 4, amount, s.money)
            self.row += 1
        check = f'=IF(ROUND(SUM(C{first}:C{self.row - 1}),6)=1,"","{self.labels["payment_check"]}")'
        self._formula(self.row, 2, check, s.text).font = Font(color="C62828", bold=True)
        self.row += 1

    def statements(self) -> None:
        for key, texts in (
            ("assumptions", self.quote.assumptions),
            ("exclusions", self.quote.exclusions),
        ):
            if not texts:
                continue
            self.row += 1
            self._cell(self.row, 1, self.labels[key], self.styles.header)
            self.row += 1
            for number, text in enumerate(texts, start=1):
                self.sheet.merge_cells(
                    start_row=self.row, start_column=2, end_row=self.row, end_column=10
                )
                self._cell(self.row, 1, number, self.styles.number).number_format = "0"
                self._cell(self.row, 2, text, self.styles.text)
                self.row += 1

    def signature(self) -> None:
        self.row += 1
        labels = self.labels["signature"]
        for offset, text in enumerate(labels):
            column = 1 if offset % 2 == 0 else 6
            row = self.row + offset // 2 * 2
            write_text(self.sheet.cell(row=row, column=column), text).font = Font(name="宋体")
        self.row += 4

    def finish(self) -> None:
        sheet = self.sheet
        for column, width in zip("ABCDEFGHIJ", (6, 18, 34, 8, 10, 14, 9, 9, 18, 28), strict=True):
            sheet.column_dimensions[column].width = width
        sheet.freeze_panes = f"A{TABLE_HEADER_ROW + 1}"
        sheet.print_title_rows = f"{TABLE_HEADER_ROW}:{TABLE_HEADER_ROW}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.horizontalCentered = True
        sheet.protection.sheet = True
        sheet.protection.formatColumns = False


def _wbs_sheet(workbook: Workbook, quote: Quote, styles: _Styles) -> None:
    labels = _LABELS[quote.language]
    sheet = workbook.create_sheet(labels["wbs_sheet"])
    sheet.append(list(labels["wbs_columns"]))
    for cell in sheet[1]:
        cell.style = styles.header
    for number, row in enumerate(quote.wbs, start=2):
        sheet.append(
            [
                row.line,
                row.name,
                row.phase,
                row.role,
                row.quantity,
                row.complexity,
                row.optimistic,
                row.most_likely,
                row.pessimistic,
                round(row.p50, 2),
                round(row.p80, 2),
            ]
        )
        for text_column in range(1, 5):  # user text stays text (never sheet[max_row]: quadratic)
            sheet.cell(row=number, column=text_column).data_type = "s"
    for column, width in zip("ABCDEFGHIJK", (12, 40, 12, 8, 9, 9, 11, 11, 11, 11, 11), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A2"
    sheet.print_title_rows = "1:1"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


def _percentile_sheet(workbook: Workbook, quote: Quote, styles: _Styles) -> None:
    labels = _LABELS[quote.language]
    sheet = workbook.create_sheet(labels["percentile_sheet"])
    sheet.append([labels["level"], *quote.percentile_columns])
    for cell in sheet[1]:
        cell.style = styles.header
    for number, (level, values) in enumerate(quote.percentiles, start=2):
        sheet.append([level, *(round(value, 2) for value in values)])
        for column in range(2, len(values) + 2):
            sheet.cell(row=number, column=column).number_format = "#,##0.00"
    sheet.column_dimensions["A"].width = 12
    for index in range(2, len(quote.percentile_columns) + 2):
        sheet.column_dimensions[get_column_letter(index)].width = 20
    sheet.freeze_panes = "B2"


def quote_workbook(quote: Quote) -> bytes:
    """The quote as .xlsx bytes, reproducible for the same ``quote`` (fixed package dates)."""
    totals = quote_totals(quote.lines, quote.payment, quote.tax_rates)
    workbook = Workbook()
    styles = _Styles(workbook, quote.currency)
    sheet = _QuoteSheet(workbook, quote, styles)
    sheet.header()
    subtotal_rows, first, last = sheet.lines()
    total_row = sheet.totals(subtotal_rows, first, last)
    sheet.in_words(total_row, totals.total)
    sheet.payment(total_row)
    sheet.statements()
    sheet.signature()
    sheet.finish()
    _wbs_sheet(workbook, quote, styles)
    _percentile_sheet(workbook, quote, styles)
    workbook.properties.creator = quote.company
    workbook.properties.title = f"{quote.project} {quote.quote_number}"
    workbook.properties.created = quote.stamp
    buffer = io.BytesIO()
    workbook.save(buffer)
    return normalize_package(buffer.getvalue(), stamp=quote.stamp)
