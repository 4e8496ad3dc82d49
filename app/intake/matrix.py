"""The standalone 技术偏离表 / compliance matrix, for any customer file (also .xls and .csv).

One row per requirement in the customer's order, section headings as merged rows, ★ and
▲ kept in front of the text. A ★ requirement answered with a negative deviation is
highlighted and carries a warning, because in a Chinese tender one such answer makes the
whole bid invalid. Every text cell is forced to text (``data_type = "s"``): a customer's
requirement that starts with "=" must never become a formula.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.worksheet.worksheet import Worksheet

from app.intake.types import Answer, Compliance, Requirement, compliance_label, deviation_label

HEADERS = {
    "zh": ("序号", "招标文件条款号", "招标要求", "投标响应", "偏离情况", "说明"),
    "en": ("No.", "Clause", "Requirement", "Response", "Compliance", "Remarks"),
}
WIDTHS = (7, 16, 60, 48, 13, 36)
WARNING = {
    "zh": "警告：★实质性条款为负偏离，将导致投标无效",
    "en": "Warning: a mandatory (★) requirement answered with a negative deviation may "
    "invalidate the bid",
}
SEE = {"zh": "参见：{reference}", "en": "See: {reference}"}
SUMMARY = {
    "zh": "共 {count} 条要求；★负偏离 {warnings} 条；未答复 {open} 条",
    "en": "{count} requirements; {warnings} mandatory with negative deviation; {open} unanswered",
}
NEGATIVE = frozenset({Compliance.PARTIAL, Compliance.NON_COMPLY})
THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
SECTION_FILL = PatternFill("solid", fgColor="F2F2F2")
WARNING_FILL = PatternFill("solid", fgColor="FFC7CE")


def compliance_matrix_xlsx(
    requirements: Sequence[Requirement],
    answers: Sequence[Answer],
    *,
    language: str,
    title: str,
) -> bytes:
    """The matrix as .xlsx bytes; ``answers`` are matched to requirements by sheet and row."""
    language = "zh" if language.startswith("zh") else "en"
    font = "宋体" if language == "zh" else "Calibri"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "技术偏离表" if language == "zh" else "Compliance matrix"
    _title(sheet, title, font)
    _header(sheet, language, font)
    by_row = {(answer.sheet, answer.row): answer for answer in answers}
    warnings, unanswered = _rows(sheet, requirements, by_row, language, font)
    summary = SUMMARY[language].format(count=len(requirements), warnings=warnings, open=unanswered)
    _text(sheet.cell(sheet.max_row + 2, 1), summary, Font(name=font, italic=True))
    _print_setup(sheet)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _title(sheet: Worksheet, title: str, font: str) -> None:
    cell = sheet.cell(1, 1)
    _text(cell, title, Font(name=font, bold=True, size=14))
    cell.alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(WIDTHS))
    sheet.row_dimensions[1].height = 28


def _header(sheet: Worksheet, language: str, font: str) -> None:
    for column, (label, width) in enumerate(zip(HEADERS[language], WIDTHS, strict=True), 1):
        cell = sheet.cell(2, column)
        _text(cell, label, Font(name=font, bold=True))
        cell.fill, cell.border = HEADER_FILL, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        sheet.column_dimensions[cell.column_letter].width = width


def _rows(
    sheet: Worksheet,
    requirements: Sequence[Requirement],
    answers: dict[tuple[str, int], Answer],
    language: str,
    font: str,
) -> tuple[int, int]:
    """Write the requirement rows; return (★ negative deviations, unanswered)."""
    heading: tuple[str, str] = ("", "")
    several_sheets = len({requirement.sheet for requirement in requirements}) > 1
    warnings, unanswered = 0, 0
    for number, requirement in enumerate(requirements, start=1):
        if (requirement.sheet, requirement.section) != heading:
            heading = (requirement.sheet, requirement.section)
            text = requirement.section or (requirement.sheet if several_sheets else "")
            if text:
                _section_row(sheet, text, font)
        answer = answers.get((requirement.sheet, requirement.row))
        warn = bool(requirement.mandatory and answer and answer.compliance in NEGATIVE)
        warnings += warn
        unanswered += answer is None or (answer.compliance is None and not answer.response)
        _requirement_row(
            sheet, number, requirement, answer=answer, language=language, font=font, warn=warn
        )
    return warnings, unanswered


def _section_row(sheet: Worksheet, section: str, font: str) -> None:
    row = sheet.max_row + 1
    cell = sheet.cell(row, 1)
    _text(cell, section, Font(name=font, bold=True))
    cell.fill = SECTION_FILL
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(WIDTHS))


def _requirement_row(
    sheet: Worksheet,
    number: int,
    requirement: Requirement,
    *,
    answer: Answer | None,
    language: str,
    font: str,
    warn: bool,
) -> None:
    row = sheet.max_row + 1
    marks = ("★" if requirement.mandatory else "") + ("▲" if requirement.scored else "")
    clause = "" if requirement.key == f"{requirement.sheet}!{requirement.row}" else requirement.key
    values: tuple[str | int, ...] = (
        number,
        clause,
        marks + requirement.text,
        answer.response if answer else "",
        _deviation(answer, language),
        _remarks(answer, language, warn=warn),
    )
    for column, value in enumerate(values, start=1):
        cell = sheet.cell(row, column)
        _text(
            cell,
            value,
            Font(name=font, bold=warn and column == 5, color="9C0006" if warn else None),
        )
        cell.border = BORDER
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if warn:
            cell.fill = WARNING_FILL


def _deviation(answer: Answer | None, language: str) -> str:
    if answer is None or answer.compliance is None:
        return ""
    if language == "zh":
        return deviation_label(answer.compliance, "zh")
    return compliance_label(answer.compliance, "en")


def _remarks(answer: Answer | None, language: str, *, warn: bool) -> str:
    parts = [WARNING[language]] if warn else []
    if answer is not None:
        parts.append(answer.remarks)
        if answer.reference:
            parts.append(SEE[language].format(reference=answer.reference))
    return "\n".join(part for part in parts if part)


def _text(cell: Cell, value: str | int, font: Font) -> None:
    """Text stays text: openpyxl would turn "=…" into a live formula."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"
    cell.font = font


def _print_setup(sheet: Worksheet) -> None:
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.oddFooter.center.text = "&P / &N"
