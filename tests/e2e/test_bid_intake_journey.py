"""The bid team's intake journey in a real browser: upload, map, confirm, match, answer."""

import re
from collections.abc import Callable

from playwright.sync_api import Page, expect

from tests.e2e.conftest import screenshot
from tests.intake.workbooks import chinese_tender

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _open_demo_opportunity(page: Page) -> None:
    page.locator("a[href^='/opportunities/']", has_text="协同办公").first.click()
    page.wait_for_url(re.compile(r".*/opportunities/\d+$"))


def _upload(page: Page) -> None:
    section = page.locator("#requirement-lists")
    expect(section.locator("input[name=workbook]")).to_be_visible()  # the htmx-loaded section
    section.locator("input[name=workbook]").set_input_files(
        files=[{"name": "招标文件-技术偏离表.xlsx", "mimeType": XLSX, "buffer": chinese_tender()}]
    )
    section.locator("#upload button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/requirement-lists/\d+/mapping$"))
    expect(page.locator("#mapper")).to_contain_text("招标要求")


def _remap_a_column(page: Page) -> None:
    header = page.locator("th.role", has=page.locator("summary", has_text="说明")).first
    if not header.count():
        header = page.locator("th.role-remarks").first
    header.locator("summary").click()
    header.locator("select[name=role]").select_option("reference")
    header.locator("button[type=submit]").click()
    expect(page.locator("th.role-reference").first).to_be_visible()
    screenshot(page, "intake-01-mapper")


def _confirm(page: Page) -> None:
    accept = page.locator("#confirm-form input[name=accept_problems]")
    if accept.count():
        accept.check()
    page.click("#confirm-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/requirement-lists/\d+/matches$"))


def _accept_the_sso_suggestion(page: Page) -> None:
    row = page.locator("tr[id^='req-']", has_text="单点登录").first
    expect(row.locator("tr.suggestion").first).to_have_attribute("data-code", "DEV-003")
    expect(row.locator("mark", has_text="单点登录").first).to_be_visible()
    row.locator("tr.suggestion[data-code='DEV-003'] form[action$='/accept'] button").click()
    expect(page.locator("tr[id^='req-']", has_text="单点登录").first).to_contain_text("✔")
    screenshot(page, "intake-02-matches")


def _raise_the_threshold(page: Page) -> None:
    before = page.locator("tr.suggestion").count()
    page.locator("#threshold").fill("0.6")
    page.locator("#threshold").dispatch_event("change")
    expect(page.locator("#match-summary")).to_be_visible()
    page.wait_for_function(
        "count => document.querySelectorAll('tr.suggestion').length < count", arg=before
    )


def _answer_a_mandatory_requirement(page: Page) -> None:
    page.click(".intake-nav a[href$='/answers']")
    row = page.locator("tr[id^='answer-']", has_text="★").first
    row.locator("a[href$='/answer/edit']").click()
    editor = page.locator("tr.editing")
    editor.locator("select[name=compliance]").select_option("non_comply")
    editor.locator("textarea[name=response]").fill("本项不满足，将在二期实现。")
    editor.locator("button[type=submit]").click()
    expect(page.locator("tr.answer-warning").first).to_contain_text("本项不满足")
    screenshot(page, "intake-03-answers")


def test_the_bid_team_uploads_maps_matches_and_answers_a_tender(
    page_for: Callable[[str], Page],
) -> None:
    page = page_for("bid")
    _open_demo_opportunity(page)
    _upload(page)
    _remap_a_column(page)
    _confirm(page)
    _accept_the_sso_suggestion(page)
    _raise_the_threshold(page)
    _answer_a_mandatory_requirement(page)
