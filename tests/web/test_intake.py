"""Bid intake in the browser: upload, the mapper, confirm, roles, CSRF, downloads, round trip."""

import io
import re
import zipfile
from collections.abc import Callable, Iterator

import pytest
from openpyxl import load_workbook
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from app.config import get_settings
from app.intake.reader import read_workbook
from app.models import (
    CatalogItemAlias,
    EstimateLine,
    MappingMemory,
    Opportunity,
    Requirement,
    RequirementList,
    RequirementMatch,
)
from app.vocabulary import AccessRole
from tests.intake import workbooks
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]
ZH_FILE = "招标文件-技术偏离表.xlsx"
EN_FILE = "RFP requirements matrix.xlsx"
_LOCK = re.compile(r'name="lock_version" value="(\d+)"')


# --- helpers (also used by the other intake test modules) ----------------------------------


def opportunity_id(engine: Engine) -> int:
    with Session(engine) as session:
        opportunity = session.exec(
            select(Opportunity).where(Opportunity.bid_number == "DEMO-2026-001")
        ).one()
        return opportunity.id or 0


def upload(browser: Browser, engine: Engine, data: bytes, name: str = ZH_FILE, **kwargs: object):  # type: ignore[no-untyped-def]
    files = {"workbook": (name, data, "application/octet-stream")}
    return browser.post(
        f"/opportunities/{opportunity_id(engine)}/requirement-lists", files=files, **kwargs
    )


def uploaded_list_id(response) -> int:  # type: ignore[no-untyped-def]
    assert response.status_code == 303, response.text
    found = re.search(r"/requirement-lists/(\d+)/mapping", response.headers["location"])
    assert found is not None
    return int(found.group(1))


def lock_of(html: str) -> str:
    found = _LOCK.search(html)
    assert found is not None, "no lock_version in the page"
    return found.group(1)


def confirmed_list(
    browser: Browser, engine: Engine, data: bytes | None = None, name: str = ZH_FILE
) -> int:
    """Upload and confirm (accepting any problems in the file); returns the list id."""
    list_id = uploaded_list_id(upload(browser, engine, data or workbooks.chinese_tender(), name))
    lock = lock_of(browser.get(f"/requirement-lists/{list_id}/mapping").text)
    response = browser.post(
        f"/requirement-lists/{list_id}/confirm", {"lock_version": lock, "accept_problems": "1"}
    )
    assert response.status_code == 303, response.text
    return list_id


def count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def requirements_of(engine: Engine, list_id: int) -> list[Requirement]:
    with Session(engine) as session:
        return list(
            session.exec(
                select(Requirement)
                .where(Requirement.list_id == list_id)
                .order_by(Requirement.position)  # type: ignore[arg-type]
            )
        )


def is_fragment(html: str) -> bool:
    return "<html" not in html and "<body" not in html


# --- the lists page and upload -------------------------------------------------------------


def test_the_lists_page_and_fragment_offer_the_upload_to_editors_only(
    open_as: Open, seeded: Engine
) -> None:
    url = f"/opportunities/{opportunity_id(seeded)}/requirement-lists"
    presales, sales = open_as(AccessRole.PRESALES), open_as(AccessRole.SALES)
    page = presales.get(url)
    assert page.status_code == 200
    assert 'name="workbook"' in page.text
    assert "<html" in page.text
    fragment = presales.get(url, headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert is_fragment(fragment.text)
    assert 'id="requirement-lists"' in fragment.text
    assert fragment.headers["Vary"] == "HX-Request"
    assert 'name="workbook"' not in sales.get(url).text


def test_the_opportunity_page_loads_its_requirement_lists_as_a_fragment(
    open_as: Open, seeded: Engine
) -> None:
    page = open_as(AccessRole.SALES).get(f"/opportunities/{opportunity_id(seeded)}")
    assert f'hx-get="/opportunities/{opportunity_id(seeded)}/requirement-lists"' in page.text


def test_uploading_opens_the_mapper_and_stores_no_requirement_before_confirming(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    data = workbooks.chinese_tender()
    list_id = uploaded_list_id(upload(browser, seeded, data))
    mapper = browser.get(f"/requirement-lists/{list_id}/mapping")
    assert mapper.status_code == 200
    assert "技术偏离表" in mapper.text
    assert "招标要求" in mapper.text  # the header row in the preview grid
    assert 'id="confirm-form"' in mapper.text
    assert count(seeded, Requirement) == 0
    assert count(seeded, MappingMemory) == 0
    with Session(seeded) as session:
        draft = session.get(RequirementList, list_id)
        assert draft is not None
        assert draft.status == "draft"
        assert draft.content == data  # byte for byte


@pytest.fixture
def small_upload_limit(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setenv("BIDWRIGHT_MAX_UPLOAD_BYTES", "5000")
    get_settings.cache_clear()
    yield 5_000
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("make", "name", "says"),
    [
        (lambda: workbooks.renamed("pdf"), "offer.xlsx", "xlsx"),
        (workbooks.encrypted_workbook, "locked.xlsx", "encrypt"),
        (workbooks.zip_bomb, "bomb.xlsx", "bytes"),
        (workbooks.entity_bomb, "entities.xlsx", ""),
    ],
)
def test_a_refused_upload_stores_nothing_and_says_why(
    open_as: Open, seeded: Engine, make: Callable[[], bytes], name: str, says: str
) -> None:
    response = upload(open_as(AccessRole.PRESALES), seeded, make(), name)
    assert response.status_code == 422
    assert 'id="upload-error"' in response.text
    assert name in response.text
    assert says in response.text.lower()
    assert count(seeded, RequirementList) == 0


def test_an_upload_over_the_size_limit_is_refused_before_reading(
    open_as: Open, seeded: Engine, small_upload_limit: int
) -> None:
    data = workbooks.chinese_tender()
    assert len(data) > small_upload_limit
    response = upload(open_as(AccessRole.PRESALES), seeded, data)
    assert response.status_code == 422
    assert f"{small_upload_limit:,}" in response.text
    assert count(seeded, RequirementList) == 0


# --- the mapper ---------------------------------------------------------------------------


def _block_of(html: str, header: str) -> tuple[str, str]:
    """(block index, column number) of the column whose header cell reads ``header``."""
    for block in re.finditer(r'<article id="block-(\d+)".*?</article>', html, re.S):
        headers = re.findall(r'<tr class="header-row">(.*?)</tr>', block.group(0), re.S)
        cells = re.findall(r"<th>(.*?)</th>", headers[-1] if headers else "", re.S)
        if header in cells:
            columns = re.findall(r'id="block-\d+-col-(\d+)"', block.group(0))
            return block.group(1), columns[cells.index(header)]
    raise AssertionError(f"no column headed {header!r}")


def test_choosing_a_column_role_updates_the_mapper_as_page_and_fragment(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.chinese_tender()))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    block, column = _block_of(page, "说明")
    url = f"/requirement-lists/{list_id}/mapping/columns"
    form = {"lock_version": lock_of(page), "block": block, "column": column, "role": "reference"}
    fragment = browser.post(url, form, htmx=True)
    assert fragment.status_code == 200
    assert is_fragment(fragment.text)
    assert fragment.text.startswith('<section id="mapper">') or 'id="mapper"' in fragment.text
    with Session(seeded) as session:
        stored = session.get(RequirementList, list_id)
        assert stored is not None
        roles = {c["header"]: c["role"] for b in stored.mapping["blocks"] for c in b["columns"]}
    assert roles["说明"] == "reference"
    again = {**form, "lock_version": lock_of(fragment.text), "role": "remarks"}
    plain = browser.post(url, again)
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/requirement-lists/{list_id}/mapping"


def test_a_mapper_change_from_a_stale_page_is_refused_with_409(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.chinese_tender()))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    block, column = _block_of(page, "说明")
    form = {"lock_version": lock_of(page), "block": block, "column": column, "role": "reference"}
    url = f"/requirement-lists/{list_id}/mapping/columns"
    assert browser.post(url, form, htmx=True).status_code == 200
    stale = browser.post(url, {**form, "role": "ignore"}, htmx=True)
    assert stale.status_code == 409
    assert 'id="mapping-error"' in stale.text


def test_an_option_column_needs_the_answer_it_stands_for(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.chinese_tender()))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    block, column = _block_of(page, "说明")
    form = {"lock_version": lock_of(page), "block": block, "column": column, "role": "option"}
    refused = browser.post(f"/requirement-lists/{list_id}/mapping/columns", form, htmx=True)
    assert refused.status_code == 422
    assert "option" in refused.text


def test_excluding_sheets_and_tables_changes_what_would_be_stored(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.english_rfp(), EN_FILE))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    everything = _requirement_count(page)
    only_security = browser.post(
        f"/requirement-lists/{list_id}/mapping/sheets",
        {"lock_version": lock_of(page), "sheet": "Security"},
        htmx=True,
    )
    assert only_security.status_code == 200
    assert 0 < _requirement_count(only_security.text) < everything
    block = re.search(r'<article id="block-(\d+)" class="mapper-block">', only_security.text)
    assert block is not None
    none_left = browser.post(
        f"/requirement-lists/{list_id}/mapping/blocks/{block.group(1)}",
        {"lock_version": lock_of(only_security.text)},
        htmx=True,
    )
    assert _requirement_count(none_left.text) == 0
    confirm = browser.post(
        f"/requirement-lists/{list_id}/confirm",
        {"lock_version": lock_of(none_left.text), "accept_problems": "1"},
    )
    assert confirm.status_code == 422
    assert count(seeded, Requirement) == 0


def _requirement_count(html: str) -> int:
    found = re.search(r'id="requirement-count">.*?<strong>(\d+)</strong>', html, re.S)
    assert found is not None
    return int(found.group(1))


def test_confirming_with_problems_lists_them_all_and_stores_nothing_until_accepted(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.english_rfp(), EN_FILE))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    assert 'id="problems"' in page  # the RFP marks two answers on one row of "Service"
    refused = browser.post(f"/requirement-lists/{list_id}/confirm", {"lock_version": lock_of(page)})
    assert refused.status_code == 422
    assert 'id="confirm-error"' in refused.text
    assert "Service!" in refused.text  # sheet, row and column of the problem
    assert count(seeded, Requirement) == 0
    accepted = browser.post(
        f"/requirement-lists/{list_id}/confirm",
        {"lock_version": lock_of(refused.text), "accept_problems": "1"},
    )
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/requirement-lists/{list_id}/matches"
    stored = requirements_of(seeded, list_id)
    assert len(stored) == _requirement_count(page)
    assert {r.key for r in stored} >= {"AC-001", "AC-002"}
    assert count(seeded, MappingMemory) == 1


def test_a_mapping_without_a_requirement_column_is_refused(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.chinese_tender()))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    block, column = _block_of(page, "招标要求")
    changed = browser.post(
        f"/requirement-lists/{list_id}/mapping/columns",
        {"lock_version": lock_of(page), "block": block, "column": column, "role": "ignore"},
        htmx=True,
    )
    assert "exactly one" in changed.text
    refused = browser.post(
        f"/requirement-lists/{list_id}/confirm",
        {"lock_version": lock_of(changed.text), "accept_problems": "1"},
    )
    assert refused.status_code == 422
    assert count(seeded, Requirement) == 0


def test_a_second_upload_with_the_same_layout_gets_the_confirmed_mapping(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.chinese_tender()))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    assert 'id="remembered"' not in page
    block, column = _block_of(page, "说明")
    changed = browser.post(
        f"/requirement-lists/{list_id}/mapping/columns",
        {"lock_version": lock_of(page), "block": block, "column": column, "role": "reference"},
        htmx=True,
    )
    browser.post(
        f"/requirement-lists/{list_id}/confirm",
        {"lock_version": lock_of(changed.text), "accept_problems": "1"},
    )
    second = uploaded_list_id(upload(browser, seeded, workbooks.chinese_tender(), "第二版.xlsx"))
    second_page = browser.get(f"/requirement-lists/{second}/mapping").text
    assert 'id="remembered"' in second_page
    with Session(seeded) as session:
        first_list, second_list = (
            session.get(RequirementList, list_id),
            session.get(RequirementList, second),
        )
        assert first_list is not None
        assert second_list is not None
        assert second_list.mapping_remembered
        assert second_list.mapping == first_list.mapping


def test_a_confirmed_list_opens_on_its_matches_and_its_mapper_is_read_only(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded)
    opened = browser.get(f"/requirement-lists/{list_id}", follow_redirects=False)
    assert opened.headers["location"] == f"/requirement-lists/{list_id}/matches"
    mapper = browser.get(f"/requirement-lists/{list_id}/mapping")
    assert 'id="confirm-form"' not in mapper.text
    refused = browser.post(
        f"/requirement-lists/{list_id}/confirm", {"lock_version": lock_of(mapper.text)}
    )
    assert refused.status_code == 409


def test_deleting_a_list_removes_its_requirements(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.BID)
    list_id = confirmed_list(browser, seeded)
    assert requirements_of(seeded, list_id)
    response = browser.post(f"/requirement-lists/{list_id}/delete")
    assert response.status_code == 303
    assert count(seeded, RequirementList) == 0
    assert count(seeded, Requirement) == 0


# --- roles and CSRF -----------------------------------------------------------------------


def test_sales_may_read_and_download_but_change_nothing(open_as: Open, seeded: Engine) -> None:
    list_id = confirmed_list(open_as(AccessRole.PRESALES), seeded)
    requirement = requirements_of(seeded, list_id)[0]
    sales = open_as(AccessRole.SALES)
    for url in (
        f"/requirement-lists/{list_id}/mapping",
        f"/requirement-lists/{list_id}/matches",
        f"/requirement-lists/{list_id}/answers",
        f"/requirement-lists/{list_id}/export",
        f"/requirement-lists/{list_id}/compliance-matrix.xlsx",
        "/answer-library",
    ):
        assert sales.get(url).status_code == 200, url
    assert "/accept" not in sales.get(f"/requirement-lists/{list_id}/matches").text
    for url, data in (
        (f"/opportunities/{opportunity_id(seeded)}/requirement-lists", {}),
        (f"/requirement-lists/{list_id}/confirm", {"lock_version": "1"}),
        (f"/requirement-lists/{list_id}/delete", {}),
        (f"/requirements/{requirement.id}/accept", {"item_code": "DEV-003"}),
        (f"/requirements/{requirement.id}/answer", {"lock_version": "1"}),
        ("/answer-library", {"question": "q", "text_zh": "答"}),
    ):
        assert sales.post(url, data).status_code == 403, url
    assert sales.get(f"/requirements/{requirement.id}/answer/edit").status_code == 403


def test_bid_and_admin_may_work_on_requirement_lists(open_as: Open, seeded: Engine) -> None:
    for role in (AccessRole.BID, AccessRole.ADMIN):
        list_id = confirmed_list(open_as(role), seeded)
        assert requirements_of(seeded, list_id)


def test_every_change_needs_the_csrf_token(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded)
    requirement = requirements_of(seeded, list_id)[0]
    client = browser.client
    files = {"workbook": (ZH_FILE, workbooks.chinese_tender(), "application/octet-stream")}
    forged = client.post(f"/opportunities/{opportunity_id(seeded)}/requirement-lists", files=files)
    assert forged.status_code == 403
    for url, data in (
        (f"/requirement-lists/{list_id}/confirm", {"lock_version": "1"}),
        (f"/requirements/{requirement.id}/accept", {"item_code": "DEV-003"}),
        (f"/requirements/{requirement.id}/answer", {"lock_version": "1"}),
        (f"/requirement-lists/{list_id}/delete", {}),
        ("/answer-library", {"question": "q", "text_zh": "答"}),
    ):
        assert client.post(url, data=data, follow_redirects=False).status_code == 403, url
    assert count(seeded, RequirementList) == 1


# --- downloads and the round trip -----------------------------------------------------------


def test_upload_map_confirm_match_accept_answer_export_round_trip(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded)
    rows = requirements_of(seeded, list_id)
    sso = next(r for r in rows if "单点登录" in r.text)
    matches = browser.get(f"/requirement-lists/{list_id}/matches").text
    assert "DEV-003" in matches
    lines_before = count(seeded, EstimateLine)
    accepted = browser.post(
        f"/requirements/{sso.id}/accept", {"item_code": "DEV-003", "quantity": "1"}, htmx=True
    )
    assert accepted.status_code == 200
    assert "✔" in accepted.text
    with Session(seeded) as session:
        link = session.exec(select(RequirementMatch)).one()
        line = session.get(EstimateLine, link.line_id)
        assert line is not None
        assert line.code == "DEV-003"
        revision_id = line.revision_id
        assert session.exec(select(CatalogItemAlias)).one().text == sso.text
    assert count(seeded, EstimateLine) == lines_before  # the demo already had DEV-003: linked
    coverage = browser.get(f"/revisions/{revision_id}/requirements").text
    assert f"req-{sso.id}" in coverage
    assert sso.key in coverage

    edit = browser.get(f"/requirements/{sso.id}/answer/edit", headers={"HX-Request": "true"})
    saved = browser.post(
        f"/requirements/{sso.id}/answer",
        {
            "lock_version": lock_of(edit.text),
            "compliance": "comply",
            "response": "=支持 CAS 与 OAuth2 单点登录",
            "reference": "技术方案 3.2",
            "note": "",
        },
        htmx=True,
    )
    assert saved.status_code == 200
    assert "满足 · 无偏离" in saved.text

    export = browser.get(f"/requirement-lists/{list_id}/export")
    assert export.status_code == 200
    disposition = export.headers["content-disposition"]
    assert "filename*=UTF-8''" in disposition
    assert "%E5%BA%94%E7%AD%94.xlsx" in disposition  # …-应答.xlsx
    answered = read_workbook(export.content, "answered.xlsx", max_bytes=10**8, max_rows=10**5)
    values = answered.sheet(sso.sheet).rows[sso.row - 1]
    assert "=支持 CAS 与 OAuth2 单点登录" in values  # written as text, not a formula
    assert "无偏离" in values or "满足" in values

    matrix = browser.get(f"/requirement-lists/{list_id}/compliance-matrix.xlsx")
    assert matrix.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(matrix.content))
    table = load_workbook(io.BytesIO(matrix.content), read_only=True)
    texts = {str(c) for row in table.active.iter_rows(values_only=True) for c in row if c}
    table.close()
    assert sso.text in " ".join(texts)


def test_a_csv_list_is_answered_back_into_csv(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded, workbooks.csv_bytes("gb18030"), "需求.csv")
    requirement = requirements_of(seeded, list_id)[0]
    edit = browser.get(f"/requirements/{requirement.id}/answer/edit")
    browser.post(
        f"/requirements/{requirement.id}/answer",
        {"lock_version": lock_of(edit.text), "compliance": "partial", "response": "部分支持"},
    )
    export = browser.get(f"/requirement-lists/{list_id}/export")
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("text/csv")
    assert "%E5%BA%94%E7%AD%94.csv" in export.headers["content-disposition"]
    assert "部分支持" in export.content.decode("gb18030", errors="replace") or "部分支持" in (
        export.content.decode("utf-8-sig", errors="replace")
    )


def test_a_list_that_cannot_be_written_back_says_why_and_still_has_its_matrix(
    open_as: Open, seeded: Engine
) -> None:
    """A legacy .xls (here an OLE2 header stored directly: there is no .xls writer to build
    a real one with) is refused by the write-back with a message; the matrix still works."""
    from app.db import write_session  # noqa: PLC0415
    from app.models import IntakeStatus  # noqa: PLC0415

    with write_session(seeded) as session:
        legacy = RequirementList(
            opportunity_id=opportunity_id(seeded),
            file_name="旧版需求.xls",
            kind="xls",
            size_bytes=4096,
            file_sha256="0" * 64,
            content=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4088),
            fingerprint="0" * 64,
            mapping={"fingerprint": "0" * 64, "blocks": []},
            status=IntakeStatus.CONFIRMED,
        )
        session.add(legacy)
        session.flush()
        session.add(Requirement(list_id=legacy.id, sheet="Sheet1", row=2, key="1", text="需求一"))
        list_id = legacy.id
    browser = open_as(AccessRole.SALES)
    refused = browser.get(f"/requirement-lists/{list_id}/export")
    assert refused.status_code == 422
    assert "旧版需求.xls" in refused.text
    matrix = browser.get(f"/requirement-lists/{list_id}/compliance-matrix.xlsx")
    assert matrix.status_code == 200
    assert (
        "%E6%8A%80%E6%9C%AF%E5%81%8F%E7%A6%BB%E8%A1%A8.xlsx"
        in matrix.headers["content-disposition"]
    )  # 旧版需求-技术偏离表.xlsx


def test_the_mapper_include_forms_work_without_htmx(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = uploaded_list_id(upload(browser, seeded, workbooks.english_rfp(), EN_FILE))
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    sheets = browser.post(
        f"/requirement-lists/{list_id}/mapping/sheets",
        {"lock_version": lock_of(page), "sheet": ["Requirements", "Security"]},
    )
    assert (sheets.status_code, sheets.headers["location"]) == (
        303,
        f"/requirement-lists/{list_id}/mapping",
    )
    page = browser.get(f"/requirement-lists/{list_id}/mapping").text
    assert 'value="Service" checked' not in page
    assert 'value="Security" checked' in page
    block = browser.post(
        f"/requirement-lists/{list_id}/mapping/blocks/0",
        {"lock_version": lock_of(page), "included": "1"},
    )
    assert block.status_code == 303
