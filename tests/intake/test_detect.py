"""Header blocks found on every visible sheet, and the role proposed for each column."""

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from app.intake.detect import header_role, propose_mapping
from app.intake.reader import read_workbook
from app.intake.types import BlockMapping, ColumnRole, Compliance
from tests.intake import workbooks
from tests.intake.conftest import LIMITS, Intake

R = ColumnRole


def roles(block: BlockMapping) -> dict[str, ColumnRole]:
    return {column.header: column.role for column in block.columns}


def test_each_table_on_each_visible_sheet_is_one_block(english: Intake) -> None:
    found = [(b.sheet, b.header_rows, b.first_data_row, b.last_row) for b in english.mapping.blocks]
    assert found == [
        ("Requirements", (3,), 4, 9),  # its title row (12) heads the second table
        ("Requirements", (13,), 14, 16),
        ("Service", (1, 2), 3, 7),
        ("Security", (1,), 2, 4),
    ]  # no block on the cover, the print sheet or the hidden sheets


def test_columns_get_their_roles_from_english_headers(english: Intake) -> None:
    first, second = english.mapping.blocks[:2]
    assert roles(first) == {
        "Req ID": R.ID,
        "Category": R.SECTION,
        "Requirement": R.TEXT,
        "Priority (MoSCoW)": R.PRIORITY,
        "Compliance": R.COMPLIANCE,
        "Comments": R.REMARKS,
    }
    assert roles(second) == {
        "Ref": R.ID,
        "Description": R.TEXT,
        "Mandatory": R.MANDATORY,
        "Response": R.RESPONSE,
        "Reference": R.REFERENCE,
    }


def test_a_two_row_merged_header_gives_option_columns_with_their_answers(english: Intake) -> None:
    service = english.mapping.blocks[2]
    options = [(c.column, c.header, c.option) for c in service.columns if c.role == R.OPTION]
    assert options == [
        (3, "Response / Yes", Compliance.COMPLY),
        (4, "Response / In-Part", Compliance.PARTIAL),
        (5, "Response / No", Compliance.NON_COMPLY),
        (6, "Response / N/A", Compliance.NOT_APPLICABLE),
    ]
    assert roles(service)["No."] == R.ID
    assert roles(service)["Comments"] == R.REMARKS


def test_a_dropdown_on_a_hidden_sheet_becomes_the_blocks_answer_options(english: Intake) -> None:
    assert english.mapping.blocks[0].answer_options == ("Comply", "Partial", "Non-comply", "N/A")
    assert english.mapping.blocks[3].answer_options == ("Yes", "Partial", "No")


def test_a_chinese_deviation_table_maps_clause_number_text_response_and_deviation(
    chinese: Intake,
) -> None:
    table, functions = chinese.mapping.blocks
    assert (table.sheet, table.header_rows, table.last_row) == ("技术偏离表", (3,), 10)
    assert roles(table) == {
        "序号": R.IGNORE,  # a row number; the clause number is the requirement's ID
        "招标文件条款号": R.ID,
        "招标要求": R.TEXT,
        "投标响应": R.RESPONSE,
        "偏离情况": R.COMPLIANCE,
        "说明": R.REMARKS,
    }
    assert table.answer_options == ("无偏离", "正偏离", "负偏离")
    assert [(c.header, c.option) for c in functions.columns if c.role == R.OPTION] == [
        ("响应情况 / 满足", Compliance.COMPLY),
        ("响应情况 / 部分满足", Compliance.PARTIAL),
        ("响应情况 / 不满足", Compliance.NON_COMPLY),
    ]


def test_synonyms_match_whole_headers_and_headers_that_contain_them() -> None:
    assert header_role("需求编号") == R.ID
    assert header_role("技术规格要求（详细）") == R.TEXT
    assert header_role("Vendor Response") == R.RESPONSE
    assert header_role("投标文件页码") == R.REFERENCE
    assert header_role("偏离说明") == R.REMARKS
    assert header_role("The system shall support single sign-on for all staff") is None


def _unlabelled_table() -> bytes:
    """Headers nobody would put in a synonym list: the content has to speak."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Code", "Wording", "Level", "Star", "Reply"])
    sheet.append(
        ["AC-030", "The system shall keep an audit trail of every change.", "Must", "★", "Yes"]
    )
    sheet.append(
        ["AC-031", "The system shall export the audit trail to the SIEM.", "Should", "", "No"]
    )
    sheet.append(
        ["AC-032", "The system shall alert on repeated failed log-ins.", "Could", "★", "Yes"]
    )
    dropdown = DataValidation(type="list", formula1='"Yes,No"')
    sheet.add_data_validation(dropdown)
    dropdown.add("E2:E4")
    return workbooks.save(workbook)


def test_content_proposes_roles_the_headers_do_not_name() -> None:
    workbook = read_workbook(_unlabelled_table(), "plain.xlsx", **LIMITS)
    (block,) = propose_mapping(workbook).blocks
    assert roles(block) == {
        "Code": R.ID,
        "Wording": R.TEXT,
        "Level": R.PRIORITY,
        "Star": R.MANDATORY,
        "Reply": R.COMPLIANCE,
    }
    assert block.answer_options == ("Yes", "No")


def test_the_fingerprint_follows_sheet_names_and_headers_not_the_rows(english: Intake) -> None:
    again = read_workbook(workbooks.english_rfp(cached_formulas=False), "v2.xlsx", **LIMITS)
    assert again.fingerprint == english.workbook.fingerprint
    assert propose_mapping(again).fingerprint == english.mapping.fingerprint
    renamed = workbooks.patch_sheet(
        workbooks.english_rfp(), "Security", lambda xml: xml.replace(b">Comments<", b">Notes<")
    )
    assert read_workbook(renamed, "v3.xlsx", **LIMITS).fingerprint != english.workbook.fingerprint


def test_a_workbook_without_tables_proposes_no_blocks() -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "Request for Proposal"
    sheet["A3"] = "Customer:"
    sheet["B3"] = "ACME"
    sheet["A5"] = "Bidders shall answer every requirement in the attached matrix, in English."
    assert (
        propose_mapping(read_workbook(workbooks.save(workbook), "cover.xlsx", **LIMITS)).blocks
        == ()
    )


def test_csv_and_xls_files_get_the_same_kind_of_proposal(
    legacy_xls: bytes, english: Intake
) -> None:
    csv_book = read_workbook(workbooks.csv_bytes("utf-8-sig"), "list.csv", **LIMITS)
    (block,) = propose_mapping(csv_book).blocks
    assert roles(block) == {
        "编号": R.ID,
        "需求描述": R.TEXT,
        "是否满足": R.COMPLIANCE,
        "备注": R.REMARKS,
    }
    xls_book = read_workbook(legacy_xls, "rfp.xls", **LIMITS)
    xls_blocks = [(b.sheet, b.header_rows, roles(b)) for b in propose_mapping(xls_book).blocks]
    assert xls_blocks == [(b.sheet, b.header_rows, roles(b)) for b in english.mapping.blocks]
