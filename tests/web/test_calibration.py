"""Calibration pages, per role, as pages and htmx fragments; runs calibrated from history.

The seeded database holds the demo delivery history (48 projects), so every page has data.
"""

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from decimal import Decimal

import docx
import pytest
from sqlalchemy import Engine, func
from sqlalchemy.orm import undefer
from sqlmodel import Session, select

import estimation
from app.db import write_session
from app.models import (
    EstimateRevision,
    HistoryImport,
    HistoryProject,
    Opportunity,
    SimulationRun,
    User,
)
from app.services import documents as document_service
from app.services.engine_input import model_from_snapshot
from app.services.revision_view import settings_values
from app.vocabulary import AccessRole, Language, OpportunityStatus
from tests.web.conftest import Browser

Open = Callable[[AccessRole], Browser]
FRAGMENT = {"HX-Request": "true"}


def _revision(engine: Engine) -> EstimateRevision:
    with Session(engine) as session:
        return session.exec(select(EstimateRevision)).first()  # type: ignore[return-value]


def _opportunity_id(engine: Engine) -> int:
    with Session(engine) as session:
        opportunity = session.exec(select(Opportunity)).first()
        assert opportunity is not None
        assert opportunity.id is not None
        return opportunity.id


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


# --- reading: every role, page and fragment -----------------------------------------------------


@pytest.mark.parametrize("role", list(AccessRole))
def test_every_role_reads_the_accuracy_and_backtest_page(open_as: Open, role: AccessRole) -> None:
    browser = open_as(role)
    page = browser.get("/calibration?group_by=role")
    assert page.status_code == 200
    assert "<html" in page.text
    text = _text(page.text)
    assert re.search(r"在 \d+ 个以往项目上.*原始 P80 覆盖了 [\d.]+%；校准后为 [\d.]+%", text)
    assert "MdMRE" in text
    assert "PRED(25)" in text
    assert 'href="/calibration"' in page.text  # the nav link


def test_the_grouping_switch_returns_only_the_body_to_htmx(open_as: Open) -> None:
    fragment = open_as(AccessRole.BID).get("/calibration?group_by=estimator", headers=FRAGMENT)
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<div id="calibration-body">')
    assert "<html" not in fragment.text
    for estimator in ("zhang.wei", "li.na", "wang.fang", "chen.jie"):
        assert estimator in fragment.text
    assert fragment.headers["Vary"] == "HX-Request"


def test_an_unknown_grouping_is_refused_with_the_field_named(open_as: Open) -> None:
    response = open_as(AccessRole.SALES).get("/calibration?group_by=team")
    assert response.status_code == 422
    assert "group_by" in response.text


@pytest.mark.parametrize("name", ["ratios", "reliability"])
def test_the_charts_are_svg_images_with_a_narrow_policy(open_as: Open, name: str) -> None:
    response = open_as(AccessRole.SALES).get(f"/calibration/charts/{name}.svg?group_by=phase")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/svg+xml"
    assert response.text.lstrip().startswith("<?xml")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert open_as(AccessRole.SALES).get("/calibration/charts/x.svg").status_code == 404


@pytest.mark.parametrize("role", list(AccessRole))
def test_every_role_reads_the_history_and_only_editors_see_delete(
    open_as: Open, role: AccessRole
) -> None:
    browser = open_as(role)
    page = browser.get("/calibration/history")
    fragment = browser.get("/calibration/history", headers=FRAGMENT)
    assert page.status_code == fragment.status_code == 200
    assert "demo_history.csv" in page.text
    assert fragment.text.lstrip().startswith('<div id="history-body">')
    editor = role in (AccessRole.ADMIN, AccessRole.PRESALES)
    assert ("/calibration/imports/" in page.text) is editor


@pytest.mark.parametrize("role", [AccessRole.BID, AccessRole.SALES])
def test_bid_and_sales_cannot_import_close_or_record_actuals(
    open_as: Open, seeded: Engine, role: AccessRole
) -> None:
    browser = open_as(role)
    opportunity = _opportunity_id(seeded)
    assert browser.get("/calibration/import").status_code == 403
    assert browser.post("/calibration/import", files={"upload": ("a.csv", b"x")}).status_code == 403
    assert (
        browser.post(f"/opportunities/{opportunity}/outcome", {"outcome": "won"}).status_code == 403
    )
    assert browser.post(f"/opportunities/{opportunity}/actuals", {"rows": "0"}).status_code == 403
    assert browser.post("/calibration/imports/1/delete").status_code == 403
    page = browser.get(f"/opportunities/{opportunity}/outcome")
    assert page.status_code == 200
    assert "Save the outcome" not in page.text
    assert "保存结果" not in page.text


# --- importing a file --------------------------------------------------------------------------


TIMESHEET = (
    b"Project,Task,Role,Estimate (days),Actual (days),Estimator,Finished\n"
    b"Alpha,Login,BE,10,12,amy,2026-01-10\n"
    b"Alpha,Reports,FE,5,0,amy,2026-01-10\n"
    b"Beta,Search,BE,8,11.5,amy,2026-02-01\n"
    b"Beta,Export,QA,four,3,amy,2026-02-01\n"
)


def _upload(
    browser: Browser, data: bytes, name: str = "timesheet.csv", **form: str
) -> tuple[str, int]:
    response = browser.post(
        "/calibration/import", {"kind": "tasks", **form}, files={"upload": (name, data)}
    )
    return str(response.text), int(response.status_code)


def _token(html: str) -> str:
    match = re.search(r"/calibration/import/([A-Za-z0-9_-]+)/preview", html)
    assert match is not None
    return match.group(1)


def _mapping(html: str) -> dict[str, str]:
    """The columns the form proposes (selected options)."""
    selects = re.findall(r'<select name="(column_\w+)">(.*?)</select>', html, flags=re.S)
    chosen = {}
    for name, options in selects:
        picked = re.search(r'<option value="(\d+)" selected>', options)
        chosen[name] = picked.group(1) if picked else ""
    return chosen


def test_an_upload_proposes_columns_and_stores_nothing_until_confirmed(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    before = (_count(seeded, HistoryImport), _count(seeded, HistoryProject))
    html, status = _upload(browser, TIMESHEET)
    assert status == 200
    mapping = _mapping(html)
    assert mapping == {
        "column_project": "0",
        "column_task": "1",
        "column_phase": "",
        "column_category": "",
        "column_role": "2",
        "column_estimate": "3",
        "column_actual": "4",
        "column_estimator": "5",
        "column_date": "6",
    }
    token = _token(html)
    preview = browser.post(
        f"/calibration/import/{token}/preview", {"kind": "tasks", **mapping}, htmx=True
    )
    assert preview.status_code == 200
    assert preview.text.lstrip().startswith('<section id="import-step">')
    text = _text(preview.text)
    assert "E3 actual 0 must be above zero" in text
    assert "D5 estimate 'four' is not a number" in text
    assert re.search(r"2 (rows can be imported|行可以导入)", text)
    assert (_count(seeded, HistoryImport), _count(seeded, HistoryProject)) == before
    done = browser.post(f"/calibration/import/{token}/confirm", {"kind": "tasks", **mapping})
    assert done.status_code == 303
    assert done.headers["location"].startswith("/calibration/history?imported=")
    with Session(seeded) as session:
        stored = session.exec(
            select(HistoryImport).where(HistoryImport.file_name == "timesheet.csv")
        ).one()
        assert (stored.rows_imported, stored.rows_skipped) == (2, 2)
        names = set(
            session.exec(select(HistoryProject.name).where(HistoryProject.import_id == stored.id))
        )
        assert names == {"Alpha", "Beta"}


def test_the_same_file_twice_is_flagged_and_cannot_be_confirmed(open_as: Open) -> None:
    browser = open_as(AccessRole.ADMIN)
    html, _ = _upload(browser, TIMESHEET)
    token, mapping = _token(html), _mapping(html)
    assert browser.post(f"/calibration/import/{token}/confirm", mapping).status_code == 303
    html, _ = _upload(browser, TIMESHEET)
    assert "该文件此前已导入" in html
    again = browser.post(f"/calibration/import/{_token(html)}/confirm", _mapping(html))
    assert again.status_code == 422
    assert "already imported" in again.text


def test_a_wrong_mapping_shows_the_form_again_with_the_field_named(open_as: Open) -> None:
    browser = open_as(AccessRole.PRESALES)
    html, _ = _upload(browser, TIMESHEET)
    mapping = {**_mapping(html), "column_actual": "3"}  # the estimate's column twice
    response = browser.post(f"/calibration/import/{_token(html)}/preview", mapping, htmx=True)
    assert response.status_code == 422
    assert "column D is already used for estimate" in response.text
    assert "/preview" in response.text  # the mapping form, ready to correct


def test_a_zip_bomb_upload_is_refused_and_nothing_is_kept(open_as: Open) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (600 * 1024 * 1024))
    html, status = _upload(open_as(AccessRole.PRESALES), buffer.getvalue(), "bomb.xlsx")
    assert status == 422
    assert "likely zip bomb" in html
    assert "/preview" not in html


def test_another_users_upload_token_is_not_found(open_as: Open) -> None:
    html, _ = _upload(open_as(AccessRole.PRESALES), TIMESHEET)
    other = open_as(AccessRole.ADMIN).post(
        f"/calibration/import/{_token(html)}/preview", _mapping(html)
    )
    assert other.status_code == 404


def test_the_import_form_is_a_page_and_a_fragment(open_as: Open) -> None:
    browser = open_as(AccessRole.PRESALES)
    assert "<html" in browser.get("/calibration/import").text
    fragment = browser.get("/calibration/import", headers=FRAGMENT).text
    assert fragment.lstrip().startswith('<section id="import-step">')


def test_deleting_an_import_removes_its_projects(open_as: Open, seeded: Engine) -> None:
    with Session(seeded) as session:
        demo = session.exec(select(HistoryImport)).one()
    response = open_as(AccessRole.ADMIN).post(f"/calibration/imports/{demo.id}/delete", htmx=True)
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<div id="history-body">')
    assert _count(seeded, HistoryImport) == 0
    assert _count(seeded, HistoryProject) == 0


# --- outcome and actuals ------------------------------------------------------------------------


def _run(browser: Browser, revision_id: int) -> int:
    response = browser.post(f"/revisions/{revision_id}/runs")
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_closing_as_won_needs_the_final_price_and_then_records_a_history_project(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    run_id = _run(browser, _revision(seeded).id or 0)
    opportunity = _opportunity_id(seeded)
    missing = browser.post(f"/opportunities/{opportunity}/outcome", {"outcome": "won"}, htmx=True)
    assert missing.status_code == 422
    assert "final_price" in missing.text
    saved = browser.post(
        f"/opportunities/{opportunity}/outcome",
        {"outcome": "won", "final_price": "1,234,567.80", "closed_on": "2026-03-01"},
        htmx=True,
    )
    assert saved.status_code == 200
    assert saved.text.lstrip().startswith('<div id="outcome-body">')
    with Session(seeded) as session:
        record = session.get(Opportunity, opportunity)
        assert record is not None
        assert record.status == OpportunityStatus.WON
        project = session.exec(
            select(HistoryProject).where(HistoryProject.opportunity_id == opportunity)
        ).one()
        run = session.get(SimulationRun, run_id)
        assert run is not None
        assert run.summary is not None
        assert project.raw_p80_days == run.summary["effort_p80"]
        assert project.estimator == "presales"


def test_actuals_per_phase_and_role_start_from_the_plan_and_are_stored(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    _run(browser, _revision(seeded).id or 0)
    opportunity = _opportunity_id(seeded)
    browser.post(
        f"/opportunities/{opportunity}/outcome", {"outcome": "won", "final_price": "100000"}
    )
    page = browser.get(f"/opportunities/{opportunity}/outcome").text
    rows = int(re.search(r'name="rows" value="(\d+)"', page).group(1))  # type: ignore[union-attr]
    assert rows > 3
    form = dict(
        re.findall(
            r'name="((?:phase|role|estimate)_\d+)" (?:class="narrow" )?value="([^"]*)"', page
        )
    )
    form.update({"rows": str(rows), "actual_0": "12.5", "actual_1": "0.5", "estimator": "ann"})
    form["finished_on"] = "2026-06-30"
    bad = browser.post(
        f"/opportunities/{opportunity}/actuals", {**form, "actual_1": "-1"}, htmx=True
    )
    assert bad.status_code == 422
    assert "actual_1" in bad.text
    good = browser.post(f"/opportunities/{opportunity}/actuals", form)
    assert good.status_code == 303
    with Session(seeded) as session:
        project = session.exec(
            select(HistoryProject).where(HistoryProject.opportunity_id == opportunity)
        ).one()
        assert [(t.actual_days, t.estimator) for t in project.tasks] == [
            (12.5, "ann"),
            (0.5, "ann"),
        ]
        assert project.tasks[0].estimated_days == pytest.approx(float(form["estimate_0"]))
        assert str(project.finished_on) == "2026-06-30"


def test_an_opportunity_with_actuals_cannot_be_closed_as_lost_silently(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.ADMIN)
    _run(browser, _revision(seeded).id or 0)
    opportunity = _opportunity_id(seeded)
    browser.post(f"/opportunities/{opportunity}/outcome", {"outcome": "won", "final_price": "1"})
    page = browser.get(f"/opportunities/{opportunity}/outcome").text
    form = dict(
        re.findall(
            r'name="((?:phase|role|estimate)_\d+)" (?:class="narrow" )?value="([^"]*)"', page
        )
    )
    browser.post(f"/opportunities/{opportunity}/actuals", {**form, "rows": "1", "actual_0": "3"})
    lost = browser.post(f"/opportunities/{opportunity}/outcome", {"outcome": "lost"}, htmx=True)
    assert lost.status_code == 422
    assert "delete those actuals" in lost.text


# --- calibrated runs ------------------------------------------------------------------------------


def _calibrate(browser: Browser, engine: Engine, **choices: str) -> EstimateRevision:
    revision = _revision(engine)
    form = {
        key: "" if value is None else str(value)
        for key, value in settings_values(revision).items()
        if key != "notes"
    }
    form.update({"lock_version": str(revision.lock_version), "iterations": "20000", **choices})
    response = browser.post(f"/revisions/{revision.id}/settings", form, htmx=True)
    assert response.status_code == 200, response.text
    return _revision(engine)


def _stored(engine: Engine, run_id: int) -> SimulationRun:
    with Session(engine) as session:
        run = session.get(
            SimulationRun,
            run_id,
            options=[undefer(SimulationRun.input_snapshot), undefer(SimulationRun.result)],  # type: ignore[arg-type]
        )
        assert run is not None
        return run


def test_a_calibrated_run_shows_the_switch_the_coverage_and_prices_on_the_chosen_basis(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    revision = _calibrate(browser, seeded, calibration="role", price_basis="calibrated")
    assert (revision.calibration, revision.price_basis) == ("role", "calibrated")
    run_id = _run(browser, revision.id or 0)
    run = _stored(seeded, run_id)
    summary = run.summary or {}
    assert summary["price_basis"] == "calibrated"
    assert summary["price_at_confidence"] == summary["calibrated"]["price_at_confidence"]
    assert Decimal(summary["calibrated"]["price_p80"]) > Decimal(summary["price_p80"])
    page = browser.get(f"/runs/{run_id}").text
    text = _text(page)
    sentence = re.search(
        r"在 (\d+) 个以往项目上，原始 P80 覆盖了 ([\d.]+)%；校准后为 ([\d.]+)%", text
    )
    assert sentence is not None
    assert int(sentence.group(1)) == summary["calibration"]["coverage"]["projects"]
    assert 'aria-current="page">校准后' in page  # the recorded basis is shown first
    raw = browser.get(f"/runs/{run_id}?basis=raw", headers=FRAGMENT)
    assert raw.status_code == 200
    assert raw.text.lstrip().startswith('<div id="run-body"')
    assert 'aria-current="page">原始' in raw.text


def test_the_quote_is_priced_on_the_calibrated_result_when_chosen(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    revision = _calibrate(browser, seeded, calibration="overall", price_basis="calibrated")
    run_id = _run(browser, revision.id or 0)
    summary = _stored(seeded, run_id).summary or {}
    with write_session(seeded) as session:
        user = session.exec(select(User).where(User.username == "presales")).one()
        view = document_service.quote_lines(session, run_id, user=user, language=Language.ZH)
    assert view.subtotal_value == Decimal(summary["calibrated"]["price_at_confidence"])


def test_a_calibrated_run_stores_the_calibration_used_and_reproduces_from_its_snapshot(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    revision = _calibrate(browser, seeded, calibration="phase")
    run = _stored(seeded, _run(browser, revision.id or 0))
    snapshot = run.input_snapshot
    assert snapshot["calibration_source"]["group_by"] == "phase"
    assert snapshot["calibration_source"]["projects"] == 48
    assert snapshot["calibration_source"]["first_date"] == "2023-02-17"
    stored = estimation.SimulationResult.from_dict(run.result or {})
    assert stored.calibrated is not None
    assert stored.calibrated.calibration.to_dict() == snapshot["calibration"]
    again = estimation.simulate(
        model_from_snapshot(json.loads(json.dumps(snapshot))),
        iterations=run.iterations,
        seed=run.seed,
        sampling=run.sampling.value,
    )
    assert again.to_dict() == run.result


def test_calibration_without_enough_history_refuses_the_run_with_a_message(
    open_as: Open, seeded: Engine
) -> None:
    admin = open_as(AccessRole.ADMIN)
    with Session(seeded) as session:
        demo = session.exec(select(HistoryImport)).one()
    admin.post(f"/calibration/imports/{demo.id}/delete")
    revision = _calibrate(admin, seeded, calibration="overall")
    response = admin.post(f"/revisions/{revision.id}/runs")
    assert response.status_code == 422
    assert "calibration needs at least 3 past projects" in response.text


def test_sales_see_the_calibrated_comparison_without_any_cost(
    open_as: Open, seeded: Engine
) -> None:
    presales = open_as(AccessRole.PRESALES)
    revision = _calibrate(presales, seeded, calibration="role")
    run_id = _run(presales, revision.id or 0)
    page = open_as(AccessRole.SALES).get(f"/runs/{run_id}?basis=calibrated").text
    assert 'id="raw-vs-calibrated"' in page
    for word in ("成本", "毛利", "Cost", "Margin", "cost_day_rate"):
        assert word not in page


# --- every htmx route as page and fragment ------------------------------------------------------


def test_uploading_answers_the_mapping_step_as_a_fragment_too(open_as: Open) -> None:
    browser = open_as(AccessRole.PRESALES)
    response = browser.client.post(
        "/calibration/import",
        data={"csrf_token": browser.csrf, "kind": "tasks"},
        files={"upload": ("timesheet.csv", TIMESHEET)},
        headers=FRAGMENT,
    )
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="import-step">')
    assert "/preview" in response.text


def test_the_preview_is_a_full_page_without_htmx(open_as: Open) -> None:
    browser = open_as(AccessRole.PRESALES)
    html, _ = _upload(browser, TIMESHEET)
    page = browser.post(f"/calibration/import/{_token(html)}/preview", _mapping(html))
    assert page.status_code == 200
    assert "<html" in page.text
    assert 'id="import-preview"' in page.text


def test_deleting_an_import_without_htmx_redirects_to_the_history(
    open_as: Open, seeded: Engine
) -> None:
    with Session(seeded) as session:
        demo = session.exec(select(HistoryImport)).one()
    response = open_as(AccessRole.PRESALES).post(f"/calibration/imports/{demo.id}/delete")
    assert response.status_code == 303
    assert response.headers["location"] == "/calibration/history"


def test_the_outcome_page_is_a_page_and_a_fragment_and_a_plain_post_redirects(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    opportunity = _opportunity_id(seeded)
    assert "<html" in browser.get(f"/opportunities/{opportunity}/outcome").text
    fragment = browser.get(f"/opportunities/{opportunity}/outcome", headers=FRAGMENT).text
    assert fragment.lstrip().startswith('<div id="outcome-body">')
    response = browser.post(f"/opportunities/{opportunity}/outcome", {"outcome": "cancelled"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/opportunities/{opportunity}/outcome"
    with Session(seeded) as session:
        record = session.get(Opportunity, opportunity)
        assert record is not None
        assert record.status == OpportunityStatus.CANCELLED
    assert _count(seeded, HistoryProject) == 48  # a cancelled bid teaches no ratio


def test_a_timesheet_can_carry_a_won_opportunitys_actuals(open_as: Open, seeded: Engine) -> None:
    browser = open_as(AccessRole.PRESALES)
    _run(browser, _revision(seeded).id or 0)
    opportunity = _opportunity_id(seeded)
    browser.post(f"/opportunities/{opportunity}/outcome", {"outcome": "won", "final_price": "9"})
    html, status = _upload(browser, TIMESHEET, opportunity_id=str(opportunity))
    assert status == 200
    mapping = _mapping(html)
    form = {"kind": "tasks", "opportunity_id": str(opportunity), **mapping}
    done = browser.post(f"/calibration/import/{_token(html)}/confirm", form)
    assert done.status_code == 303
    with Session(seeded) as session:
        project = session.exec(
            select(HistoryProject).where(HistoryProject.opportunity_id == opportunity)
        ).one()
        assert [(t.name, t.actual_days) for t in project.tasks] == [
            ("Login", 12.0),
            ("Search", 11.5),
        ]
        assert str(project.finished_on) == "2026-02-01"
        assert project.import_id is None  # deleting the file's import keeps the won project


def test_a_timesheet_cannot_go_to_an_opportunity_that_was_not_won(
    open_as: Open, seeded: Engine
) -> None:
    html, status = _upload(
        open_as(AccessRole.PRESALES), TIMESHEET, opportunity_id=str(_opportunity_id(seeded))
    )
    assert status == 422
    assert "only a won opportunity can receive a timesheet" in html


def test_per_estimator_calibration_needs_the_estimator_and_then_uses_their_history(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.PRESALES)
    revision = _calibrate(browser, seeded, calibration="estimator", calibration_estimator="")
    refused = browser.post(f"/revisions/{revision.id}/runs")
    assert refused.status_code == 422
    assert "fill in the estimator" in refused.text
    revision = _calibrate(browser, seeded, calibration="estimator", calibration_estimator="li.na")
    run = _stored(seeded, _run(browser, revision.id or 0))
    result = estimation.SimulationResult.from_dict(run.result or {})
    assert result.calibrated is not None
    (factor,) = result.calibrated.factors
    assert (factor.key, factor.fit_key) == ("li.na", "li.na")


def _docx_text(content: bytes) -> str:
    document = docx.Document(io.BytesIO(content))
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def test_the_proposal_states_the_confidence_basis_and_prices_on_the_calibrated_result(
    open_as: Open, seeded: Engine
) -> None:
    browser = open_as(AccessRole.SALES)
    presales = open_as(AccessRole.PRESALES)
    revision = _calibrate(presales, seeded, calibration="role", price_basis="calibrated")
    run_id = _run(presales, revision.id or 0)
    summary = _stored(seeded, run_id).summary or {}
    english = _docx_text(browser.get(f"/runs/{run_id}/proposal.docx?language=en").content)
    coverage = summary["calibration"]["coverage"]
    assert (
        "The confidence level is calibrated on our estimates versus actuals in 48 past "
        f"projects; in a backtest on {coverage['projects']} of them the calibrated P80 covered "
        f"{coverage['calibrated'][1] * 100:.0f}%."
    ) in english
    assert f"{Decimal(summary['calibrated']['price_at_confidence']):,.2f}" in english
    chinese = _docx_text(browser.get(f"/runs/{run_id}/proposal.docx?language=zh").content)
    assert "该置信水平已按我们 48 个以往项目的估算与实际工时校准" in chinese


def test_a_proposal_priced_on_the_raw_result_says_nothing_about_calibration(
    open_as: Open, seeded: Engine
) -> None:
    presales = open_as(AccessRole.PRESALES)
    revision = _calibrate(presales, seeded, calibration="role", price_basis="raw")
    run_id = _run(presales, revision.id or 0)
    summary = _stored(seeded, run_id).summary or {}
    assert summary["price_basis"] == "raw"
    assert summary["price_at_confidence"] == summary["raw_price_at_confidence"]
    text = _docx_text(presales.get(f"/runs/{run_id}/proposal.docx?language=en").content)
    assert "calibrated on our estimates" not in text
