"""History import: header synonyms, row checks located to the cell, safe reading, storing."""

import csv
import hashlib
import io
import zipfile
from datetime import date
from typing import Any

import openpyxl
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

import estimation
from app.db import write_session
from app.errors import FieldError, ImportRejectedError
from app.models import HistoryImport, HistoryProject, HistorySource, HistoryTask
from app.services import history
from app.services.history_import import (
    HistoryField,
    RowKind,
    check_rows,
    find_header,
    parse_date,
    parse_number,
    propose_mapping,
    read_grid,
)
from app.services.seed import seed_all
from tests.conftest import DATA_DIR

LIMIT = 5 * 1024 * 1024


def _csv(rows: list[list[Any]], *, encoding: str = "utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def _xlsx(rows: list[list[Any]], *, title: str = "工时") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _check(data: bytes, name: str, kind: RowKind = RowKind.TASKS) -> Any:
    grid = read_grid(data, name, max_bytes=LIMIT)
    header = find_header(grid.rows)
    assert header is not None
    mapping = {field: index for index, field in propose_mapping(grid.rows[header]).items()}
    return check_rows(grid, file_name=name, kind=kind, mapping=mapping)


# --- proposing columns ---------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (
            ["Project", "Task", "Role", "Estimate (days)", "Actual (days)", "Estimator", "Date"],
            ["project", "task", "role", "estimate", "actual", "estimator", "date"],
        ),
        (
            ["项目名称", "任务", "角色", "估算人天", "实际工时（天）", "估算人", "完成日期"],
            ["project", "task", "role", "estimate", "actual", "estimator", "date"],
        ),
        (
            ["阶段", "岗位", "计划工时", "实际人天", "类别"],
            ["phase", "role", "estimate", "actual", "category"],
        ),
    ],
)
def test_columns_are_proposed_from_english_and_chinese_header_synonyms(
    header: list[str], expected: list[str]
) -> None:
    proposed = propose_mapping(header)
    assert [proposed[index].value for index in range(len(header))] == expected


def test_a_header_naming_the_same_field_twice_proposes_it_once_preferring_the_exact_synonym() -> (
    None
):
    proposed = propose_mapping(["Actual hours logged", "Actual", "Estimate"])
    assert proposed == {1: HistoryField.ACTUAL, 2: HistoryField.ESTIMATE}


def test_the_header_row_is_found_below_a_title() -> None:
    rows: list[list[Any]] = [["2025 年工时汇总"], [], ["项目", "估算", "实际"], ["A", 1, 2]]
    assert find_header(rows) == 2


# --- reading values ---------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(12, 12.0), ("12.5", 12.5), ("1,200", 1200.0), (" 3 人天", 3.0), ("4d", 4.0), ("abc", None)],
)
def test_numbers_are_read_from_cells_with_units_and_thousands_separators(
    value: object, expected: float | None
) -> None:
    assert parse_number(value) == expected


def test_dates_are_read_in_iso_slashed_and_chinese_forms() -> None:
    assert parse_date("2024-05-31") == date(2024, 5, 31)
    assert parse_date("2024/5/31") == date(2024, 5, 31)
    assert parse_date("2024年5月31日") == date(2024, 5, 31)
    with pytest.raises(ValueError, match="'31/05/2024' is not a date"):
        parse_date("31/05/2024")


# --- checking rows ---------------------------------------------


def test_bad_rows_are_reported_with_sheet_row_and_column_and_left_out() -> None:
    rows: list[list[Any]] = [
        ["Project", "Task", "Estimate", "Actual", "Date"],
        ["P1", "ok", 10, 12, "2024-01-31"],
        ["P1", "zero estimate", 0, 5, ""],
        ["P1", "negative estimate", -3, 5, ""],
        ["P1", "missing actual", 8, None, ""],
        ["P1", "text actual", 8, "lots", ""],
        ["P1", "bad date", 8, 9, "soon"],
        [None, None, None, None, None],
        ["P2", "ok too", "7.5", "6", "2024/2/1"],
    ]
    checked = _check(_xlsx(rows), "timesheet.xlsx")
    assert [row.task for row in checked.rows] == ["ok", "ok too"]
    assert checked.skipped_rows == 5
    assert [str(problem) for problem in checked.problems] == [
        "工时!C3: estimate 0 must be above zero",
        "工时!C4: estimate -3 must be above zero",
        "工时!D5: the actual is missing",
        "工时!D6: actual 'lots' is not a number",
        "工时!E7: 'soon' is not a date (YYYY-MM-DD)",
    ]
    assert checked.date_range == (date(2024, 1, 31), date(2024, 2, 1))


def test_roles_and_phases_given_by_name_are_stored_as_our_codes() -> None:
    rows: list[list[Any]] = [
        ["阶段", "角色", "估算", "实际"],
        ["开发", "后端开发", 5, 6],
        ["Testing", "QA", 2, 3],
    ]
    grid = read_grid(_csv(rows), "t.csv", max_bytes=LIMIT)
    mapping = {field: index for index, field in propose_mapping(grid.rows[0]).items()}
    checked = check_rows(
        grid,
        file_name="t.csv",
        kind=RowKind.TASKS,
        mapping=mapping,
        role_codes={"后端开发": "BE", "qa": "QA"},
    )
    assert [(row.phase, row.role) for row in checked.rows] == [("build", "BE"), ("", "QA")]
    assert checked.rows[1].category == "Testing"


def test_a_mapping_without_estimate_or_actual_is_refused_naming_the_field() -> None:
    grid = read_grid(_csv([["a", "b"], [1, 2]]), "t.csv", max_bytes=LIMIT)
    with pytest.raises(FieldError, match="column_estimate: choose the column"):
        check_rows(grid, file_name="t.csv", kind=RowKind.TASKS, mapping={HistoryField.ACTUAL: 1})


def test_one_column_cannot_hold_two_fields() -> None:
    grid = read_grid(_csv([["a", "b"], [1, 2]]), "t.csv", max_bytes=LIMIT)
    mapping = {HistoryField.ESTIMATE: 0, HistoryField.ACTUAL: 0}
    with pytest.raises(FieldError, match="column A is already used for estimate"):
        check_rows(grid, file_name="t.csv", kind=RowKind.TASKS, mapping=mapping)


def test_a_file_of_whole_projects_needs_the_project_column() -> None:
    grid = read_grid(_csv([["Estimate", "Actual"], [1, 2]]), "t.csv", max_bytes=LIMIT)
    mapping = {HistoryField.ESTIMATE: 0, HistoryField.ACTUAL: 1}
    with pytest.raises(FieldError, match="column_project"):
        check_rows(grid, file_name="t.csv", kind=RowKind.PROJECTS, mapping=mapping)


# --- reading files safely ---------------------------------------------


def test_csv_is_read_as_utf8_with_a_bom_or_as_gb18030() -> None:
    rows: list[list[Any]] = [["项目", "估算", "实际"], ["政务平台", 10, 12]]
    for data in (b"\xef\xbb\xbf" + _csv(rows), _csv(rows, encoding="gb18030")):
        checked = _check(data, "history.csv")
        assert [(row.project, row.estimate, row.actual) for row in checked.rows] == [
            ("政务平台", 10.0, 12.0)
        ]


def test_semicolon_separated_csv_is_read() -> None:
    data = b"Project;Estimate;Actual\nA;10;11\n"
    assert len(_check(data, "history.csv").rows) == 1


def test_the_sheet_with_an_estimate_and_an_actual_column_is_chosen() -> None:
    workbook = openpyxl.Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["本文件为工时导出"])
    data_sheet = workbook.create_sheet("明细")
    data_sheet.append(["任务", "估算", "实际"])
    data_sheet.append(["登录", 3, 4])
    buffer = io.BytesIO()
    workbook.save(buffer)
    checked = _check(buffer.getvalue(), "export.xlsx")
    assert checked.sheet == "明细"
    assert checked.rows[0].row == 2


def test_a_zip_bomb_is_refused_before_decompressing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (600 * 1024 * 1024))
    with pytest.raises(ImportRejectedError, match="likely zip bomb"):
        read_grid(buffer.getvalue(), "bomb.xlsx", max_bytes=LIMIT)


def test_a_file_over_the_size_limit_is_refused() -> None:
    with pytest.raises(ImportRejectedError, match="the limit is 10 bytes"):
        read_grid(b"x" * 11, "big.csv", max_bytes=10)


def test_other_file_types_are_refused() -> None:
    with pytest.raises(ImportRejectedError, match=r"'\.pdf' files are not supported"):
        read_grid(b"%PDF-1.7", "history.pdf", max_bytes=LIMIT)


# --- storing ---------------------------------------------


def _rows(count: int) -> list[list[Any]]:
    rows: list[list[Any]] = [["项目", "任务", "角色", "估算", "实际", "完成日期"]]
    for k in range(count):
        rows.append([f"P{k // 3}", f"T{k}", "BE", 10, 10 + k % 4, f"2024-01-{k // 3 + 1:02d}"])
    return rows


def test_storing_a_task_file_groups_rows_into_projects_in_one_import(engine: Engine) -> None:
    data = _csv(_rows(9))
    checked = _check(data, "tasks.csv")
    with write_session(engine) as session:
        record = history.store_import(
            session, user=None, checked=checked, sha256=hashlib.sha256(data).hexdigest()
        )
        import_id = record.id
    with Session(engine) as session:
        projects = session.exec(select(HistoryProject).order_by(HistoryProject.name)).all()
        assert [(p.name, len(p.tasks), p.estimated_days, p.actual_days) for p in projects] == [
            ("P0", 3, 30.0, 33.0),  # actuals 10 + k % 4 for k = 0, 1, 2
            ("P1", 3, 30.0, 34.0),
            ("P2", 3, 30.0, 35.0),
        ]
        assert {p.import_id for p in projects} == {import_id}
        assert projects[2].finished_on == date(2024, 1, 3)
        assert session.get(HistoryImport, import_id).kind == HistorySource.TASKS  # type: ignore[union-attr]


def test_a_file_of_whole_projects_stores_one_project_per_row(engine: Engine) -> None:
    data = _csv([["Project", "Estimate", "Actual"], ["A", 100, 130], ["B", 50, 45]])
    checked = _check(data, "projects.csv", RowKind.PROJECTS)
    with write_session(engine) as session:
        history.store_import(session, user=None, checked=checked, sha256="a" * 64)
    with Session(engine) as session:
        rows = session.exec(select(HistoryProject).order_by(HistoryProject.name)).all()
        assert [(p.name, p.estimated_days, p.actual_days, p.tasks) for p in rows] == [
            ("A", 100.0, 130.0, []),
            ("B", 50.0, 45.0, []),
        ]
        data_for_engine = history.history_data(session)
        assert data_for_engine.estimate == [100.0, 50.0]


def test_the_same_file_cannot_be_imported_twice(engine: Engine) -> None:
    data = _csv(_rows(3))
    checked = _check(data, "tasks.csv")
    digest = hashlib.sha256(data).hexdigest()
    with write_session(engine) as session:
        history.store_import(session, user=None, checked=checked, sha256=digest)
    with write_session(engine) as session, pytest.raises(FieldError, match="already imported"):
        history.store_import(session, user=None, checked=checked, sha256=digest)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(HistoryImport)).one() == 1


def test_history_rows_become_engine_arrays_that_calibrate(engine: Engine) -> None:
    data = _csv(_rows(30))
    checked = _check(data, "tasks.csv")
    with write_session(engine) as session:
        history.store_import(session, user=None, checked=checked, sha256="b" * 64)
    with Session(engine) as session:
        calibration = history.fit_calibration(session, estimation.CalibrationGroupBy.ROLE)
        assert calibration is not None
        assert (calibration.points, calibration.projects) == (10, 10)
        assert set(calibration.groups) == {"BE"}
        assert calibration.first_date == date(2024, 1, 1)
        assert calibration.last_date == date(2024, 1, 10)


def test_the_demo_history_is_seeded_once_and_reads_cleanly(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as session:
        (record,) = session.exec(select(HistoryImport)).all()
        assert (record.kind, record.rows_skipped) == (HistorySource.DEMO, 0)
        assert (
            record.rows_imported
            == session.exec(select(func.count()).select_from(HistoryTask)).one()
        )
        accuracy = history.accuracy_rows(session, estimation.CalibrationGroupBy.OVERALL)[0]
        # The demo is built to look like a real delivery history: most tasks overrun a bit.
        assert 1.05 < accuracy.median_ratio < 1.25
        assert 0.55 < accuracy.share_overrun < 0.8
    with write_session(seeded_engine) as session:
        report = seed_all(session, DATA_DIR)
    assert "history demo_history.csv" in report.kept
    with Session(seeded_engine) as session:
        assert session.exec(select(func.count()).select_from(HistoryImport)).one() == 1
