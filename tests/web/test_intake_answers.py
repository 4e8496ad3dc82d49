"""The compliance matrix editor and the answer library."""

import io
import re
from collections.abc import Callable
from datetime import date, timedelta

from docx import Document
from sqlalchemy import Engine
from sqlmodel import Session, select

from app.db import write_session
from app.models import AnswerLibraryEntry, Requirement
from app.services.intake import requirements_for_revision
from app.services.intake_matches import draft_revisions
from app.vocabulary import AccessRole, Language
from tests.web.conftest import Browser
from tests.web.test_intake import (
    confirmed_list,
    count,
    is_fragment,
    lock_of,
    opportunity_id,
    requirements_of,
)

Open = Callable[[AccessRole], Browser]


def _mandatory(engine: Engine, list_id: int) -> Requirement:
    return next(r for r in requirements_of(engine, list_id) if r.mandatory)


def _answer(browser: Browser, requirement_id: int, **values: str):  # type: ignore[no-untyped-def]
    edit = browser.get(
        f"/requirements/{requirement_id}/answer/edit", headers={"HX-Request": "true"}
    )
    form = {"lock_version": lock_of(edit.text), "response": "", "reference": "", "note": ""}
    return browser.post(f"/requirements/{requirement_id}/answer", {**form, **values}, htmx=True)


def test_the_answers_page_and_fragment_list_every_requirement(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.SALES)
    list_id = confirmed_list(open_as(AccessRole.BID), seeded)
    page = browser.get(f"/requirement-lists/{list_id}/answers")
    assert page.status_code == 200
    for requirement in requirements_of(seeded, list_id):
        assert f'id="answer-{requirement.id}"' in page.text
    assert "/answer/edit" not in page.text  # sales reads only
    fragment = browser.get(
        f"/requirement-lists/{list_id}/answers",
        params={"show": "mandatory"},
        headers={"HX-Request": "true"},
    )
    assert is_fragment(fragment.text)
    assert fragment.text.lstrip().startswith('<section id="answers">')
    shown = re.findall(r'id="answer-(\d+)"', fragment.text)
    assert {int(i) for i in shown} == {
        r.id for r in requirements_of(seeded, list_id) if r.mandatory
    }


def test_an_answer_is_saved_inline_and_shows_its_chinese_deviation(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    list_id = confirmed_list(browser, seeded)
    requirement = requirements_of(seeded, list_id)[1]
    edit = browser.get(
        f"/requirements/{requirement.id}/answer/edit", headers={"HX-Request": "true"}
    )
    assert edit.text.lstrip().startswith(f'<tr id="answer-{requirement.id}" class="editing">')
    saved = _answer(
        browser, requirement.id or 0, compliance="exceeds", response="支持 SM4", reference="3.2"
    )
    assert saved.status_code == 200
    assert "优于要求 · 正偏离" in saved.text
    stored = next(r for r in requirements_of(seeded, list_id) if r.id == requirement.id)
    assert (stored.compliance, stored.response, stored.reference) == ("exceeds", "支持 SM4", "3.2")
    page = browser.get(f"/requirements/{requirement.id}/answer/edit")
    assert "<html" in page.text  # the editor works without htmx too
    plain = browser.post(
        f"/requirements/{requirement.id}/answer",
        {"lock_version": lock_of(page.text), "compliance": "comply", "response": "支持"},
    )
    assert plain.status_code == 303
    assert plain.headers["location"].endswith(f"#answer-{requirement.id}")


def test_a_bad_answer_is_refused_with_the_field_named_and_nothing_saved(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded)
    requirement = requirements_of(seeded, list_id)[0]
    refused = _answer(browser, requirement.id or 0, compliance="maybe", response="支持")
    assert refused.status_code == 422
    assert 'data-field="compliance"' in refused.text
    assert ">支持</textarea>" in refused.text  # what was typed is kept
    too_long = _answer(browser, requirement.id or 0, compliance="comply", reference="x" * 501)
    assert too_long.status_code == 422
    assert 'data-field="reference"' in too_long.text
    stored = next(r for r in requirements_of(seeded, list_id) if r.id == requirement.id)
    assert stored.compliance is None or stored.compliance == requirement.compliance
    assert stored.response == ""


def test_two_people_answering_the_same_requirement_cannot_overwrite_each_other(
    open_as: Open, seeded: Engine
) -> None:
    first, second = open_as(AccessRole.BID), open_as(AccessRole.PRESALES)
    list_id = confirmed_list(first, seeded)
    requirement = requirements_of(seeded, list_id)[0]
    url = f"/requirements/{requirement.id}/answer"
    first_form = first.get(f"{url}/edit", headers={"HX-Request": "true"}).text
    second_form = second.get(f"{url}/edit", headers={"HX-Request": "true"}).text
    assert (
        first.post(
            url,
            {"lock_version": lock_of(first_form), "compliance": "comply", "response": "第一位"},
            htmx=True,
        ).status_code
        == 200
    )
    conflict = second.post(
        url,
        {"lock_version": lock_of(second_form), "compliance": "non_comply", "response": "第二位"},
        htmx=True,
    )
    assert conflict.status_code == 409
    assert "someone else" in conflict.text
    stored = next(r for r in requirements_of(seeded, list_id) if r.id == requirement.id)
    assert (stored.compliance, stored.response) == ("comply", "第一位")
    # The conflict form carries the current version: saving again now works.
    retry = second.post(
        url,
        {"lock_version": lock_of(conflict.text), "compliance": "non_comply", "response": "第二位"},
        htmx=True,
    )
    assert retry.status_code == 200


def test_a_mandatory_requirement_with_a_negative_deviation_is_flagged(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    list_id = confirmed_list(browser, seeded)
    mandatory = _mandatory(seeded, list_id)
    partial = _answer(browser, mandatory.id or 0, compliance="partial", response="部分支持")
    assert "answer-warning" in partial.text
    assert 'role="alert"' in partial.text
    page = browser.get(f"/requirement-lists/{list_id}/answers").text
    assert 'id="warning-count"' in page
    only = browser.get(
        f"/requirement-lists/{list_id}/answers",
        params={"show": "warnings"},
        headers={"HX-Request": "true"},
    ).text
    assert re.findall(r'id="answer-(\d+)"', only) == [str(mandatory.id)]
    fixed = _answer(browser, mandatory.id or 0, compliance="comply", response="支持")
    assert "answer-warning" not in fixed.text


def test_library_suggestions_fill_the_answer_and_count_their_use(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    list_id = confirmed_list(browser, seeded)
    sso = next(r for r in requirements_of(seeded, list_id) if "单点登录" in r.text)
    created = browser.post(
        "/answer-library",
        {
            "question": "系统须支持统一身份认证与单点登录",
            "keywords": "SSO, 单点登录",
            "text_zh": "完全支持，基于 CAS/OAuth2 实现单点登录。",
            "text_en": "Fully supported through CAS / OAuth2 single sign-on.",
            "compliance": "comply",
        },
    )
    assert created.status_code == 303
    with Session(seeded) as session:
        entry = session.exec(select(AnswerLibraryEntry)).one()
    row = browser.get(f"/requirements/{sso.id}/answer", headers={"HX-Request": "true"}).text
    assert f"/answer/edit?entry={entry.id}" in row
    filled = browser.get(
        f"/requirements/{sso.id}/answer/edit",
        params={"entry": str(entry.id)},
        headers={"HX-Request": "true"},
    ).text
    assert "完全支持，基于 CAS/OAuth2 实现单点登录。" in filled
    assert f'name="entry_id" value="{entry.id}"' in filled
    saved = browser.post(
        f"/requirements/{sso.id}/answer",
        {
            "lock_version": lock_of(filled),
            "entry_id": str(entry.id),
            "compliance": "comply",
            "response": "完全支持，基于 CAS/OAuth2 实现单点登录。",
        },
        htmx=True,
    )
    assert saved.status_code == 200
    again = _answer(
        browser, sso.id or 0, compliance="comply", response="改写", entry_id=str(entry.id)
    )
    assert again.status_code == 200
    with Session(seeded) as session:
        used = session.get(AnswerLibraryEntry, entry.id)
        assert used is not None
        assert used.usage_count == 1  # counted once per requirement that takes it


def test_an_answer_can_be_saved_to_the_library(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded)
    requirement = requirements_of(seeded, list_id)[0]
    nothing = browser.post(f"/requirements/{requirement.id}/to-library", htmx=True)
    assert nothing.status_code == 422
    _answer(browser, requirement.id or 0, compliance="comply", response="已具备该能力")
    saved = browser.post(f"/requirements/{requirement.id}/to-library", htmx=True)
    assert saved.status_code == 200
    with Session(seeded) as session:
        entry = session.exec(select(AnswerLibraryEntry)).one()
    assert (entry.question, entry.text_zh, entry.text_en) == (requirement.text, "已具备该能力", "")
    assert entry.last_reviewed_on == date.today()


def test_the_library_page_lists_owner_review_date_usage_and_staleness(
    open_as: Open, seeded: Engine
) -> None:
    with write_session(seeded) as session:
        session.add(
            AnswerLibraryEntry(
                question="系统须支持数据备份",
                text_zh="支持每日全量备份",
                last_reviewed_on=date.today() - timedelta(days=400),
                usage_count=7,
            )
        )
        session.add(
            AnswerLibraryEntry(
                question="Training for administrators",
                text_en="Two days of training",
                last_reviewed_on=date.today() - timedelta(days=10),
            )
        )
    browser = open_as(AccessRole.SALES)
    page = browser.get("/answer-library")
    assert page.status_code == 200
    rows = dict(re.findall(r'<tr id="entry-(\d+)">(.*?)</tr>', page.text, re.S))
    stale = [row for row in rows.values() if "status-lost" in row]
    assert len(stale) == 1
    assert "系统须支持数据备份" in stale[0]
    assert ">7<" in stale[0]
    only_stale = browser.get(
        "/answer-library", params={"stale": "1"}, headers={"HX-Request": "true"}
    ).text
    assert is_fragment(only_stale)
    assert "系统须支持数据备份" in only_stale
    assert "Training for administrators" not in only_stale
    search = browser.get("/answer-library", params={"q": "备份"}, headers={"HX-Request": "true"})
    found = re.findall(r'<tr id="entry-(\d+)">(.*?)</tr>', search.text, re.S)
    assert "系统须支持数据备份" in found[0][1]


def test_library_entries_are_created_edited_reviewed_and_deleted_with_checks(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    refused = browser.post("/answer-library", {"question": "", "text_zh": "答"})
    assert refused.status_code == 422
    assert 'data-field="question"' in refused.text
    no_text = browser.post("/answer-library", {"question": "问题", "text_zh": "", "text_en": ""})
    assert no_text.status_code == 422
    assert count(seeded, AnswerLibraryEntry) == 0
    browser.post("/answer-library", {"question": "问题", "text_zh": "答复"})
    with Session(seeded) as session:
        entry = session.exec(select(AnswerLibraryEntry)).one()
    editor = browser.get(f"/answer-library/{entry.id}/edit", headers={"HX-Request": "true"})
    assert editor.text.lstrip().startswith(f'<tr id="entry-{entry.id}" class="editing">')
    lock = lock_of(editor.text)
    form = {"lock_version": lock, "question": "问题（改）", "text_zh": "答复二"}
    saved = browser.post(f"/answer-library/{entry.id}", form, htmx=True)
    assert saved.status_code == 200
    assert "问题（改）" in saved.text
    stale = browser.post(f"/answer-library/{entry.id}", {**form, "text_zh": "旧"}, htmx=True)
    assert stale.status_code == 409
    bad_date = browser.post(
        f"/answer-library/{entry.id}",
        {**form, "lock_version": lock_of(stale.text), "last_reviewed_on": "someday"},
        htmx=True,
    )
    assert bad_date.status_code == 422
    assert 'data-field="last_reviewed_on"' in bad_date.text
    with write_session(seeded) as session:
        old = session.get(AnswerLibraryEntry, entry.id)
        assert old is not None
        old.last_reviewed_on = date(2020, 1, 1)
        session.add(old)
    row = browser.get(f"/answer-library/{entry.id}/row", headers={"HX-Request": "true"}).text
    reviewed = browser.post(
        f"/answer-library/{entry.id}/reviewed", {"lock_version": lock_of(row)}, htmx=True
    )
    assert reviewed.status_code == 200
    assert "status-lost" not in reviewed.text
    deleted = browser.post(
        f"/answer-library/{entry.id}/delete", {"lock_version": lock_of(reviewed.text)}, htmx=True
    )
    assert deleted.status_code == 200
    assert deleted.text.lstrip().startswith('<section id="entries">')
    assert count(seeded, AnswerLibraryEntry) == 0


def test_requirements_for_a_revision_carry_their_answers_for_the_proposal(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    list_id = confirmed_list(browser, seeded)
    mandatory = _mandatory(seeded, list_id)
    _answer(browser, mandatory.id or 0, compliance="non_comply", response="不支持", note="见说明")
    with Session(seeded) as session:
        revision = draft_revisions(session, opportunity_id(seeded))[0]
        rows = requirements_for_revision(session, revision.id or 0, language=Language.ZH)
        english = requirements_for_revision(session, revision.id or 0, language=Language.EN)
    assert [row.number for row in rows] == [str(n) for n in range(1, len(rows) + 1)]
    answered = next(row for row in rows if row.clause == mandatory.key)
    assert (answered.compliance, answered.deviation) == ("不满足", "负偏离")
    assert (answered.response, answered.note, answered.mandatory) == ("不支持", "见说明", True)
    assert next(row for row in english if row.clause == mandatory.key).deviation == (
        "Negative deviation"
    )
    unanswered = [row for row in rows if row.clause != mandatory.key]
    assert all(row.deviation in {"", "无偏离", "正偏离", "负偏离", "不适用"} for row in unanswered)


def test_the_proposal_lists_the_answered_requirements(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    list_id = confirmed_list(browser, seeded)
    requirement = _mandatory(seeded, list_id)
    _answer(browser, requirement.id or 0, compliance="comply", response="完全响应：基于 CAS 实现")
    with Session(seeded) as session:
        revision = draft_revisions(session, opportunity_id(seeded))[0]
    run = browser.post(f"/revisions/{revision.id}/runs")
    assert run.status_code == 303, run.text
    proposal = browser.get(f"{run.headers['location']}/proposal.docx?language=zh")
    assert proposal.status_code == 200
    document = Document(io.BytesIO(proposal.content))
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert requirement.text in cells
    assert "完全响应：基于 CAS 实现" in cells


def test_row_and_editor_urls_serve_a_fragment_to_htmx_and_a_page_otherwise(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.BID)
    list_id = confirmed_list(browser, seeded)
    requirement = requirements_of(seeded, list_id)[0]
    browser.post("/answer-library", {"question": "问题", "text_zh": "答复"})
    with Session(seeded) as session:
        entry = session.exec(select(AnswerLibraryEntry)).one()
    mapper = browser.get(f"/requirement-lists/{list_id}/mapping", headers={"HX-Request": "true"})
    assert mapper.text.lstrip().startswith('<section id="mapper">')
    for url, fragment_start in (
        (f"/requirements/{requirement.id}/answer", f'<tr id="answer-{requirement.id}"'),
        (f"/answer-library/{entry.id}/row", f'<tr id="entry-{entry.id}">'),
        (f"/answer-library/{entry.id}/edit", f'<tr id="entry-{entry.id}" class="editing">'),
    ):
        fragment = browser.get(url, headers={"HX-Request": "true"})
        assert fragment.status_code == 200, url
        assert fragment.text.lstrip().startswith(fragment_start), url
        page = browser.get(url, follow_redirects=False)
        assert page.status_code in {200, 303}, url
        if page.status_code == 200:
            assert "<html" in page.text
        history = browser.get(
            url,
            headers={"HX-Request": "true", "HX-History-Restore-Request": "true"},
            follow_redirects=False,
        )
        assert history.status_code == page.status_code, url


def test_library_and_mapper_posts_also_work_without_htmx(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.BID)
    browser.post("/answer-library", {"question": "问题", "text_zh": "答复"})
    with Session(seeded) as session:
        entry = session.exec(select(AnswerLibraryEntry)).one()
    form = {"lock_version": str(entry.lock_version), "question": "问题二", "text_zh": "答复二"}
    saved = browser.post(f"/answer-library/{entry.id}", form)
    assert (saved.status_code, saved.headers["location"]) == (
        303,
        f"/answer-library#entry-{entry.id}",
    )
    row = browser.get(f"/answer-library/{entry.id}/row", headers={"HX-Request": "true"}).text
    reviewed = browser.post(f"/answer-library/{entry.id}/reviewed", {"lock_version": lock_of(row)})
    assert reviewed.status_code == 303
    row = browser.get(f"/answer-library/{entry.id}/row", headers={"HX-Request": "true"}).text
    deleted = browser.post(f"/answer-library/{entry.id}/delete", {"lock_version": lock_of(row)})
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/answer-library")
    assert count(seeded, AnswerLibraryEntry) == 0
