"""The standalone 技术偏离表 / compliance matrix."""

import io
import zipfile

import openpyxl
import pytest

from app.intake.matrix import compliance_matrix_xlsx
from app.intake.types import Answer, Compliance
from tests.intake.conftest import Intake


def answers_for(source: Intake) -> list[Answer]:
    first, *rest = source.extraction.requirements
    return [
        Answer(first.sheet, first.row, Compliance.NON_COMPLY, "=SUM(A1:A9)", "第3章", "二期")
    ] + [Answer(r.sheet, r.row, Compliance.COMPLY, "完全满足", "", "") for r in rest[:-1]]


@pytest.fixture(scope="module")
def chinese_matrix(chinese: Intake) -> openpyxl.Workbook:
    data = compliance_matrix_xlsx(
        chinese.extraction.requirements, answers_for(chinese), language="zh", title="技术偏离表"
    )
    return openpyxl.load_workbook(io.BytesIO(data))


def test_the_chinese_matrix_has_the_deviation_table_columns(
    chinese_matrix: openpyxl.Workbook,
) -> None:
    sheet = chinese_matrix.active
    assert sheet.title == "技术偏离表"
    assert [cell.value for cell in sheet[2]] == [
        "序号",
        "招标文件条款号",
        "招标要求",
        "投标响应",
        "偏离情况",
        "说明",
    ]
    assert sheet["A1"].value == "技术偏离表"
    assert sheet["A3"].value == "一、平台功能"


def test_a_mandatory_clause_with_a_negative_deviation_is_flagged(
    chinese_matrix: openpyxl.Workbook,
) -> None:
    sheet = chinese_matrix.active
    row = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == "3.1.1")
    assert row[2].value.startswith("★支持统一身份认证")
    assert row[4].value == "负偏离"
    assert row[5].value.startswith("警告：★实质性条款为负偏离")
    assert "参见：第3章" in row[5].value
    assert row[4].fill.fgColor.rgb.endswith("FFC7CE")
    scored = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == "3.1.2")
    assert scored[2].value.startswith("▲")
    assert scored[4].value == "无偏离"
    assert scored[4].fill.fgColor.rgb != row[4].fill.fgColor.rgb


def test_customer_and_answer_text_never_becomes_a_formula(chinese: Intake) -> None:
    data = compliance_matrix_xlsx(
        chinese.extraction.requirements, answers_for(chinese), language="zh", title="=HYPERLINK(1)"
    )
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert b"<f>" not in archive.read("xl/worksheets/sheet1.xml")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet["A1"].value == "=HYPERLINK(1)"
    assert sheet["A1"].data_type == "s"


def test_sections_and_sheets_head_their_rows_and_a_summary_counts_them(
    chinese_matrix: openpyxl.Workbook,
) -> None:
    sheet = chinese_matrix.active
    merged = {str(area) for area in sheet.merged_cells.ranges}
    headings = [
        row[0].value
        for row in sheet.iter_rows(min_row=3)
        if f"A{row[0].row}:F{row[0].row}" in merged
    ]
    assert headings == ["一、平台功能", "二、性能要求", "功能需求"]
    last = [row[0].value for row in sheet.iter_rows() if row[0].value][-1]
    assert last == "共 8 条要求；★负偏离 1 条；未答复 1 条"


def test_the_matrix_is_set_up_for_printing_in_a_chinese_font(
    chinese_matrix: openpyxl.Workbook,
) -> None:
    sheet = chinese_matrix.active
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.print_title_rows == "$2:$2"
    assert sheet.freeze_panes == "A3"
    assert sheet["C4"].font.name == "宋体"


def test_the_english_matrix_uses_compliance_words(english: Intake) -> None:
    requirements = english.extraction.requirements
    answers = [
        Answer(r.sheet, r.row, Compliance.PARTIAL, "Via add-on", "", "") for r in requirements
    ]
    data = compliance_matrix_xlsx(requirements, answers, language="en", title="Compliance matrix")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert [cell.value for cell in sheet[2]] == [
        "No.",
        "Clause",
        "Requirement",
        "Response",
        "Compliance",
        "Remarks",
    ]
    first = next(r for r in sheet.iter_rows(min_row=3) if r[1].value == "AC-001")
    assert (first[0].value, first[4].value) == (1, "Partial")
    assert first[5].value.startswith("Warning: a mandatory")
    untitled = next(r for r in sheet.iter_rows(min_row=3) if r[2].value and "sandbox" in r[2].value)
    assert untitled[5].value is None  # partial, but not mandatory: no warning
