"""Dropdown lists read from the sheet XML, both the classic and the x14 kind."""

from openpyxl import Workbook
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from app.intake.reader import read_workbook
from app.intake.types import CellRange, Validation
from tests.intake import workbooks
from tests.intake.conftest import LIMITS, Intake


def _lists_workbook() -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Matrix"
    sheet.append(["Requirement", "A", "B", "C", "D", "E"])
    sheet["H1"], sheet["H2"], sheet["H3"] = "Fully", "Partly", "Not at all"
    hidden = workbook.create_sheet("Answer 'lists'")
    for row, word in enumerate(["满足", "部分满足", "不满足", None, "不适用"], start=1):
        hidden.cell(row, 1, word)
    hidden.sheet_state = "veryHidden"
    workbook.defined_names["AnswerWords"] = DefinedName(
        "AnswerWords", attr_text="'Answer ''lists'''!$A$1:$A$5"
    )
    rules = {
        "B2:B9": '"Yes, No ,Partial"',
        "C2:C9": "$H$1:$H$3",
        "D2:D9": "AnswerWords",
        "E2:E9": "INDIRECT(A1)",
    }
    for sqref, formula in rules.items():
        rule = DataValidation(type="list", formula1=formula)
        sheet.add_data_validation(rule)
        rule.add(sqref)
    whole_numbers = DataValidation(type="whole", operator="between", formula1="1", formula2="5")
    sheet.add_data_validation(whole_numbers)
    whole_numbers.add("G2:G9")
    data = workbooks.save(workbook)
    return workbooks.with_x14_list(data, "Matrix", "F2:F9 F12", "'Answer ''lists'''!$A$1:$A$3")


def test_every_kind_of_list_resolves_to_its_option_texts() -> None:
    workbook = read_workbook(_lists_workbook(), "lists.xlsx", **LIMITS)
    matrix = workbook.sheet("Matrix")
    assert [(v.ranges[0].first_column, v.options) for v in matrix.validations] == [
        (2, ("Yes", "No", "Partial")),  # inline list, spaces trimmed
        (3, ("Fully", "Partly", "Not at all")),  # a range on the same sheet
        (4, ("满足", "部分满足", "不满足", "不适用")),  # a defined name on a very hidden sheet
        (6, ("满足", "部分满足", "不满足")),  # x14, quoted sheet name with an apostrophe
    ]  # INDIRECT() cannot be resolved and a whole-number rule is no list


def test_an_x14_validation_keeps_all_its_ranges() -> None:
    matrix = read_workbook(_lists_workbook(), "lists.xlsx", **LIMITS).sheet("Matrix")
    x14 = matrix.validations[-1]
    assert x14.ranges == (CellRange(2, 6, 9, 6), CellRange(12, 6, 12, 6))
    assert matrix.options_at(12, 6) == ("满足", "部分满足", "不满足")
    assert matrix.options_at(10, 6) == ()


def test_the_generated_rfp_holds_an_x14_list_on_a_hidden_sheet(english: Intake) -> None:
    assert english.workbook.sheet("Requirements").validations == (
        Validation((CellRange(5, 5, 9, 5),), ("Comply", "Partial", "Non-comply", "N/A")),
    )
