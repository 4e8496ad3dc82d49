"""Word proposals rendered from the stored run: reopened and read back with python-docx."""

import dataclasses
import io
from datetime import datetime
from decimal import Decimal

import pytest
from docx import Document
from docx.oxml.ns import qn

from app import i18n
from app.documents import context as ctx
from app.documents.context import ChartImage, ProposalContext
from app.documents.errors import DocumentError
from app.documents.proposal import render_proposal
from app.services.documents import TEMPLATE_DIR
from app.vocabulary import AccessRole, Language
from tests.documents.conftest import CUSTOMER, Build, StoredRun, template_with

ZH_SECTIONS = [
    "1 项目概述",
    "2 需求理解",
    "3 建设范围与工作分解",
    "4 工作量与报价",
    "5 图表",
    "6 实施计划与里程碑",
    "7 项目团队",
    "8 风险管理",
    "9 假设与不包含项",
    "10 付款方式",
]
EN_SECTIONS = ["1 Project overview", "4 Effort and price", "8 Risk management", "10 Payment terms"]


def _open(content: bytes):  # type: ignore[no-untyped-def]
    return Document(io.BytesIO(content))


def _all_text(document) -> str:  # type: ignore[no-untyped-def]
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def zh_presales(proposal_for: Build):  # type: ignore[no-untyped-def]
    return proposal_for(AccessRole.PRESALES, Language.ZH)


@pytest.fixture(scope="module")
def zh_sales(proposal_for: Build):  # type: ignore[no-untyped-def]
    return proposal_for(AccessRole.SALES, Language.ZH)


def test_the_chinese_proposal_has_every_section_and_the_runs_numbers(
    zh_presales, stored_run: StoredRun
) -> None:  # type: ignore[no-untyped-def]
    document = _open(zh_presales.content)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings == ZH_SECTIONS  # no requirement list: no 偏离表 appendix
    text = _all_text(document)
    summary = stored_run.run().summary or {}
    price = i18n.format_money(Decimal(summary["price_at_confidence"]), "CNY", Language.ZH)
    assert f"本项目报价（不含税）为 {price}" in text
    assert f"{summary['effort_p80']:,.1f}" in text
    cost_p80 = i18n.format_money(Decimal(summary["cost_p80"]), "CNY", Language.ZH)
    assert cost_p80 in text  # presales may see cost
    assert "风险储备金" in text
    assert "置信水平" in text
    assert "第 1 次模拟" in text


def test_values_are_escaped_not_dropped(zh_presales) -> None:  # type: ignore[no-untyped-def]
    text = _all_text(_open(zh_presales.content))
    assert CUSTOMER in text  # "某某银行 & Co <HQ>" intact


def test_the_wbs_table_has_a_row_per_phase_and_line(zh_presales, stored_run: StoredRun) -> None:  # type: ignore[no-untyped-def]
    document = _open(zh_presales.content)
    wbs = next(t for t in document.tables if t.rows[0].cells[0].text.startswith("阶段"))
    snapshot = stored_run.run().input_snapshot
    lines = {item["line"] for item in [*snapshot["items"], *snapshot["percent_items"]]}
    phases = {item["phase"] for item in [*snapshot["items"], *snapshot["percent_items"]]}
    assert len(wbs.rows) == 1 + len(lines) + len(phases)
    codes = {row.cells[0].text.split(" ")[0] for row in wbs.rows[1:]}
    assert "DEV-006" in codes


def test_the_risk_register_lists_every_risk_with_owner(zh_presales) -> None:  # type: ignore[no-untyped-def]
    document = _open(zh_presales.content)
    risks = next(t for t in document.tables if t.rows[0].cells[0].text == "编号")
    rows = [[cell.text for cell in row.cells] for row in risks.rows[1:]]
    assert len(rows) == 3
    assert rows[0][:3] == ["R1", "ERP接口文档不完整，需要反复联调", "40%"]
    assert rows[0][5] == "项目经理"


def test_sales_get_no_cost_anywhere(zh_sales, stored_run: StoredRun) -> None:  # type: ignore[no-untyped-def]
    text = _all_text(_open(zh_sales.content))
    summary = stored_run.run().summary or {}
    for key in ("cost_p50", "cost_p80", "cost_p90", "margin_p80"):
        amount = Decimal(summary[key])
        assert f"{amount:,.2f}" not in text
    assert "\n成本\n" not in f"\n{text}\n"  # no cost row in the effort and price table
    price = i18n.format_money(Decimal(summary["price_at_confidence"]), "CNY", Language.ZH)
    assert price in text


def test_east_asian_fonts_and_language_are_explicit(zh_presales) -> None:  # type: ignore[no-untyped-def]
    document = _open(zh_presales.content)
    styles = document.styles.element
    defaults = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    fonts = defaults.find(qn("w:rFonts"))
    assert fonts.get(qn("w:eastAsia")) == "宋体"
    assert fonts.get(qn("w:ascii")) == "Times New Roman"
    assert fonts.get(qn("w:eastAsiaTheme")) is None
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    heading = document.styles["Heading 1"].element.find(qn("w:rPr")).find(qn("w:rFonts"))
    assert heading.get(qn("w:eastAsia")) == "黑体"
    theme = document.settings.element.find(qn("w:themeFontLang"))
    assert theme.get(qn("w:eastAsia")) == "zh-CN"
    assert "ja-JP" not in styles.xml


def test_charts_are_embedded_at_print_resolution(zh_presales) -> None:  # type: ignore[no-untyped-def]
    document = _open(zh_presales.content)
    assert len(document.inline_shapes) == 4  # histogram, S-curve, tornado, Gantt
    images = [part for part in document.part.package.parts if part.content_type == "image/png"]
    assert len(images) == 4
    for image in images:
        assert image.blob[:8] == b"\x89PNG\r\n\x1a\n"
        assert len(image.blob) > 20_000


def test_toc_and_page_fields_update_on_open(zh_presales) -> None:  # type: ignore[no-untyped-def]
    document = _open(zh_presales.content)
    body = document.element.body.xml
    assert 'TOC \\o "1-2"' in body
    footer = document.sections[0].footer
    assert "PAGE" in footer._element.xml
    assert "NUMPAGES" in footer._element.xml
    assert footer.paragraphs[0].text.startswith("第 ")
    update = document.settings.element.find(qn("w:updateFields"))
    assert update.get(qn("w:val")) == "true"


def test_the_english_proposal_has_the_english_sections(proposal_for: Build) -> None:
    document = _open(proposal_for(AccessRole.BID, Language.EN).content)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    for section in EN_SECTIONS:
        assert section in headings
    assert "Page " in document.sections[0].footer.paragraphs[0].text


def test_regenerating_from_the_same_run_gives_identical_bytes(
    proposal_for: Build, zh_presales
) -> None:  # type: ignore[no-untyped-def]
    # The reproducibility contract itself is about bytes (fixed zip times and dates).
    assert proposal_for(AccessRole.PRESALES, Language.ZH).content == zh_presales.content


def _minimal_context(**changes: object) -> ProposalContext:
    image = ChartImage(png=_tiny_png())
    levels = ctx.Levels(p50="1", p80="2", p90="3")
    base = ctx.ProposalContext(
        language="zh", company="c", customer="x", contact="", project="p", bid_number="b",
        document_date="d", version="v", currency="CNY", overview="o", requirements=[],
        wbs=[], effort=levels, duration=levels, show_cost=False, cost=None, price=levels,
        confidence="80%", price_at_confidence="1", base_price="1", contingency="0",
        contingency_sentence="", quote=ctx.QuoteSummary(subtotal="1", total="1",
        total_in_words="", validity_days="30"),
        charts=ctx.Charts(histogram=image, s_curve=image, tornado=image, gantt=image),
        start_date="", delivery_p50="", delivery_p80="", schedule=[], team=[], risks=[],
        assumptions=[], exclusions=[], payment=[],
        run=ctx.RunInfo(id="1", seed="1", iterations="1", engine_version="1", input_sha256="0"),
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _tiny_png() -> bytes:
    import matplotlib  # noqa: PLC0415

    matplotlib.use("Agg")
    from matplotlib.figure import Figure  # noqa: PLC0415

    buffer = io.BytesIO()
    Figure(figsize=(1, 1)).savefig(buffer, format="png", dpi=20)
    return buffer.getvalue()


def test_oversized_values_are_refused_before_rendering() -> None:
    template = (TEMPLATE_DIR / "technical_proposal_zh.docx").read_bytes()
    context = _minimal_context(overview="x" * 20_000_001)
    with pytest.raises(DocumentError, match="overview is 20,000,001 characters"):
        render_proposal(template, context, stamp=datetime(2026, 1, 1))


def test_a_requirement_list_fills_the_understanding_and_the_compliance_matrix() -> None:
    requirements = [
        ctx.Requirement(number=str(n), clause=f"3.{n}", text=f"要求 {n} & <b>",
                        response="满足", deviation="无偏离", note="")
        for n in (1, 2)
    ]  # fmt: skip
    template = (TEMPLATE_DIR / "technical_proposal_zh.docx").read_bytes()
    content = render_proposal(
        template, _minimal_context(requirements=requirements), stamp=datetime(2026, 1, 1)
    )
    document = _open(content)
    headings = [p.text for p in document.paragraphs if p.style.name == "Heading 1"]
    assert headings[-1] == "附录 技术偏离表"
    matrix = next(t for t in document.tables if t.rows[0].cells[1].text == "招标文件条款号")
    assert [cell.text for cell in matrix.rows[1].cells] == [
        "1", "3.1", "要求 1 & <b>", "满足", "无偏离", "",
    ]  # fmt: skip
    assert "我方对本项目 2 项需求的理解与响应如下：" in _all_text(document)


def test_a_template_compiled_once_renders_each_context_of_its_own() -> None:
    template = template_with("客户：{{ customer }}")
    stamp = datetime(2026, 1, 1)
    first = render_proposal(template, _minimal_context(customer="甲公司"), stamp=stamp)
    second = render_proposal(template, _minimal_context(customer="乙 & <丙>"), stamp=stamp)
    assert "客户：甲公司" in _all_text(_open(first))
    assert "客户：乙 & <丙>" in _all_text(_open(second))


def test_an_edited_template_renders_its_new_text_not_the_compiled_old_one() -> None:
    stamp = datetime(2026, 1, 1)
    render_proposal(template_with("旧：{{ project }}"), _minimal_context(), stamp=stamp)
    edited = render_proposal(
        template_with("新：{{ project }}"), _minimal_context(project="P"), stamp=stamp
    )
    text = _all_text(_open(edited))
    assert "新：P" in text
    assert "旧" not in text


def test_the_sandbox_still_refuses_a_template_it_has_compiled_before() -> None:
    template = template_with("{{ project.__class__.__mro__ }}")
    for _ in range(2):
        with pytest.raises(DocumentError, match="Python internals"):
            render_proposal(template, _minimal_context(), stamp=datetime(2026, 1, 1))
