"""Uploads refused whole, quickly and in bounded memory, before any parser sees them.

Each attack file is generated here. The time bounds are loose on purpose (CI machines are
slow and shared): they catch a refusal that decompresses or parses, which would take
seconds and hundreds of megabytes, not a few milliseconds more or less.
"""

import time
import tracemalloc
from collections.abc import Callable

import pytest

from app.intake.reader import read_workbook
from app.intake.safety import check_upload
from app.intake.types import IntakeRefusedError
from tests.intake import workbooks

LIMITS = {"max_bytes": 50 * 1024 * 1024, "max_rows": 100_000}


def refusal(data: bytes, file_name: str = "customer.xlsx", **limits: int) -> tuple[str, float, int]:
    """The refusal message, the seconds it took and the peak Python memory it used."""
    arguments = {**LIMITS, **limits}
    started = time.perf_counter()
    with pytest.raises(IntakeRefusedError) as refused:
        read_workbook(data, file_name, **arguments)
    elapsed = time.perf_counter() - started
    tracemalloc.start()
    try:
        with pytest.raises(IntakeRefusedError):
            read_workbook(data, file_name, **arguments)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return refused.value.message, elapsed, peak


@pytest.fixture(scope="module")
def zip_bomb() -> bytes:
    return workbooks.zip_bomb()


def test_a_zip_bomb_is_refused_from_its_declared_sizes_without_decompressing(
    zip_bomb: bytes,
) -> None:
    assert len(zip_bomb) < 8 * 1024 * 1024  # a small upload holding a 1 GiB sheet
    message, seconds, peak = refusal(zip_bomb)
    assert "zip bomb" in message
    assert "1,07" in message  # the declared 1 GiB is named
    assert seconds < 0.05
    assert peak < 1024 * 1024


def test_a_member_that_inflates_past_its_declared_size_is_refused_as_damaged() -> None:
    data = workbooks.english_rfp()
    sheet = workbooks.part_of(data, "Requirements")
    lying = workbooks.with_lying_size(data, sheet, 200)
    message, _, peak = refusal(lying)
    assert "damaged" in message
    assert sheet in message
    assert peak < 4 * 1024 * 1024


def test_an_entity_bomb_is_refused_before_any_xml_parser_expands_it() -> None:
    message, seconds, peak = refusal(workbooks.entity_bomb())
    assert "xl/sharedStrings.xml" in message
    assert "<!DOCTYPE>" in message
    assert seconds < 0.05
    assert peak < 4 * 1024 * 1024


def test_an_entity_declaration_in_the_workbook_part_is_refused_too() -> None:
    data = workbooks.rewrite_parts(
        workbooks.english_rfp(),
        {
            "xl/workbook.xml": lambda xml: xml.replace(
                b"<workbook", b'<!DOCTYPE w [<!ENTITY a "b">]><workbook', 1
            )
        },
    )
    message, _, _ = refusal(data)
    assert "xl/workbook.xml" in message


def test_an_encrypted_workbook_is_refused_with_a_way_out() -> None:
    message, seconds, _ = refusal(workbooks.encrypted_workbook())
    assert "password-protected" in message
    assert "remove the password" in message
    assert seconds < 0.05


@pytest.mark.parametrize(
    ("kind", "words"),
    [("pdf", "PDF document"), ("docx", "Word document"), ("text", "not an Excel workbook")],
)
def test_files_renamed_to_xlsx_are_refused_for_what_they_really_are(kind: str, words: str) -> None:
    message, seconds, _ = refusal(workbooks.renamed(kind), "requirements.xlsx")
    assert words in message
    assert message.startswith("requirements.xlsx: ")
    assert seconds < 0.05


def test_a_file_over_the_size_limit_is_refused_before_anything_else() -> None:
    message, seconds, _ = refusal(workbooks.english_rfp(), max_bytes=1000)
    assert "the limit is 1,000" in message
    assert seconds < 0.01


def test_a_binary_workbook_and_an_empty_file_are_refused() -> None:
    assert ".xlsb" in refusal(workbooks.binary_workbook(), "a.xlsb")[0]
    assert "empty" in refusal(b"", "a.csv")[0]
    assert "binary file" in refusal(b"\x00\x01\x02garbage" * 10, "a.csv")[0]


def test_a_stray_value_far_to_the_right_is_refused_before_calamine_allocates_the_grid() -> None:
    # Without this check calamine asks for 52 GB for these two cells and aborts the process.
    message, seconds, peak = refusal(workbooks.stray_value("XFD100000"))
    assert "XFD100000" in message
    assert "clear the cells outside the table" in message
    assert seconds < 0.1
    assert peak < 4 * 1024 * 1024


def test_values_below_the_row_limit_are_refused_naming_the_sheet_and_row() -> None:
    message, _, _ = refusal(workbooks.stray_value("B200000"))
    assert "sheet 'Sheet' has values down to row 200,000" in message
    assert "the limit is 100,000 rows" in message


def test_the_row_limit_is_configurable() -> None:
    message, _, _ = refusal(workbooks.english_rfp(), max_rows=10)
    assert "sheet 'Requirements'" in message
    assert "the limit is 10 rows" in message


def test_the_row_limit_counts_the_rows_of_all_sheets_together() -> None:
    message, _, _ = refusal(workbooks.large_workbook(60, sheets=2), max_rows=100)
    # 2 × 61 rows, and the 4 rows of the hidden list sheet count too
    assert message.endswith("the workbook has 126 rows across its sheets; the limit is 100 rows")


def test_a_csv_over_the_row_limit_is_refused() -> None:
    message, _, _ = refusal(workbooks.csv_bytes("utf-8"), "list.csv", max_rows=3)
    assert "more than 3 rows" in message


@pytest.mark.parametrize(
    "make",
    [workbooks.english_rfp, workbooks.chinese_tender, workbooks.formatted_to_the_end],
)
def test_real_layouts_pass_the_checks(make: Callable[[], bytes]) -> None:
    assert check_upload(make(), "customer.xlsx", **LIMITS).kind == "xlsx"


def test_a_macro_workbook_is_accepted_as_data() -> None:
    data = workbooks.macro_workbook(workbooks.english_rfp())
    check = check_upload(data, "customer.xlsm", **LIMITS)
    assert check.kind == "xlsm"
    workbook = read_workbook(data, "customer.xlsm", **LIMITS)
    assert workbook.kind == "xlsm"
    assert workbook.cell("Requirements", 5, 1) == "AC-001"
