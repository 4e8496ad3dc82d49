"""The presales journey in a real browser, then the sales view of the same results."""

import re
from collections.abc import Callable
from decimal import Decimal

from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from app.db import make_engine
from app.models import SimulationRun
from tests.e2e.conftest import screenshot

SEARCHES = [
    ("需求调研", "DIS-001"),
    ("原型", "DES-001"),
    ("RBAC", "DEV-002"),
    ("登录", "DEV-003"),
    ("工作流", "DEV-006"),
    ("报表", "DEV-012"),
    ("H5", "DEV-017"),
    ("ERP", "INT-001"),
    ("性能测试", "TST-006"),
    ("培训", "TRN-001"),
]


def _create_estimate(page: Page) -> None:
    page.click("a[href='/opportunities/new']")
    page.fill("input[name=customer_name]", "华南某省大数据局")
    page.fill("input[name=name]", "一网通办平台升级")
    page.fill("input[name=bid_number]", "E2E-2027-01")
    page.fill("input[name=bid_deadline]", "2027-03-31")
    page.click("form[action='/opportunities'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("一网通办平台升级")
    page.click("details summary")
    page.fill("details input[name=name]", "初步估算")
    page.click("details button[type=submit]")
    page.wait_for_url(re.compile(r".*/revisions/\d+$"))


def _add_items_by_search(page: Page) -> None:
    for query, code in SEARCHES:
        page.fill("#catalog-search-input", query)
        button = page.locator(f"#search-results button[data-code='{code}']")
        button.wait_for()
        button.click()
        expect(page.locator("#lines")).to_contain_text(code)
    expect(page.locator("#lines tbody tr")).to_have_count(len(SEARCHES))


def _invalid_then_valid_triple(page: Page) -> None:
    first_row = page.locator("#lines tbody tr").first
    first_row.get_by_role("link").first.click()
    editor = page.locator("tr.editing")
    editor.wait_for()
    optimistic = editor.locator("input[name$='_optimistic']").first
    original = optimistic.input_value()
    optimistic.fill("999")
    editor.locator("button[type=submit]").click()
    error = page.locator("tr.editing .field-error")
    expect(error).to_contain_text("optimistic=999 is above most_likely=")
    screenshot(page, "02-invalid-triple")
    page.locator("tr.editing input[name$='_optimistic']").first.fill(original)
    page.locator("tr.editing button[type=submit]").click()
    expect(page.locator("tr.editing")).to_have_count(0)


def _add_risk(page: Page) -> None:
    page.click("#risks details summary")
    page.fill("#risk-form input[name=title]", "接口厂商配合不及时")
    page.fill("#risk-form input[name=probability]", "30%")
    page.select_option("#risk-form select[name=affected_role_id]", label="BE")
    page.fill("#risk-form input[name=impact_days_optimistic]", "3")
    page.fill("#risk-form input[name=impact_days_most_likely]", "6")
    page.fill("#risk-form input[name=impact_days_pessimistic]", "15")
    page.click("#risk-form button[type=submit]")
    expect(page.locator("#risks")).to_contain_text("接口厂商配合不及时")


def _run_and_check_results(page: Page, name: str) -> int:
    page.click("#run-button")
    page.wait_for_url(re.compile(r".*/runs/\d+$"))
    expect(page.locator("#summary")).to_contain_text("P80")
    expect(page.locator("#price-at-confidence")).to_contain_text("¥")
    images = page.locator("#charts img")
    expect(images).to_have_count(5)
    for index in range(5):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=image.element_handle()
        )
    screenshot(page, name)
    return int(page.url.rsplit("/", 1)[1])


def test_presales_estimates_runs_and_compares_then_sales_sees_no_cost(
    page_for: Callable[[str], Page], database_file: str
) -> None:
    page = page_for("presales")
    screenshot(page, "00-dashboard")
    _create_estimate(page)
    _add_items_by_search(page)
    screenshot(page, "01-estimate-with-items")
    _invalid_then_valid_triple(page)
    _add_risk(page)
    run_id = _run_and_check_results(page, "03-results")

    page.click("a[href^='/revisions/']")
    page.click("form[action$='/new-revision'] button")
    page.wait_for_url(re.compile(r".*/revisions/\d+$"))
    page.fill("#catalog-search-input", "安全测试")
    page.locator("#search-results button[data-code='TST-007']").click()
    expect(page.locator("#lines")).to_contain_text("TST-007")
    _run_and_check_results(page, "04-results-revision-2")
    page.click("a[href^='/revisions/']")
    page.click("a[href^='/compare']")
    expect(page.locator("#input-changes")).to_contain_text("TST-007")
    expect(page.locator("#figure-changes")).to_contain_text("P80")
    screenshot(page, "05-compare")

    database = make_engine(database_file)
    with Session(database) as session:
        run = session.exec(select(SimulationRun).where(SimulationRun.id == run_id)).one()
        summary = run.summary or {}
    database.dispose()
    cost_figures = [
        f"{Decimal(summary[key]):,.2f}" for key in summary if key.startswith(("cost_", "margin_"))
    ]
    assert cost_figures

    sales = page_for("sales")
    sales.goto(f"/runs/{run_id}")
    expect(sales.locator("#summary")).to_contain_text("P80")
    content = sales.content()
    for figure in cost_figures:
        assert figure not in content
    assert 'data-series="cost"' not in content
    assert f"{Decimal(summary['price_p80']):,.2f}" in content
    screenshot(sales, "06-sales-results")
