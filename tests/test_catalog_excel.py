"""Catalog ⇄ Excel round trip and the import error report."""

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.db import write_session
from app.errors import ImportRejectedError
from app.models import CatalogVersion, WorkItem
from app.services import catalog as catalog_service
from app.services.catalog_excel import (
    COLUMNS,
    INFO_SHEET,
    ITEMS_SHEET,
    CatalogInfo,
    export_catalog_xlsx,
    parse_catalog_xlsx,
)
from app.services.seed import load_catalog_file, seed_all
from tests import factories
from tests.conftest import DATA_DIR

ROLES = {"PM", "BA", "ARCH", "UI", "FE", "BE", "QA", "OPS", "IMPL"}
LIMIT = 50 * 1024 * 1024
INFO = CatalogInfo(code="default", name_zh="目录", name_en="Catalog", version=1)
HEADER = [spec.header for spec in COLUMNS]


def _default_items() -> list:
    return load_catalog_file(DATA_DIR / "catalog" / "default.yaml").items


def _workbook_bytes(rows: list[list[object]], *, header: list[str] | None = None) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = ITEMS_SHEET
    sheet.append(header or HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(
    code: str = "DEV-900",
    role: str = "BE",
    o: object = 1,
    m: object = 2,
    p: object = 4,
    **fields: object,
) -> list[object]:
    values = {
        "code": code,
        "name_zh": "测试",
        "name_en": "Test",
        "phase": "build",
        "unit": "item",
        "kind": "days",
        "percent_of": "",
        "distribution": "pert",
        "role": role,
        "optimistic": o,
        "most_likely": m,
        "pessimistic": p,
        "tags": "a, b",
        "description_zh": "",
        "description_en": "",
    }
    values.update(fields)
    return [values[spec.key] for spec in COLUMNS]


def _problems(data: bytes) -> list[str]:
    with pytest.raises(ImportRejectedError) as refused:
        parse_catalog_xlsx(data, known_roles=ROLES, max_bytes=LIMIT)
    return [str(problem) for problem in refused.value.problems]


def test_exporting_then_importing_reproduces_the_default_catalog_exactly() -> None:
    items = _default_items()
    data = export_catalog_xlsx(info=INFO, items=items, role_codes=sorted(ROLES))
    parsed = parse_catalog_xlsx(data, known_roles=ROLES, max_bytes=LIMIT)
    assert parsed.items == items
    assert parsed.info is not None
    assert (parsed.info.code, parsed.info.version) == ("default", 1)


def test_the_export_has_bilingual_headers_a_frozen_header_widths_and_dropdowns() -> None:
    data = export_catalog_xlsx(info=INFO, items=_default_items(), role_codes=sorted(ROLES))
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    sheet = workbook[ITEMS_SHEET]
    headers = [cell.value for cell in sheet[1]]
    assert headers[0] == "编码 Code"
    assert "分布 Distribution" in headers
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions["B"].width >= 20
    validations = {str(v.sqref): v.formula1 for v in sheet.data_validations.dataValidation}
    distribution_column = "H"
    assert headers[ord(distribution_column) - ord("A")] == "分布 Distribution"
    assert any(
        ref.startswith(f"{distribution_column}2:")
        and formula == '"pert,triangular,uniform,lognormal,fixed"'
        for ref, formula in validations.items()
    )
    assert INFO_SHEET in workbook.sheetnames
    item_role_rows = sum(len(item.estimates) for item in _default_items())
    assert sheet.max_row == item_role_rows + 1


def test_text_that_looks_like_a_formula_stays_text_both_ways() -> None:
    payload = '=HYPERLINK("http://evil.example","click")'
    items = [factories.item("X-1", name_zh=payload, name_en="+cmd|' /C calc'!A0")]
    data = export_catalog_xlsx(info=INFO, items=items, role_codes=["BE"])
    sheet = openpyxl.load_workbook(io.BytesIO(data))[ITEMS_SHEET]
    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value == payload
    parsed = parse_catalog_xlsx(data, known_roles={"BE"}, max_bytes=LIMIT)
    assert parsed.items[0].name_zh == payload


def test_every_problem_is_reported_at_once_with_sheet_row_and_column() -> None:
    data = _workbook_bytes(
        [
            _row("DEV-1", o=5, m=3, p=8),  # optimistic above most likely
            _row("DEV-2", o=-1),  # negative
            _row("DEV-3", m="abc"),  # non-numeric
            _row("DEV-4", role="CEO"),  # unknown role
            _row("DEV-5"),
            _row("DEV-5"),  # duplicate code and role
            _row("DEV-6", name_zh=""),  # empty name
            _row("DEV-7", distribution="normal"),  # unknown distribution
            _row("DEV-8", p="inf"),
        ]
    )
    problems = _problems(data)
    sheet = ITEMS_SHEET
    expected = [
        f"{sheet}!J2: optimistic=5 is above most_likely=3",
        f"{sheet}!J3: optimistic=-1 is negative",
        f"{sheet}!K4: most_likely='abc' is not a number",
        f"{sheet}!I5: unknown role 'CEO'",
        f"{sheet}!I7: duplicate code 'DEV-5' for role 'BE' (first on row 6)",
        f"{sheet}!B8: 名称（中文） is empty",
        f"{sheet}!H9: 'normal' is not one of: fixed, lognormal, pert, triangular, uniform",
    ]
    for message in expected:
        assert message in problems
    assert f"{sheet}!L10: pessimistic='inf' is not a finite number" in problems
    assert len(problems) == len(expected) + 1


def test_rows_of_one_item_must_agree_on_the_item_fields() -> None:
    data = _workbook_bytes([_row("DEV-1", role="BE"), _row("DEV-1", role="QA", name_en="Other")])
    assert _problems(data) == [
        f"{ITEMS_SHEET}!C3: item 'DEV-1': name_en differs from row 2 ('Other' vs 'Test')"
    ]


def test_a_missing_column_is_named() -> None:
    header = [h for h in HEADER if h != "悲观 Pessimistic"]
    problems = _problems(_workbook_bytes([], header=header))
    assert problems == [f"{ITEMS_SHEET}!1: missing column '悲观 Pessimistic'"]


def test_chinese_labels_are_accepted_for_phase_and_unit() -> None:
    data = _workbook_bytes([_row("DEV-1", phase="测试", unit="接口")])
    parsed = parse_catalog_xlsx(data, known_roles=ROLES, max_bytes=LIMIT)
    assert (parsed.items[0].phase, parsed.items[0].unit) == ("test", "interface")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"name,code\nfoo,bar\n", "not an .xlsx workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "encrypted workbook or a legacy .xls"),
    ],
)
def test_files_that_are_not_workbooks_are_refused_clearly(data: bytes, message: str) -> None:
    assert message in _problems(data)[0]


def test_a_zip_bomb_is_refused_before_decompressing() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (100 * 1024 * 1024))
    problems = _problems(buffer.getvalue())
    assert "likely zip bomb" in problems[0]


def test_an_oversized_upload_is_refused() -> None:
    data = _workbook_bytes([_row()])
    with pytest.raises(ImportRejectedError, match="the limit is 100 bytes"):
        parse_catalog_xlsx(data, known_roles=ROLES, max_bytes=100)


def test_importing_a_file_with_errors_changes_nothing_in_the_database(engine: Engine) -> None:
    with write_session(engine) as session:
        seed_all(session, DATA_DIR)
    with Session(engine) as session:
        before = session.exec(select(func.count()).select_from(WorkItem)).one()
    bad = _workbook_bytes([_row("DEV-1"), _row("DEV-2", o=9, m=1, p=2)])
    with pytest.raises(ImportRejectedError), write_session(engine) as session:
        catalog_service.import_catalog_workbook(
            session, data=bad, file_name="bad.xlsx", max_bytes=LIMIT, catalog_code="default"
        )
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(WorkItem)).one() == before
        assert len(session.exec(select(CatalogVersion)).all()) == 1


def test_the_database_round_trip_creates_an_identical_draft_version(engine: Engine) -> None:
    with write_session(engine) as session:
        seed_all(session, DATA_DIR)
        published = catalog_service.find_catalog_version(
            session, catalog_code="default", number=None
        )
        data = catalog_service.export_catalog_workbook(session, version=published)
        draft = catalog_service.import_catalog_workbook(
            session, data=data, file_name="default.xlsx", max_bytes=LIMIT
        )
        assert draft.number == 2
        assert draft.status == "draft"
        assert catalog_service.items_of(draft) == catalog_service.items_of(published)
