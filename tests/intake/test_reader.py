"""Reading workbooks and CSV files into trimmed grids of cached values."""

import datetime

from openpyxl import Workbook

from app.intake.reader import read_workbook, trim_rows
from app.intake.types import CellRange
from tests.intake import workbooks
from tests.intake.conftest import LIMITS, Intake


def test_every_sheet_is_listed_in_order_with_its_visibility(english: Intake) -> None:
    sheets = [(sheet.name, sheet.visible) for sheet in english.workbook.sheets]
    assert sheets == [
        ("Cover", True),
        ("Requirements", True),
        ("Service", True),
        ("Security", True),
        ("Old version", False),
        ("Lists", False),
        ("Print", True),
    ]
    assert english.workbook.kind == "xlsx"


def test_formula_cells_give_their_cached_values(english: Intake) -> None:
    assert english.workbook.cell("Requirements", 7, 3) == workbooks.FORMULA_TEXT


def test_merged_ranges_are_kept_with_1_based_coordinates(english: Intake) -> None:
    service = english.workbook.sheet("Service")
    assert CellRange(1, 3, 1, 6) in service.merged
    assert service.merged_at(1, 5) == CellRange(1, 3, 1, 6)
    assert service.merged_at(4, 2) is None


def test_a_print_sheet_declared_a1_to_xfd847_is_trimmed_to_its_values(english: Intake) -> None:
    printout = next(sheet for sheet in english.workbook.sheets if sheet.name == "Print")
    assert (printout.rows, printout.columns) == (3, 1)


def test_formatted_empty_rows_down_to_row_1048576_are_ignored() -> None:
    data = workbooks.formatted_to_the_end()
    workbook = read_workbook(data, "long.xlsx", **LIMITS)
    assert [(sheet.rows, sheet.columns) for sheet in workbook.sheets] == [(3, 3)]


def test_shared_strings_and_inline_strings_read_the_same(
    english: Intake, english_shared: Intake
) -> None:
    assert english_shared.workbook.data == english.workbook.data


def test_cell_values_become_plain_python_scalars() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([1.0, 2.5, datetime.date(2025, 3, 1), True, "  ", "text"])
    parsed = read_workbook(workbooks.save(workbook), "v.xlsx", **LIMITS)
    assert parsed.sheet("Sheet").rows == ((1, 2.5, "2025-03-01", True, None, "text"),)
    assert parsed.cell("Sheet", 1, 1) == 1
    assert parsed.cell("Sheet", 9, 9) is None


def test_trailing_blank_cells_and_rows_are_trimmed() -> None:
    assert trim_rows([["", "a", ""], ["", "", ""], [" ", "", "b"], ["", "", ""]]) == (
        (None, "a"),
        (),
        (None, None, "b"),
    )


def test_a_chart_sheet_is_skipped() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "Requirement"
    workbook.create_chartsheet("Chart")
    parsed = read_workbook(workbooks.save(workbook), "chart.xlsx", **LIMITS)
    assert [sheet.name for sheet in parsed.sheets] == ["Sheet"]


def test_a_utf8_csv_with_a_byte_order_mark_is_one_sheet_named_after_the_file() -> None:
    parsed = read_workbook(workbooks.csv_bytes("utf-8-sig"), "需求清单.csv", **LIMITS)
    assert parsed.kind == "csv"
    assert [sheet.name for sheet in parsed.sheets] == ["需求清单"]
    assert parsed.cell("需求清单", 1, 1) == "编号"  # no BOM glued to the first header
    assert parsed.cell("需求清单", 2, 1) == "3.1.1"


def test_a_gbk_csv_with_semicolons_is_decoded_and_split() -> None:
    parsed = read_workbook(workbooks.csv_bytes("gbk", delimiter=";"), "list.csv", **LIMITS)
    assert parsed.cell("list", 1, 2) == "需求描述"
    assert parsed.cell("list", 3, 2) == workbooks.DEVIATION[2][1]
    assert parsed.sheets[0].columns == 4


def test_a_tab_separated_file_is_read_too() -> None:
    parsed = read_workbook(workbooks.csv_bytes("utf-8", delimiter="\t"), "list.txt", **LIMITS)
    assert parsed.cell("list", 5, 1) == "3.1.9"


def test_a_legacy_xls_reads_like_the_xlsx_it_was_saved_from(
    legacy_xls: bytes, english: Intake
) -> None:
    parsed = read_workbook(legacy_xls, "rfp.xls", **LIMITS)
    assert parsed.kind == "xls"
    assert [(s.name, s.visible) for s in parsed.sheets] == [
        (s.name, s.visible) for s in english.workbook.sheets
    ]
    assert parsed.cell("Requirements", 7, 3) == workbooks.FORMULA_TEXT
    assert CellRange(1, 3, 1, 6) in parsed.sheet("Service").merged
    assert parsed.sheet("Security").rows == english.workbook.sheet("Security").rows
