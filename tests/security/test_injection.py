"""Injection: stored XSS in every user text field, spreadsheet formulas, SQL in search boxes.

Payloads are written straight into the stored text fields (catalog item names, risks,
customer and opportunity names, estimate and line names, assumptions, requirement texts
and answers, answer-library texts, user names), then an admin crawls every page and
fragment: the markup must never come back live, only escaped. The documents and exports
must carry the payloads as literal text, and a cell starting with ``=``, ``+``, ``-``,
``@``, tab or CR must stay a text cell in every workbook and CSV the app produces.
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, SQLModel, select

from app.db import write_session
from app.models import (
    AnswerLibraryEntry,
    EstimateRevision,
    Requirement,
    User,
)
from app.vocabulary import AccessRole
from tests.intake import workbooks
from tests.security.test_sales_never_sees_cost import _crawl
from tests.web.conftest import Browser
from tests.web.test_intake import confirmed_list

Open = Callable[[AccessRole], Browser]
XSS = '<script>alert("xss")</script><img src=x onerror=alert(1)>'
XSS_ESCAPED = "&lt;script&gt;"
FORMULAS = ["=1+2", "+1+2", "-1+2", "@SUM(1,2)", "\t=1+2", "\r=1+2"]
# Stored text fields of the seeded records, set with SQL so frozen versions take them too.
TEXT_COLUMNS = {
    "customer": ("name", "name_en"),
    "opportunity": ("name",),
    "estimate": ("name",),
    "work_item": ("name_zh", "name_en", "description_zh", "description_en"),
    "estimate_line": ("name_zh", "name_en", "note"),
    "risk": ("title", "description", "mitigation", "owner"),
    "statement": ("text",),
    "requirement": ("text", "section", "response", "reference", "deviation_note"),
    "answer_library_entry": ("question", "text_zh", "text_en", "reference"),
    "app_user": ("display_name", "username"),
}
UNIQUE_COLUMNS = {("app_user", "username")}  # made unique by appending the row id


def _columns(engine: Engine, table: str) -> set[str]:
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT * FROM {table} LIMIT 0"))  # noqa: S608
        return set(rows.keys())


def _plant(engine: Engine, payload: Callable[[str, str], str]) -> None:
    """Every listed text column of every row gets ``payload(table, column)``."""
    with write_session(engine) as session:
        for table, columns in TEXT_COLUMNS.items():
            present = [column for column in columns if column in _columns(engine, table)]
            for column in present:
                value = ":value || id" if (table, column) in UNIQUE_COLUMNS else ":value"
                session.execute(
                    text(f"UPDATE {table} SET {column} = {value}"),  # noqa: S608
                    {"value": _fitting(payload(table, column), table, column)},
                )


def _fitting(planted: str, table: str, column: str) -> str:
    """The payload without its "table.column" label where the column is too short for both
    (PostgreSQL enforces VARCHAR lengths; room is kept for a two-digit row id)."""
    length = getattr(SQLModel.metadata.tables[table].c[column].type, "length", None)
    if length is not None and len(planted) + 2 > length:
        planted = planted.split(" ", 1)[-1]
    assert length is None or len(planted) + 2 <= length, (table, column)
    return planted


def _prepare(open_as: Open, engine: Engine) -> tuple[Browser, int]:
    """Records in every table the payloads go into: a requirement list, a library entry,
    a risk and an assumption, a run; returns the admin browser and the run id."""
    bid = open_as(AccessRole.BID)
    confirmed_list(bid, engine)
    confirmed_list(bid, engine, workbooks.csv_bytes("utf-8"), "list.csv")  # a CSV write-back
    admin = open_as(AccessRole.ADMIN)
    with Session(engine) as session:
        revision = session.exec(select(EstimateRevision)).first()
        assert revision is not None
        revision_id = revision.id
    with write_session(engine) as session:
        owner = session.exec(select(User).where(User.username == "bid")).one()
        session.add(AnswerLibraryEntry(question="q", text_zh="z", text_en="e", owner_id=owner.id))
    admin.post(f"/revisions/{revision_id}/risks", {"title": "r", "probability": "0.5"})
    admin.post(f"/revisions/{revision_id}/statements", {"kind": "assumption", "text": "a"})
    started = admin.post(f"/revisions/{revision_id}/runs")
    assert started.status_code == 303, started.text
    return admin, int(started.headers["location"].rsplit("/", 1)[1])


def _parts(content: bytes) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        for name in archive.namelist():
            if name.endswith(".xml"):
                yield name, archive.read(name).decode("utf-8", "replace")


def _downloads(browser: Browser, run_id: int, engine: Engine) -> dict[str, bytes]:
    with Session(engine) as session:
        list_ids = sorted(set(session.exec(select(Requirement.list_id)).all()))
        version_id = session.exec(text("SELECT id FROM catalog_version LIMIT 1")).scalar()
    urls = {
        "proposal": f"/runs/{run_id}/proposal.docx",
        "quote": f"/runs/{run_id}/quote.xlsx",
        "catalog export": f"/catalog-versions/{version_id}/export.xlsx",
        "compliance matrix": f"/requirement-lists/{list_ids[0]}/compliance-matrix.xlsx",
    }
    for list_id in list_ids:
        urls[f"write-back of list {list_id}"] = f"/requirement-lists/{list_id}/export"
    found = {}
    for what, url in urls.items():
        response = browser.get(url)
        assert response.status_code == 200, (what, response.text[:300])
        found[what] = response.content
    return found


def test_stored_markup_in_every_text_field_comes_back_escaped_on_every_page_and_fragment(
    open_as: Open, seeded: Engine
) -> None:
    admin, run_id = _prepare(open_as, seeded)
    _plant(seeded, lambda table, column: f"{table}.{column} {XSS}")
    live, escaped, visited = [], 0, 0
    start = ["/", f"/runs/{run_id}", "/answer-library", "/admin/users"]
    for url, content_type, content in _crawl(admin, start):
        body = content.decode("utf-8", "replace")
        visited += 1
        # Downloads (the CSV write-back) carry the text as sent; a browser renders only HTML.
        if "html" in content_type and ("<script>alert" in body or "<img src=x" in body):
            live.append(url)
        escaped += body.count(XSS_ESCAPED)
    assert visited > 40
    assert escaped > 0, "no page showed the planted text at all"
    assert live == []


def test_stored_markup_survives_literally_in_the_documents_and_exports(
    open_as: Open, seeded: Engine
) -> None:
    admin, run_id = _prepare(open_as, seeded)
    _plant(seeded, lambda table, column: f"{table}.{column} {XSS}")
    for what, content in _downloads(admin, run_id, seeded).items():
        if not content.startswith(b"PK"):  # a CSV write-back
            assert any(XSS in cell for cell in _csv_cells(content).values()), what
            continue
        texts = dict(_parts(content))
        joined = "".join(texts.values())
        assert "<script>" not in joined, what  # never live XML
        assert "&lt;script&gt;alert(&quot;xss&quot;)" in joined or (
            '&lt;script&gt;alert("xss")' in joined
        ), what


def _formula_cells(xml: str) -> list[str]:
    return re.findall(r"<f>([^<]*)</f>", xml)


def test_formula_payloads_stay_text_in_every_workbook_and_csv(
    open_as: Open, seeded: Engine
) -> None:
    admin, run_id = _prepare(open_as, seeded)
    clean = _downloads(admin, run_id, seeded)
    assert any(not content.startswith(b"PK") for content in clean.values()), "no CSV export"
    for formula in FORMULAS:
        _plant(seeded, lambda table, column, formula=formula: formula)
        for what, content in _downloads(admin, run_id, seeded).items():
            if not content.startswith(b"PK"):
                _assert_written_csv_cells_are_text(content, clean[what], what)
                continue
            before = {name: _formula_cells(xml) for name, xml in _parts(clean[what])}
            marker = formula.lstrip("\t\r")[1:]  # "1+2" or "SUM(1,2)": the payload is there
            assert marker in "".join(xml for _, xml in _parts(content)), (what, formula)
            for name, xml in _parts(content):
                # The app's own formulas (totals) stay; no stored text became a formula.
                assert _formula_cells(xml) == before.get(name, []), (what, name, formula)


def _csv_cells(content: bytes) -> dict[tuple[int, int], str]:
    rows = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    return {
        (row_number, column): cell
        for row_number, row in enumerate(rows)
        for column, cell in enumerate(row)
    }


def _assert_written_csv_cells_are_text(content: bytes, clean: bytes, what: str) -> None:
    """Cells the app wrote (they differ from the export before the payloads went in); the
    customer's own cells come back as they were sent."""
    before = _csv_cells(clean)
    for place, cell in _csv_cells(content).items():
        if cell == before.get(place):
            continue
        dangerous = cell.startswith(("=", "+", "-", "@", "\t", "\r"))
        assert not dangerous or cell.startswith("'"), (what, place, cell)


@pytest.mark.parametrize(
    "query",
    ["' OR '1'='1", '"; DROP TABLE work_item; --', "%", "_", "\\", "\x00", "' UNION SELECT 1--"],
    ids=["or", "drop", "percent", "underscore", "backslash", "nul", "union"],
)
def test_sql_metacharacters_in_search_boxes_give_normal_answers(
    open_as: Open, seeded: Engine, query: str
) -> None:
    admin = open_as(AccessRole.ADMIN)
    with Session(seeded) as session:
        revision = session.exec(select(EstimateRevision)).first()
        assert revision is not None
    for url, name in (
        (f"/revisions/{revision.id}/catalog-search", "q"),
        ("/answer-library", "q"),
        ("/catalogs", "q"),
        ("/admin/audit", "q"),
    ):
        response = admin.get(url, params={name: query})
        assert response.status_code in {200, 422}, (url, response.status_code)
    with Session(seeded) as session:
        assert session.exec(text("SELECT count(*) FROM work_item")).scalar()  # still there
