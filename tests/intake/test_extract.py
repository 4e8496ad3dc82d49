"""Requirements extracted with the proposed mapping, and every problem reported at once."""

from dataclasses import replace

from openpyxl import Workbook

from app.intake.detect import propose_mapping
from app.intake.extract import extract_requirements
from app.intake.reader import read_workbook
from app.intake.types import BlockMapping, WorkbookMapping
from tests.intake import workbooks
from tests.intake.conftest import LIMITS, Intake


def test_ids_come_from_the_id_column_or_from_the_start_of_the_text(
    english: Intake, chinese: Intake
) -> None:
    assert [r.key for r in english.on("Requirements")] == [
        "AC-001",
        "AC-002",
        "AC-003",
        "RP-010",
        "RP-011",
        "NFR-01",
        "NFR-02",
        "NFR-03",
    ]
    assert [r.key for r in english.on("Service")] == ["1", "2", "3", "4"]
    assert [r.key for r in english.on("Security")] == ["AAAI-01", "AAAI-02", "AAAI-03"]
    assert [r.key for r in chinese.on("功能需求")] == ["3.2.1", "3.2.2", "3.2.3"]  # "3.2.2系统…"


def test_a_formula_requirement_gives_its_cached_text(english: Intake) -> None:
    assert english.requirement("Requirements", 7).text == workbooks.FORMULA_TEXT


def test_star_marks_a_mandatory_and_triangle_a_scored_clause(chinese: Intake) -> None:
    first, second, third = chinese.on("技术偏离表")[:3]
    assert (first.mandatory, first.scored, first.priority) == (True, False, "★")
    assert (second.mandatory, second.scored, second.priority) == (False, True, "▲")
    assert (third.mandatory, third.scored, third.priority) == (False, False, "")
    assert first.text.startswith("支持统一身份认证")  # the mark is not part of the text


def test_moscow_must_and_a_yes_in_the_mandatory_column_are_mandatory(english: Intake) -> None:
    assert [r.mandatory for r in english.on("Requirements")] == [
        True,
        True,
        False,
        False,
        False,
        True,
        True,
        False,
    ]
    assert english.requirement("Requirements", 5).priority == "Must"


def test_sections_come_from_merged_rows_and_from_the_category_column(
    english: Intake, chinese: Intake
) -> None:
    assert [r.section for r in chinese.on("技术偏离表")] == [
        "一、平台功能",
        "一、平台功能",
        "一、平台功能",
        "二、性能要求",
        "二、性能要求",
    ]
    assert {r.section for r in english.on("Service")} == {"Service management"}
    assert english.requirement("Requirements", 8).section == "Reporting"


def test_answers_already_in_the_file_are_read(english: Intake, chinese: Intake) -> None:
    assert english.requirement("Requirements", 6).existing_answer == "Comply"
    assert english.requirement("Requirements", 15).existing_answer.startswith("Our platform")
    assert english.requirement("Service", 4).existing_answer == "Yes"
    assert chinese.requirement("技术偏离表", 7).existing_answer == "无偏离"
    assert chinese.requirement("功能需求", 4).existing_answer == "部分满足"  # a √ in that column


def test_an_x_in_two_option_columns_is_a_problem_at_that_cell(english: Intake) -> None:
    assert [str(p) for p in english.extraction.problems] == [
        "Service!E6: more than one answer is marked (Yes, No)"
    ]


def _messy_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Req"
    sheet.append(["ID", "Requirement", "Compliance"])
    sheet.append(["R-1", "The system shall log in users with SSO.", "Yes"])
    sheet.append(["R-2", None, None])  # ID but no text
    sheet.append(["R-1", "The system shall log out idle users.", "Perhaps"])  # duplicate, unknown
    sheet.append(["Security", None, None])  # a lone label: a section
    sheet.append(["R-4", "#REF!", None])  # a cached error: calamine reads it as empty
    sheet.append([None, "Audit logs shall be kept for a year.", None])
    return workbooks.save(workbook)


def test_every_problem_is_reported_with_its_cell_and_nothing_raises() -> None:
    workbook = read_workbook(_messy_workbook(), "messy.xlsx", **LIMITS)
    extraction = extract_requirements(workbook, propose_mapping(workbook))
    assert [str(p).split(" (")[0] for p in extraction.problems] == [
        "Req!B3: the requirement text is empty",
        "Req!A4: the ID R-1 is used again",
        "Req!C4: 'Perhaps' is not an answer word we recognise",
        "Req!B6: the requirement text is empty",
    ]
    assert [(r.row, r.key, r.section) for r in extraction.requirements] == [
        (2, "R-1", ""),
        (4, "R-1", ""),
        (7, "Req!7", "Security"),  # no ID anywhere: the row is its key
    ]


def test_excluded_blocks_and_missing_sheets(english: Intake) -> None:
    blocks = list(english.mapping.blocks)
    blocks[2] = replace(blocks[2], included=False)
    blocks.append(replace(blocks[0], sheet="Gone"))
    mapping = WorkbookMapping(english.mapping.fingerprint, tuple(blocks))
    extraction = extract_requirements(english.workbook, mapping)
    assert not [r for r in extraction.requirements if r.sheet == "Service"]
    assert "Gone: the workbook has no such sheet" in [str(p) for p in extraction.problems]


def test_a_block_without_a_text_column_says_so(english: Intake) -> None:
    block: BlockMapping = english.mapping.blocks[3]
    without_text = replace(
        block, columns=tuple(c for c in block.columns if c.header != "Requirement")
    )
    extraction = extract_requirements(english.workbook, WorkbookMapping("f", (without_text,)))
    assert extraction.requirements == ()
    assert "no column is mapped as the requirement text" in extraction.problems[0].message


def test_an_error_typed_as_text_in_a_csv_is_named() -> None:
    data = b"ID,Requirement\nR-1,#N/A\nR-2,The system shall archive closed cases.\n"
    workbook = read_workbook(data, "errors.csv", **LIMITS)
    extraction = extract_requirements(workbook, propose_mapping(workbook))
    assert [str(p).split(" (")[0] for p in extraction.problems] == [
        "errors!B2: the cell shows the error #N/A",
        "errors!B2: the requirement text is empty",
    ]
    assert [r.key for r in extraction.requirements] == ["R-2"]
