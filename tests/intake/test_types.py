"""The answer vocabulary in both languages, and mappings that survive storage as JSON."""

import pytest

from app.intake.types import (
    BlockMapping,
    ColumnMapping,
    ColumnRole,
    Compliance,
    Problem,
    WorkbookMapping,
    column_letters,
    compliance_label,
    deviation_label,
    parse_compliance,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Yes", Compliance.COMPLY),
        ("Fully Compliant", Compliance.COMPLY),
        ("满足", Compliance.COMPLY),
        ("无偏离", Compliance.COMPLY),
        ("In-Part", Compliance.PARTIAL),
        ("部分满足", Compliance.PARTIAL),
        ("部分满足，见技术方案3.2节", Compliance.PARTIAL),
        ("Partially compliant", Compliance.PARTIAL),
        ("No", Compliance.NON_COMPLY),
        ("不满足", Compliance.NON_COMPLY),
        ("负偏离", Compliance.NON_COMPLY),
        ("N/A", Compliance.NOT_APPLICABLE),
        ("不适用", Compliance.NOT_APPLICABLE),
        ("正偏离", Compliance.EXCEEDS),
        ("Yes, through the SSO module", Compliance.COMPLY),
        ("Maybe later", None),
        ("", None),
    ],
)
def test_answers_are_read_in_the_customers_own_words(
    text: str, expected: Compliance | None
) -> None:
    assert parse_compliance(text) == expected


def test_a_whole_cell_reading_refuses_sentences_that_merely_start_with_an_answer() -> None:
    assert parse_compliance("Yes, through the SSO module", whole=True) is None
    assert parse_compliance("部分满足", whole=True) == Compliance.PARTIAL


def test_compliance_has_labels_in_both_languages_and_chinese_deviations() -> None:
    assert [compliance_label(value, "zh") for value in Compliance] == [
        "满足",
        "部分满足",
        "不满足",
        "不适用",
        "优于要求",
    ]
    assert compliance_label(Compliance.NON_COMPLY, "en") == "Non-comply"
    assert [deviation_label(value) for value in Compliance] == [
        "无偏离",
        "负偏离",
        "负偏离",
        "不适用",
        "正偏离",
    ]
    assert deviation_label(Compliance.EXCEEDS, "en") == "Positive deviation"


def test_every_label_reads_back_as_its_own_answer() -> None:
    for value in Compliance:
        assert parse_compliance(compliance_label(value, "zh")) == value
        assert parse_compliance(compliance_label(value, "en")) == value


def test_problems_name_the_cell_the_way_excel_does() -> None:
    assert Problem("技术偏离表", 12, 28, "empty").location == "技术偏离表!AB12"
    assert Problem("Sheet1", 3, None, "x").location == "Sheet1, row 3"
    assert str(Problem("Sheet1", None, None, "no table")) == "Sheet1: no table"
    assert [column_letters(n) for n in (1, 26, 27, 702, 703)] == ["A", "Z", "AA", "ZZ", "AAA"]


def test_a_confirmed_mapping_round_trips_through_json() -> None:
    mapping = WorkbookMapping(
        fingerprint="abc",
        blocks=(
            BlockMapping(
                sheet="功能需求",
                header_rows=(1, 2),
                first_data_row=3,
                last_row=40,
                columns=(
                    ColumnMapping(1, "需求描述", ColumnRole.TEXT),
                    ColumnMapping(2, "响应情况 / 满足", ColumnRole.OPTION, Compliance.COMPLY),
                ),
                included=False,
                answer_options=("满足", "不满足"),
            ),
        ),
    )
    assert WorkbookMapping.from_json(mapping.to_json()) == mapping
    assert "需求描述" in mapping.to_json()  # stored readable, not \\u-escaped
