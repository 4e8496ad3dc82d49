"""Catalog pages through HTTP: browse, search, export, draft editing, publishing and import."""

import io
import re
from collections.abc import Callable
from urllib.parse import quote

import openpyxl
import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from app.models import AuditEvent, CatalogVersion, WorkItem
from app.services.catalog_excel import COLUMNS, ITEMS_SHEET
from app.vocabulary import AccessRole, VersionStatus
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]
NOT_ADMIN = [AccessRole.PRESALES, AccessRole.SALES, AccessRole.BID]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _published_version_id(engine: Engine) -> int:
    with Session(engine) as session:
        version = session.exec(
            select(CatalogVersion).where(CatalogVersion.status == VersionStatus.PUBLISHED)
        ).one()
        assert version.id is not None
        return version.id


def _item(engine: Engine, version_id: int, code: str) -> WorkItem:
    with Session(engine) as session:
        item = session.exec(
            select(WorkItem).where(WorkItem.catalog_version_id == version_id, WorkItem.code == code)
        ).one()
        item.estimates  # noqa: B018 - load before the session closes
        return item


def _version_count(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(CatalogVersion)).one()


def _new_draft(browser: Browser, version_id: int) -> int:
    response = browser.post(f"/catalog-versions/{version_id}/new-draft")
    assert response.status_code == 303
    match = re.fullmatch(r"/catalog-versions/(\d+)", response.headers["location"])
    assert match
    return int(match.group(1))


def _item_form(item: WorkItem, **overrides: str) -> dict[str, object]:
    """The edit form as the page fills it in (role BA, PM... by code)."""
    codes = {estimate.role_id: estimate.role.code for estimate in item.estimates}
    form: dict[str, object] = {
        "lock_version": item.lock_version,
        "name_zh": item.name_zh,
        "name_en": item.name_en,
        "description_zh": item.description_zh,
        "description_en": item.description_en,
        "phase": item.phase.value,
        "unit": item.unit.value,
        "distribution": item.distribution.value,
        "tags": ", ".join(item.tags),
    }
    for estimate in item.estimates:
        for part in ("optimistic", "most_likely", "pessimistic"):
            form[f"role_{codes[estimate.role_id]}_{part}"] = f"{getattr(estimate, part):g}"
    form.update(overrides)
    return form


def _with_roles(engine: Engine, item: WorkItem) -> WorkItem:
    with Session(engine) as session:
        fresh = session.get(WorkItem, item.id)
        assert fresh is not None
        for estimate in fresh.estimates:
            estimate.role  # noqa: B018 - load before the session closes
        return fresh


# --- Browsing ---------------------------------------------------------------------------------


def test_every_role_sees_the_catalog_list_and_only_admins_the_import_form(open_as: Open) -> None:
    for role in AccessRole:
        page = open_as(role).get("/catalogs")
        assert page.status_code == 200
        assert "标准软件交付工作项目录" in page.text
        assert ("/catalogs/import" in page.text) == (role == AccessRole.ADMIN)


def test_the_catalog_list_fragment_is_only_the_list(open_as: Open) -> None:
    response = open_as(AccessRole.SALES).get("/catalogs", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="catalogs">')
    assert "<html" not in response.text
    assert response.headers["vary"] == "HX-Request"


@pytest.mark.parametrize("role", list(AccessRole))
def test_every_role_browses_a_version_with_per_role_three_point_values(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    version_id = _published_version_id(seeded)
    page = open_as(role).get(f"/catalog-versions/{version_id}")
    assert page.status_code == 200
    assert "<html" in page.text
    assert "DIS-001" in page.text
    assert re.search(r"BA\s+8\.0 / 12\.0 / 20\.0", page.text)
    assert ("/publish" in page.text) is False
    assert ("/new-draft" in page.text) == (role == AccessRole.ADMIN)
    assert "/work-items/" not in page.text


def test_searching_a_version_returns_only_the_matching_items_as_a_fragment(
    open_as: Open, seeded: Engine
) -> None:
    version_id = _published_version_id(seeded)
    response = open_as(AccessRole.BID).get(
        f"/catalog-versions/{version_id}", params={"q": "登录"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="items">')
    assert "DEV-003" in response.text
    assert "单点登录" in response.text
    assert "DIS-001" not in response.text


def test_a_search_without_javascript_gets_the_whole_page_with_the_query_kept(
    open_as: Open, seeded: Engine
) -> None:
    version_id = _published_version_id(seeded)
    page = open_as(AccessRole.PRESALES).get(f"/catalog-versions/{version_id}?q=登录")
    assert "<html" in page.text
    assert 'value="登录"' in page.text
    assert "DEV-003" in page.text


def test_a_missing_version_is_a_404(open_as: Open) -> None:
    assert open_as(AccessRole.SALES).get("/catalog-versions/999999").status_code == 404


@pytest.mark.parametrize("role", list(AccessRole))
def test_every_role_downloads_the_excel_export_with_a_utf8_file_name(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    version_id = _published_version_id(seeded)
    response = open_as(role).get(f"/catalog-versions/{version_id}/export.xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"] == XLSX
    disposition = response.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="default-v1.xlsx"; ')
    # Users are created with the default language, Chinese: the name is the catalog's.
    assert f"filename*=UTF-8''{quote('标准软件交付工作项目录-v1.xlsx')}" in disposition
    workbook = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    try:
        assert ITEMS_SHEET in workbook.sheetnames
    finally:
        workbook.close()


# --- Permissions and CSRF -------------------------------------------------------------------


@pytest.mark.parametrize("role", NOT_ADMIN)
def test_only_admins_may_change_catalogs(open_as: Open, seeded: Engine, role: AccessRole) -> None:
    version_id = _published_version_id(seeded)
    item = _item(seeded, version_id, "DIS-001")
    browser = open_as(role)
    refused = [
        browser.post(f"/catalog-versions/{version_id}/new-draft"),
        browser.post(f"/catalog-versions/{version_id}/publish", {"lock_version": 1}),
        browser.post(f"/catalog-versions/{version_id}/items", {"code": "X-1"}),
        browser.post(f"/work-items/{item.id}", {"lock_version": 1}),
        browser.post(f"/work-items/{item.id}/delete", {"lock_version": 1}),
        browser.post("/catalogs/import", files={"workbook": ("a.xlsx", b"x")}),
        browser.get(f"/work-items/{item.id}/edit"),
    ]
    assert [response.status_code for response in refused] == [403] * len(refused)
    assert _version_count(seeded) == 1


def test_a_change_without_the_csrf_token_is_refused(open_as: Open, seeded: Engine) -> None:
    version_id = _published_version_id(seeded)
    browser = open_as(AccessRole.ADMIN)
    response = browser.client.post(
        f"/catalog-versions/{version_id}/new-draft", data={}, follow_redirects=False
    )
    assert response.status_code == 403
    forged = browser.client.post(
        f"/catalog-versions/{version_id}/new-draft",
        data={"csrf_token": "forged"},
        follow_redirects=False,
    )
    assert forged.status_code == 403
    assert _version_count(seeded) == 1


# --- Drafts -----------------------------------------------------------------------------------


def test_an_admin_starts_a_draft_that_shows_edit_and_publish_controls(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    page = browser.get(f"/catalog-versions/{draft_id}")
    assert "/publish" in page.text
    assert "/work-items/" in page.text
    assert "add-item-form" in page.text
    with Session(seeded) as session:
        draft = session.get(CatalogVersion, draft_id)
        assert draft is not None
        assert draft.status == VersionStatus.DRAFT
        assert draft.number == 2


def test_the_inline_editor_is_a_row_fragment_and_a_page_without_javascript(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _item(seeded, draft_id, "DIS-001")
    fragment = browser.get(f"/work-items/{item.id}/edit", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith(f'<tr id="item-{item.id}" class="editing">')
    assert 'name="role_BA_most_likely" class="narrow" inputmode="decimal" value="12"' in (
        fragment.text
    )
    page = browser.get(f"/work-items/{item.id}/edit")
    assert "<html" in page.text
    assert f'action="/work-items/{item.id}"' in page.text
    row = browser.get(f"/work-items/{item.id}/row", headers={"HX-Request": "true"})
    assert row.text.lstrip().startswith(f'<tr id="item-{item.id}">')
    back = browser.get(f"/work-items/{item.id}/row", follow_redirects=False)
    assert back.status_code == 303
    assert back.headers["location"] == f"/catalog-versions/{draft_id}#item-{item.id}"


def test_a_valid_item_edit_is_saved_and_the_row_comes_back(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    form = _item_form(
        item,
        name_zh="需求调研（含现场）",
        unit="module",
        distribution="triangular",
        tags="需求, 调研；现场",
        role_BA_pessimistic="25",
        role_QA_optimistic="1",
        role_QA_most_likely="2",
        role_QA_pessimistic="3",
        role_PM_optimistic="",
        role_PM_most_likely="",
        role_PM_pessimistic="",
    )
    response = browser.post(f"/work-items/{item.id}", form, htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith(f'<tr id="item-{item.id}">')
    assert "需求调研（含现场）" in response.text
    saved = _with_roles(seeded, item)
    assert (saved.unit, saved.distribution, saved.tags) == (
        "module",
        "triangular",
        ["需求", "调研", "现场"],
    )
    triples = {e.role.code: (e.optimistic, e.most_likely, e.pessimistic) for e in saved.estimates}
    assert triples == {"BA": (8, 12, 25), "ARCH": (2, 3, 5), "QA": (1, 2, 3)}
    assert saved.lock_version == item.lock_version + 1


def test_an_invalid_triple_is_refused_inline_naming_the_field_and_nothing_is_saved(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    form = _item_form(item, name_zh="改过的名称", role_BA_optimistic="50", role_BA_most_likely="10")
    response = browser.post(f"/work-items/{item.id}", form, htmx=True)
    assert response.status_code == 422
    assert response.text.lstrip().startswith(f'<tr id="item-{item.id}" class="editing">')
    assert 'data-field="role_BA_optimistic"' in response.text
    assert "optimistic=50 is above most_likely=10" in response.text
    assert 'value="改过的名称"' in response.text  # what was typed is kept for fixing
    saved = _item(seeded, draft_id, "DIS-001")
    assert (saved.name_zh, saved.lock_version) == (item.name_zh, item.lock_version)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"role_BA_pessimistic": "nan"}, "role_BA_pessimistic"),
        ({"role_BA_optimistic": "-1"}, "role_BA_optimistic"),
        ({"name_en": "  "}, "name_en"),
        ({"phase": "nowhere"}, "phase"),
    ],
)
def test_other_invalid_values_are_refused_naming_the_field(
    open_as: Open, seeded: Engine, overrides: dict[str, str], field: str
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    response = browser.post(f"/work-items/{item.id}", _item_form(item, **overrides), htmx=True)
    assert response.status_code == 422
    assert f'data-field="{field}"' in response.text


def test_an_item_with_no_role_values_is_refused(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    blanks = {key: "" for key in _item_form(item) if key.startswith("role_")}
    response = browser.post(f"/work-items/{item.id}", _item_form(item, **blanks), htmx=True)
    assert response.status_code == 422
    assert 'data-field="estimates"' in response.text


def test_the_second_of_two_editors_gets_a_conflict_with_the_current_values(
    open_as: Open, seeded: Engine
) -> None:
    first, second = open_as(AccessRole.ADMIN), open_as(AccessRole.ADMIN)
    draft_id = _new_draft(first, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    saved = first.post(f"/work-items/{item.id}", _item_form(item, name_en="First"), htmx=True)
    assert saved.status_code == 200
    response = second.post(f"/work-items/{item.id}", _item_form(item, name_en="Second"), htmx=True)
    assert response.status_code == 409
    assert "changed by someone else" in response.text
    assert 'name="name_en" maxlength="300" required value="First"' in response.text
    assert _item(seeded, draft_id, "DIS-001").name_en == "First"


def test_without_javascript_an_item_edit_redirects_back_to_the_version(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    response = browser.post(f"/work-items/{item.id}", _item_form(item, name_en="Plain"))
    assert response.status_code == 303
    assert response.headers["location"] == f"/catalog-versions/{draft_id}#item-{item.id}"


def test_any_change_to_a_published_version_is_refused_with_a_clear_message(
    open_as: Open, seeded: Engine
) -> None:
    version_id = _published_version_id(seeded)
    item = _with_roles(seeded, _item(seeded, version_id, "DIS-001"))
    browser = open_as(AccessRole.ADMIN)
    responses = [
        browser.post(f"/work-items/{item.id}", _item_form(item, name_en="x"), htmx=True),
        browser.post(f"/work-items/{item.id}/delete", {"lock_version": item.lock_version}),
        browser.post(
            f"/catalog-versions/{version_id}/items",
            _item_form(item, code="NEW-1", lock_version=""),
            htmx=True,
        ),
        browser.get(f"/work-items/{item.id}/edit", headers={"HX-Request": "true"}),
    ]
    for response in responses:
        assert response.status_code == 409
        assert "is published and read-only" in response.text
        assert "new draft" in response.text
    assert _item(seeded, version_id, "DIS-001").name_en == item.name_en


def test_an_admin_adds_an_item_to_a_draft_and_duplicate_codes_are_refused(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    form = {
        "code": "NEW-001",
        "name_zh": "新的工作项",
        "name_en": "A new item",
        "phase": "build",
        "unit": "page",
        "distribution": "pert",
        "tags": "新, new",
        "role_FE_optimistic": "1",
        "role_FE_most_likely": "2",
        "role_FE_pessimistic": "4",
    }
    added = browser.post(f"/catalog-versions/{draft_id}/items", form, htmx=True)
    assert added.status_code == 200
    assert added.text.lstrip().startswith('<section id="items">')
    assert "NEW-001" in added.text
    new = _with_roles(seeded, _item(seeded, draft_id, "NEW-001"))
    assert [(e.role.code, e.most_likely) for e in new.estimates] == [("FE", 2)]
    again = browser.post(f"/catalog-versions/{draft_id}/items", form, htmx=True)
    assert again.status_code == 422
    assert "already exists" in again.text
    assert 'name="code" maxlength="64" required value="NEW-001" aria-invalid="true"' in again.text
    plain = browser.post(f"/catalog-versions/{draft_id}/items", {**form, "code": "NEW-002"})
    assert plain.status_code == 303
    assert plain.headers["location"] == f"/catalog-versions/{draft_id}#items"


def test_an_admin_deletes_a_draft_item_unless_it_changed_meanwhile(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-002"))
    browser.post(f"/work-items/{item.id}", _item_form(item, name_en="Changed"), htmx=True)
    stale = browser.post(
        f"/work-items/{item.id}/delete", {"lock_version": item.lock_version}, htmx=True
    )
    assert stale.status_code == 409
    assert "changed by someone else" in stale.text
    deleted = browser.post(
        f"/work-items/{item.id}/delete", {"lock_version": item.lock_version + 1}, htmx=True
    )
    assert deleted.status_code == 200
    assert deleted.text.lstrip().startswith('<section id="items">')
    assert "DIS-002" not in deleted.text
    with Session(seeded) as session:
        assert session.get(WorkItem, item.id) is None


def test_publishing_a_draft_makes_it_read_only_and_a_stale_publish_is_a_conflict(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    with Session(seeded) as session:
        draft = session.get(CatalogVersion, draft_id)
        assert draft is not None
        lock_version = draft.lock_version
    wrong = browser.post(
        f"/catalog-versions/{draft_id}/publish", {"lock_version": lock_version + 5}, htmx=True
    )
    assert wrong.status_code == 409
    assert "changed by someone else" in wrong.text
    published = browser.post(
        f"/catalog-versions/{draft_id}/publish", {"lock_version": lock_version}, htmx=True
    )
    assert published.status_code == 200
    assert published.text.lstrip().startswith('<section id="version">')
    assert "status-published" in published.text
    assert "/work-items/" not in published.text
    again = browser.post(f"/catalog-versions/{draft_id}/publish", {"lock_version": lock_version})
    assert again.status_code == 409
    assert "already published" in again.text


def test_without_javascript_publishing_and_deleting_redirect_back_to_the_version(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _item(seeded, draft_id, "DIS-001")
    deleted = browser.post(f"/work-items/{item.id}/delete", {"lock_version": item.lock_version})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == f"/catalog-versions/{draft_id}#items"
    with Session(seeded) as session:
        draft = session.get(CatalogVersion, draft_id)
        assert draft is not None
        lock_version = draft.lock_version
    published = browser.post(
        f"/catalog-versions/{draft_id}/publish", {"lock_version": lock_version}
    )
    assert published.status_code == 303
    assert published.headers["location"] == f"/catalog-versions/{draft_id}#version"


def test_catalog_changes_are_recorded_in_the_audit_log(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    draft_id = _new_draft(browser, _published_version_id(seeded))
    item = _with_roles(seeded, _item(seeded, draft_id, "DIS-001"))
    browser.post(f"/work-items/{item.id}", _item_form(item, name_en="Audited"), htmx=True)
    with Session(seeded) as session:
        events = session.exec(
            select(AuditEvent)
            .where(AuditEvent.entity_type == "catalog_version")
            .order_by(col(AuditEvent.id))
        ).all()
    assert [(event.action, event.entity_id) for event in events] == [
        ("new_draft", draft_id),
        ("update_item", draft_id),
    ]
    assert events[1].summary == "DIS-001"


# --- Excel import -----------------------------------------------------------------------------


def _workbook(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = ITEMS_SHEET
    sheet.append([spec.header for spec in COLUMNS])
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _row(**values: object) -> list[object]:
    defaults: dict[str, object] = {
        "code": "IMP-001",
        "name_zh": "导入项",
        "name_en": "Imported item",
        "phase": "build",
        "unit": "item",
        "kind": "days",
        "percent_of": "",
        "distribution": "pert",
        "role": "BE",
        "optimistic": 1,
        "most_likely": 2,
        "pessimistic": 3,
        "tags": "",
        "description_zh": "",
        "description_en": "",
    }
    defaults.update(values)
    return [defaults[spec.key] for spec in COLUMNS]


def _upload(browser: Browser, data: bytes, *, catalog_code: str = "", name: str = "items.xlsx"):  # type: ignore[no-untyped-def]
    return browser.post(
        "/catalogs/import", {"catalog_code": catalog_code}, files={"workbook": (name, data, XLSX)}
    )


def test_a_valid_workbook_becomes_a_new_draft_and_the_admin_lands_on_it(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    data = _workbook([_row(), _row(role="QA"), _row(code="IMP-002", name_en="Second")])
    response = _upload(browser, data, catalog_code="default")
    assert response.status_code == 303
    draft_id = int(response.headers["location"].rsplit("/", 1)[1])
    with Session(seeded) as session:
        draft = session.get(CatalogVersion, draft_id)
        assert draft is not None
        assert (draft.status, draft.number, draft.catalog.code) == (
            VersionStatus.DRAFT,
            2,
            "default",
        )
        assert [item.code for item in draft.items] == ["IMP-001", "IMP-002"]
        assert len(draft.items[0].estimates) == 2


def test_an_exported_version_imports_back_unchanged(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    version_id = _published_version_id(seeded)
    exported = browser.get(f"/catalog-versions/{version_id}/export.xlsx").content
    response = _upload(browser, exported)
    assert response.status_code == 303
    draft_id = int(response.headers["location"].rsplit("/", 1)[1])
    with Session(seeded) as session:
        counts = dict(
            session.exec(
                select(WorkItem.catalog_version_id, func.count())
                .group_by(col(WorkItem.catalog_version_id))
                .order_by(col(WorkItem.catalog_version_id))
            ).all()
        )
    assert counts[draft_id] == counts[version_id]


def test_a_bad_workbook_is_refused_listing_every_problem_by_cell_and_nothing_is_saved(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    data = _workbook(
        [
            _row(optimistic=5, most_likely=3),
            _row(code="IMP-002", role="CEO"),
            _row(code="IMP-003", phase="nowhere"),
            _row(code="IMP-004", pessimistic="lots"),
        ]
    )
    response = _upload(browser, data)
    assert response.status_code == 422
    assert "nothing was saved" in response.text or "未保存任何内容" in response.text
    table = response.text.split('id="import-problems"', 1)[1]
    expected = [
        ("J2", "optimistic=5 is above most_likely=3"),
        ("I3", "unknown role &#39;CEO&#39;"),
        ("D4", "&#39;nowhere&#39; is not one of"),
        ("L5", "pessimistic=&#39;lots&#39; is not a number"),
    ]
    for cell, message in expected:
        assert re.search(
            rf"<td>{re.escape(ITEMS_SHEET)}</td><td>{cell}</td><td>[^<]*{re.escape(message)}", table
        ), (cell, message)
    assert table.count("<tr><td>") == len(expected)
    assert _version_count(seeded) == 1


def test_a_file_that_is_not_a_workbook_is_refused_with_its_name(
    open_as: Open, seeded: Engine
) -> None:
    response = _upload(open_as(AccessRole.ADMIN), b"just text", name="notes.xlsx")
    assert response.status_code == 422
    assert "<td>notes.xlsx</td>" in response.text
    assert "not an .xlsx workbook" in response.text
    assert _version_count(seeded) == 1


def test_the_import_report_is_a_fragment_for_htmx(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.ADMIN)
    response = browser.post(
        "/catalogs/import",
        {"catalog_code": ""},
        files={"workbook": ("x.xlsx", b"nope", XLSX)},
        htmx=True,
    )
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<section id="import">')
