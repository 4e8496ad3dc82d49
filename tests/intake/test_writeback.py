"""Answers written into the customer's own package; everything else stays as it was."""

import csv
import io
import re
import warnings
import zipfile
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest
from openpyxl import Workbook

from app.intake.reader import read_workbook
from app.intake.types import (
    Answer,
    ColumnMapping,
    ColumnRole,
    Compliance,
    IntakeRefusedError,
    WorkbookMapping,
)
from app.intake.writeback import plan_answers, write_answers, write_answers_reporting
from tests.documents.office import convert
from tests.intake import workbooks
from tests.intake.conftest import LIMITS, Intake, intake

C = Compliance
CYCLE = [C.COMPLY, C.PARTIAL, C.NON_COMPLY, C.NOT_APPLICABLE, C.EXCEEDS]


def answer_everything(source: Intake) -> list[Answer]:
    """One answer per requirement, cycling through every kind of answer."""
    return [
        Answer(r.sheet, r.row, CYCLE[n % 5], f"=Response {n} <&>", f"Ch. {n}", "")
        for n, r in enumerate(source.extraction.requirements)
    ]


def members(data: bytes) -> dict[str, tuple[int, bytes]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {i.filename: (i.compress_type, archive.read(i)) for i in archive.infolist()}


def sheet_xml(data: bytes, sheet: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return archive.read(workbooks.part_of(data, sheet))


def cell_xml(xml: bytes, ref: str) -> bytes:
    found = re.search(rb'<c r="' + ref.encode() + rb'"[^>]*?(?:/>|>.*?</c>)', xml, re.S)
    assert found is not None, ref
    return found.group(0)


@pytest.fixture(scope="module")
def exported(english_shared: Intake) -> bytes:
    source = english_shared
    return write_answers(
        source.data, "rfp.xlsx", source.mapping, answer_everything(source), language="en"
    )


def test_only_the_answered_sheets_change_and_every_other_part_is_byte_identical(
    english_shared: Intake, exported: bytes
) -> None:
    before, after = members(english_shared.data), members(exported)
    assert list(after) == list(before)  # same members, same order
    assert {name: kind for name, (kind, _) in after.items()} == {
        name: kind for name, (kind, _) in before.items()
    }
    assert {"xl/comments/comment1.xml", "xl/drawings/commentsDrawing1.vml"} <= set(before)
    changed = {name for name in before if before[name][1] != after[name][1]}
    assert changed == {
        workbooks.part_of(exported, s) for s in ("Requirements", "Service", "Security")
    }


def test_validations_formats_and_merges_after_the_cell_data_are_untouched(
    english_shared: Intake, exported: bytes
) -> None:
    for sheet in ("Requirements", "Service", "Security"):
        before, after = sheet_xml(english_shared.data, sheet), sheet_xml(exported, sheet)
        assert after.split(b"</sheetData>")[1] == before.split(b"</sheetData>")[1]
    requirements = sheet_xml(exported, "Requirements")
    assert requirements.count(b"<x14:dataValidation ") == 1
    assert requirements.count(b"<x14:conditionalFormatting ") == 1
    assert requirements.count(b"<conditionalFormatting ") == 1
    assert sheet_xml(exported, "Security").count(b"<dataValidation ") == 1


def test_the_answers_read_back_through_the_importer(
    english_shared: Intake, exported: bytes
) -> None:
    again = intake(exported, "rfp.xlsx")
    assert again.mapping == english_shared.mapping  # the answered file maps itself the same way
    answers = {(r.sheet, r.row): r.existing_answer for r in again.extraction.requirements}
    assert answers[("Requirements", 5)] == "Comply"
    assert answers[("Requirements", 7)] == "Non-comply"  # the dropdown's own word
    assert answers[("Requirements", 9)] == "Comply"  # "exceeds" in a list without it
    assert answers[("Requirements", 14)].startswith("Comply. =Response 5")  # no compliance column
    assert answers[("Service", 4)] == "N/A"
    assert answers[("Service", 6)] == "Yes"  # the customer's second X (No) was removed
    assert answers[("Security", 2)] == "No"
    assert again.extraction.problems == ()


def test_answer_cells_keep_their_style_and_hold_text_never_a_formula(
    english_shared: Intake, exported: bytes
) -> None:
    written = cell_xml(sheet_xml(exported, "Service"), "G4")
    assert b't="inlineStr"' in written
    assert b"<f>" not in written
    assert b"=Response 8 &lt;&amp;&gt;" in written
    for ref in ("E5", "F6"):  # shaded answer cells, one of them held "Comply" before
        original = cell_xml(sheet_xml(english_shared.data, "Requirements"), ref)
        answered = cell_xml(sheet_xml(exported, "Requirements"), ref)
        style = re.search(rb's="\d+"', original)
        assert style is not None
        assert style.group(0) in answered
        assert b't="inlineStr"' in answered


def test_openpyxl_opens_the_result_and_sees_text(exported: bytes) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # openpyxl cannot read x14 extensions
        book = openpyxl.load_workbook(io.BytesIO(exported))
    cell = book["Requirements"]["F5"]
    assert (cell.value, cell.data_type) == ("=Response 0 <&>", "s")
    assert book["Service"]["C6"].value == "X"
    assert book["Service"]["E6"].value is None


def test_libreoffice_opens_the_results_and_sees_the_answers(
    exported: bytes, chinese: Intake, tmp_path: Path
) -> None:
    english_file = tmp_path / "rfp.xlsx"
    english_file.write_bytes(exported)
    chinese_file = tmp_path / "偏离表.xlsx"
    chinese_file.write_bytes(
        write_answers(
            chinese.data, "t.xlsx", chinese.mapping, answer_everything(chinese), language="zh"
        )
    )
    resaved = convert([english_file, chinese_file], "xlsx", tmp_path / "lo")
    english_again = read_workbook(resaved[0].read_bytes(), "rfp.xlsx", **LIMITS)
    assert english_again.cell("Service", 6, 3) == "X"
    assert english_again.cell("Requirements", 5, 6) == "=Response 0 <&>"  # still text
    chinese_again = read_workbook(resaved[1].read_bytes(), "t.xlsx", **LIMITS)
    assert chinese_again.cell("技术偏离表", 6, 5) == "负偏离"


def test_a_chinese_deviation_table_gets_its_own_dropdown_words(chinese: Intake) -> None:
    answers = [
        Answer("技术偏离表", 5, C.COMPLY, "完全支持，见方案3.1节", "第12页", "无"),
        Answer("技术偏离表", 6, C.EXCEEDS, "支持SM2/SM3/SM4及SM9", "", ""),
        Answer("技术偏离表", 7, C.PARTIAL, "", "", "二期实现"),
        Answer("功能需求", 3, C.PARTIAL, "", "", "需定制开发"),
        Answer("功能需求", 4, C.COMPLY, "", "", ""),
    ]
    result = write_answers(chinese.data, "t.xlsx", chinese.mapping, answers, language="zh")
    book = read_workbook(result, "t.xlsx", **LIMITS)
    assert [book.cell("技术偏离表", row, 5) for row in (5, 6, 7)] == ["无偏离", "正偏离", "负偏离"]
    assert book.cell("技术偏离表", 5, 4) == "完全支持，见方案3.1节"
    assert book.cell("技术偏离表", 7, 4) is None  # no response given: nothing written
    assert book.cell("技术偏离表", 7, 6) == "二期实现"
    assert [book.cell("功能需求", 3, c) for c in (2, 3, 4, 5)] == [None, "X", None, "需定制开发"]
    assert [book.cell("功能需求", 4, c) for c in (2, 3, 4)] == ["X", None, None]  # √ removed


def test_an_empty_answer_field_leaves_the_customers_text_alone(english: Intake) -> None:
    answers = [Answer("Requirements", 15, None, "", "see appendix B", "")]
    result = write_answers(english.data, "rfp.xlsx", english.mapping, answers, language="en")
    book = read_workbook(result, "rfp.xlsx", **LIMITS)
    assert book.cell("Requirements", 15, 4) == "Our platform meets this with a CDN and caching."
    assert book.cell("Requirements", 15, 5) == "see appendix B"


def _merged_answer_cells() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["ID", "Requirement", "Response", None, "Compliance"])
    sheet.merge_cells("C1:D1")
    sheet.append(["R-1", "The system shall print invoices.", None, None, '=IF(A2="","","Yes")'])
    sheet.merge_cells("C2:D2")
    return workbooks.save(workbook)


def test_a_merged_answer_cell_is_written_at_its_top_left_and_formulas_are_left_alone() -> None:
    source = intake(_merged_answer_cells(), "merged.xlsx")
    block = source.mapping.blocks[0]
    # The bid team clicked column D, inside the merged C:D response area.
    columns = tuple(
        ColumnMapping(4, c.header, c.role) if c.role == ColumnRole.RESPONSE else c
        for c in block.columns
        if c.column != 4
    )
    mapping = WorkbookMapping("m", (replace(block, columns=columns),))
    answers = [Answer("Sheet", 2, C.COMPLY, "Printed from the billing module.", "", "")]
    result, problems = write_answers_reporting(
        source.data, "merged.xlsx", mapping, answers, language="en"
    )
    xml = sheet_xml(result, "Sheet")
    assert b"Printed from the billing module." in cell_xml(xml, "C2")
    assert b'r="D2"' not in xml or b"Printed" not in cell_xml(xml, "D2")
    assert [str(p) for p in problems] == [
        "Sheet!E2: the cell holds a formula; it was left unchanged"
    ]
    assert b"<f>" in cell_xml(xml, "E2")


def test_missing_cells_and_rows_are_created_in_order(english: Intake) -> None:
    first = replace(english.mapping.blocks[0], last_row=11)
    mapping = WorkbookMapping("m", (first,))
    answers = [
        Answer("Requirements", 11, C.COMPLY, "", "", "a note on an empty row"),
        Answer("Requirements", 8, C.PARTIAL, "", "", "later"),
    ]
    result = write_answers(english.data, "rfp.xlsx", mapping, answers, language="en")
    xml = sheet_xml(result, "Requirements")
    rows = [int(n) for n in re.findall(rb'<row r="(\d+)"', xml)]
    assert rows == sorted(rows)
    assert 11 in rows
    for row in re.findall(rb"<row .*?</row>", xml, re.S):
        columns = re.findall(rb'<c r="([A-Z]+)\d+"', row)
        assert columns == sorted(columns, key=lambda ref: (len(ref), ref))
    book = read_workbook(result, "rfp.xlsx", **LIMITS)
    assert (book.cell("Requirements", 11, 5), book.cell("Requirements", 11, 6)) == (
        "Comply",
        "a note on an empty row",
    )


def test_a_macro_workbook_keeps_its_vba_project_byte_for_byte(english: Intake) -> None:
    data = workbooks.macro_workbook(english.data)
    result = write_answers(
        data, "rfp.xlsm", english.mapping, answer_everything(english), language="en"
    )
    before, after = members(data), members(result)
    assert after["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    assert after["[Content_Types].xml"] == before["[Content_Types].xml"]
    assert read_workbook(result, "rfp.xlsm", **LIMITS).kind == "xlsm"


def test_plan_reports_answers_it_cannot_place(chinese: Intake) -> None:
    answers = [
        Answer("功能需求", 3, C.NOT_APPLICABLE, "", "", ""),  # no 不适用 column
        Answer("封面", 2, C.COMPLY, "x", "", ""),  # not in any table
    ]
    plan = plan_answers(chinese.mapping, answers, language="zh")
    assert [str(p) for p in plan.problems] == [
        "功能需求, row 3: the table has no answer column for 'N/A'",
        "封面, row 2: no included table covers this row",
    ]


@pytest.mark.parametrize(("encoding", "delimiter"), [("utf-8-sig", ","), ("gbk", ";")])
def test_a_csv_comes_back_in_its_own_encoding_with_formula_safe_answers(
    encoding: str, delimiter: str
) -> None:
    original = workbooks.csv_bytes(encoding, delimiter=delimiter)
    source = intake(original, "list.csv")
    answers = [
        Answer("list", 2, C.COMPLY, "", "", "=cmd|' /C calc'!A0"),
        Answer("list", 3, C.PARTIAL, "", "", "二期实现"),
    ]
    result = write_answers(original, "list.csv", source.mapping, answers, language="zh")
    text = result.decode(encoding)
    assert text.splitlines()[1].split(delimiter)[2:] == ["满足", "'=cmd|' /C calc'!A0"]
    assert text.splitlines()[2].split(delimiter)[2:] == ["部分满足", "二期实现"]
    assert text.splitlines()[0] == original.decode(encoding).splitlines()[0]
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    assert rows[4][1].startswith('=HYPERLINK("http://x")')  # the customer's cells stay as they were


def test_a_legacy_xls_is_refused_with_the_matrix_offered_instead(
    legacy_xls: bytes, english: Intake
) -> None:
    with pytest.raises(IntakeRefusedError, match="compliance matrix"):
        write_answers(
            legacy_xls, "rfp.xls", english.mapping, answer_everything(english), language="en"
        )
