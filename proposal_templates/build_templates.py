"""Build the shipped proposal templates (technical_proposal_zh.docx / _en.docx).

    .venv/bin/python proposal_templates/build_templates.py

The templates are ordinary .docx files with docxtpl tags (see VARIABLES.md); a user can
open, restyle and save them in Word, WPS or LibreOffice. This script is kept so that they
can be regenerated and reviewed; running it twice gives identical bytes.
"""

import io
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt, RGBColor

from app.documents.reproducible import normalize_package
from app.documents.wordprocessing import (
    add_field,
    set_document_fonts,
    update_fields_on_open,
)

HERE = Path(__file__).resolve().parent
STAMP = datetime(2026, 1, 1)

TEXT: dict[str, dict[str, Any]] = {
    "zh": {
        "kind": "技术方案书",
        "cover": [
            ("客户名称", "{{ customer }}"),
            ("招标编号", "{{ bid_number }}"),
            ("投标单位", "{{ company }}"),
            ("日期", "{{ document_date }}"),
            ("版本", "{{ version }}"),
        ],
        "toc": "目录",
        "toc_placeholder": "（打开文档时更新目录；如未更新，请右键“更新域”）",
        "sections": [
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
            "附录 技术偏离表",
        ],
        "overview_basis": (
            "本方案的工作量与报价来自第 {{ run.id }} 次蒙特卡洛模拟（{{ run.iterations }} 次迭代，"
            "随机种子 {{ run.seed }}，输入指纹 {{ run.input_sha256 }}），可完整复现。"
        ),
        "requirements_intro": "我方对本项目 {{ requirements|length }} 项需求的理解与响应如下：",
        "no_requirements": "需求以招标文件及需求确认书为准。",
        "requirement_columns": ("序号", "招标要求", "投标响应"),
        "wbs_columns": ("阶段 / 工作项", "单位", "数量", "P50 工作量（人天）"),
        "levels_columns": ("", "P50", "P80", "P90"),
        "effort_row": "工作量（人天）",
        "duration_row": "工期（工作日）",
        "cost_row": "成本",
        "price_row": "报价（不含税）",
        "price_sentence": (
            "按 {{ confidence }} 置信水平，本项目报价（不含税）为 {{ price_at_confidence }}，"
            "其中最可能方案报价 {{ base_price }}，风险储备金 {{ contingency }}。"
        ),
        "quote_columns": ("序号", "名称", "单位", "数量", "单价", "税率", "金额（不含税）"),
        "subtotal": "合计（不含税）：{{ quote.subtotal }}",
        "tax": "增值税（{{ tax_row.rate }}）：{{ tax_row.tax }}",
        "total": "合计（含税）：{{ quote.total }}（大写：{{ quote.total_in_words }}）",
        "validity": "报价有效期：{{ quote.validity_days }} 天。",
        "charts": [
            ("histogram", "图 1 工作量分布（标注 P50/P80/P90）"),
            ("s_curve", "图 2 报价 S 曲线（标注 P50/P80/P90）"),
            ("tornado", "图 3 主要驱动因素"),
        ],
        "plan_sentence": (
            "计划开工日期：{{ start_date }}；按 P50 预计交付日期 {{ delivery_p50 }}，"
            "按 P80 预计交付日期 {{ delivery_p80 }}；P50 工期 {{ duration.p50 }} 个工作日。"
        ),
        "schedule_columns": (
            "阶段",
            "开始（第几个工作日）",
            "工期（工作日）",
            "P50 工作量（人天）",
        ),
        "gantt_caption": "图 4 实施计划甘特图（示意）",
        "team_columns": ("角色", "投入（FTE）", "P50 工作量（人天）"),
        "risk_columns": ("编号", "风险", "概率", "影响（人天）", "应对措施", "责任人"),
        "assumptions": "9.1 假设条件",
        "exclusions": "9.2 不包含项",
        "payment_columns": ("付款节点", "比例", "金额（含税）"),
        "deviation_columns": ("序号", "招标文件条款号", "招标要求", "投标响应", "偏离", "说明"),
        "footer": ("第 ", " 页 / 共 ", " 页"),
        "latin": "Times New Roman",
        "lang": "zh-CN",
    },
    "en": {
        "kind": "Technical Proposal",
        "cover": [
            ("Customer", "{{ customer }}"),
            ("Bid number", "{{ bid_number }}"),
            ("Submitted by", "{{ company }}"),
            ("Date", "{{ document_date }}"),
            ("Version", "{{ version }}"),
        ],
        "toc": "Contents",
        "toc_placeholder": "(The table of contents is updated when the document is opened.)",
        "sections": [
            "1 Project overview",
            "2 Understanding of the requirements",
            "3 Scope and work breakdown",
            "4 Effort and price",
            "5 Charts",
            "6 Implementation plan and milestones",
            "7 Project team",
            "8 Risk management",
            "9 Assumptions and exclusions",
            "10 Payment terms",
            "Appendix: Compliance matrix",
        ],
        "overview_basis": (
            "Effort and price come from Monte Carlo simulation run {{ run.id }} "
            "({{ run.iterations }} iterations, seed {{ run.seed }}, input fingerprint "
            "{{ run.input_sha256 }}) and can be reproduced exactly."
        ),
        "requirements_intro": (
            "Our understanding of and response to the {{ requirements|length }} requirements:"
        ),
        "no_requirements": "The requirements are as stated in the tender documents.",
        "requirement_columns": ("No.", "Requirement", "Our response"),
        "wbs_columns": ("Phase / item", "Unit", "Quantity", "P50 effort (person-days)"),
        "levels_columns": ("", "P50", "P80", "P90"),
        "effort_row": "Effort (person-days)",
        "duration_row": "Duration (working days)",
        "cost_row": "Cost",
        "price_row": "Price (excl. VAT)",
        "price_sentence": (
            "At the {{ confidence }} confidence level the price (excluding VAT) is "
            "{{ price_at_confidence }}: the most likely plan at {{ base_price }} plus a "
            "contingency reserve of {{ contingency }}."
        ),
        "quote_columns": ("No.", "Item", "Unit", "Quantity", "Unit price", "VAT", "Amount"),
        "subtotal": "Total excluding VAT: {{ quote.subtotal }}",
        "tax": "VAT ({{ tax_row.rate }}): {{ tax_row.tax }}",
        "total": "Total including VAT: {{ quote.total }}",
        "validity": "This quotation is valid for {{ quote.validity_days }} days.",
        "charts": [
            ("histogram", "Figure 1 Effort distribution (P50/P80/P90 marked)"),
            ("s_curve", "Figure 2 Price S-curve (P50/P80/P90 marked)"),
            ("tornado", "Figure 3 Top drivers"),
        ],
        "plan_sentence": (
            "Planned start: {{ start_date }}; delivery at P50 on {{ delivery_p50 }} and at "
            "P80 on {{ delivery_p80 }}; P50 duration {{ duration.p50 }} working days."
        ),
        "schedule_columns": (
            "Phase",
            "Start (working day)",
            "Duration (working days)",
            "P50 effort",
        ),
        "gantt_caption": "Figure 4 Implementation plan (indicative)",
        "team_columns": ("Role", "FTE", "P50 effort (person-days)"),
        "risk_columns": ("Code", "Risk", "Probability", "Impact (days)", "Mitigation", "Owner"),
        "assumptions": "9.1 Assumptions",
        "exclusions": "9.2 Exclusions",
        "payment_columns": ("Milestone", "Share", "Amount (incl. VAT)"),
        "deviation_columns": ("No.", "Clause", "Requirement", "Response", "Deviation", "Note"),
        "footer": ("Page ", " of ", ""),
        "latin": "Times New Roman",
        "lang": "en-US",
    },
}


def _styles(document: Any, text: dict[str, Any]) -> None:
    set_document_fonts(
        document,
        latin=text["latin"],
        east_asia="宋体",
        heading_east_asia="黑体",
        language=text["lang"],
    )
    normal = document.styles["Normal"]
    normal.font.size = Pt(12)  # 小四
    normal.paragraph_format.space_after = Pt(6)
    for name, size in (("Heading 1", 16), ("Heading 2", 14), ("Title", 26)):
        style = document.styles[name]
        style.font.size = Pt(size)
        style.font.bold = True
        style.font.color.rgb = RGBColor(0, 0, 0)
    document.styles["Table Grid"].font.size = Pt(10.5)  # 五号
    document.styles["Caption"].font.color.rgb = RGBColor(0x33, 0x33, 0x33)


def _page_setup(document: Any, text: dict[str, Any]) -> None:
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Mm(25))
    section.top_margin = section.bottom_margin = Mm(25)
    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, middle, after = text["footer"]
    footer.add_run(before)
    add_field(footer, "PAGE")
    footer.add_run(middle)
    add_field(footer, "NUMPAGES")
    if after:
        footer.add_run(after)


def _table(
    document: Any,
    columns: tuple[str, ...],
    rows: list[list[str]],
    widths_mm: tuple[int, ...] | None = None,
) -> Any:
    """A grid table: a header row, then ``rows`` (tag rows or cells) as given.

    ``widths_mm`` sets the column widths (the text block is 160 mm wide); without it the
    columns share the width equally.
    """
    table = document.add_table(rows=1, cols=len(columns))
    table.style = document.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, title in zip(table.rows[0].cells, columns, strict=True):
        cell.text = ""
        cell.paragraphs[0].add_run(title).bold = True
    for values in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, values, strict=False):
            cell.text = value
    if widths_mm is not None:
        table.autofit = False
        for column, width in zip(table.columns, widths_mm, strict=True):
            column.width = Mm(width)  # w:gridCol, which LibreOffice and WPS follow
        for row in table.rows:
            for cell, width in zip(row.cells, widths_mm, strict=True):
                cell.width = Mm(width)
    return table


def _loop_rows(loop: str, cells: list[str], *, end: str = "{%tr endfor %}") -> list[list[str]]:
    return [[loop], cells, [end]]


def _cover(document: Any, text: dict[str, Any]) -> None:
    for _ in range(4):
        document.add_paragraph()
    title = document.add_paragraph("{{ project }}", style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    kind = document.add_paragraph(text["kind"], style="Heading 2")
    kind.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for _ in range(3):
        document.add_paragraph()
    table = document.add_table(rows=0, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for label, value in text["cover"]:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(text["toc"])
    run.bold = True
    run.font.size = Pt(16)
    add_field(document.add_paragraph(), 'TOC \\o "1-2" \\h \\z \\u', text["toc_placeholder"])
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _body(document: Any, text: dict[str, Any]) -> None:
    sections = iter(text["sections"])
    document.add_heading(next(sections), level=1)
    document.add_paragraph("{{ overview }}")
    document.add_paragraph(text["overview_basis"])

    document.add_heading(next(sections), level=1)
    document.add_paragraph("{%p if requirements %}")
    document.add_paragraph(text["requirements_intro"])
    _table(
        document,
        text["requirement_columns"],
        widths_mm=(14, 76, 70),
        rows=_loop_rows(
            "{%tr for requirement in requirements %}",
            ["{{ requirement.number }}", "{{ requirement.text }}", "{{ requirement.response }}"],
        ),
    )
    document.add_paragraph("{%p else %}")
    document.add_paragraph(text["no_requirements"])
    document.add_paragraph("{%p endif %}")

    document.add_heading(next(sections), level=1)
    _table(
        document,
        text["wbs_columns"],
        widths_mm=(86, 20, 20, 34),
        rows=[
            ["{%tr for wbs_phase in wbs %}"],
            ["{{ wbs_phase.name }}", "", "", "{{ wbs_phase.effort_p50 }}"],
            ["{%tr for wbs_item in wbs_phase.items %}"],
            [
                "{{ wbs_item.code }} {{ wbs_item.name }}",
                "{{ wbs_item.unit }}",
                "{{ wbs_item.quantity }}",
                "{{ wbs_item.effort_p50 }}",
            ],
            ["{%tr endfor %}"],
            ["{%tr endfor %}"],
        ],
    )

    document.add_heading(next(sections), level=1)
    _table(
        document,
        text["levels_columns"],
        [
            [text["effort_row"], "{{ effort.p50 }}", "{{ effort.p80 }}", "{{ effort.p90 }}"],
            [
                text["duration_row"],
                "{{ duration.p50 }}",
                "{{ duration.p80 }}",
                "{{ duration.p90 }}",
            ],
            ["{%tr if show_cost %}"],
            [text["cost_row"], "{{ cost.p50 }}", "{{ cost.p80 }}", "{{ cost.p90 }}"],
            ["{%tr endif %}"],
            [text["price_row"], "{{ price.p50 }}", "{{ price.p80 }}", "{{ price.p90 }}"],
        ],
    )
    document.add_paragraph()
    document.add_paragraph(text["price_sentence"])
    document.add_paragraph("{{ contingency_sentence }}")
    _table(
        document,
        text["quote_columns"],
        widths_mm=(12, 40, 14, 18, 28, 14, 34),
        rows=_loop_rows(
            "{%tr for quote_line in quote.lines %}",
            [
                "{{ quote_line.number }}",
                "{{ quote_line.name }}",
                "{{ quote_line.unit }}",
                "{{ quote_line.quantity }}",
                "{{ quote_line.unit_price }}",
                "{{ quote_line.tax_rate }}",
                "{{ quote_line.amount }}",
            ],
        ),
    )
    document.add_paragraph()
    document.add_paragraph(text["subtotal"])
    document.add_paragraph("{%p for tax_row in quote.taxes %}")
    document.add_paragraph(text["tax"])
    document.add_paragraph("{%p endfor %}")
    document.add_paragraph(text["total"])
    document.add_paragraph(text["validity"])

    document.add_heading(next(sections), level=1)
    for name, caption in text["charts"]:
        picture = document.add_paragraph("{{ charts.%s }}" % name)  # noqa: UP031 - Jinja braces
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        document.add_paragraph(caption, style="Caption").alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(next(sections), level=1)
    document.add_paragraph(text["plan_sentence"])
    _table(
        document,
        text["schedule_columns"],
        _loop_rows(
            "{%tr for schedule_phase in schedule %}",
            [
                "{{ schedule_phase.name }}",
                "{{ schedule_phase.start_day }}",
                "{{ schedule_phase.duration_days }}",
                "{{ schedule_phase.p50_days }}",
            ],
        ),
    )
    document.add_paragraph("{{ charts.gantt }}").alignment = WD_ALIGN_PARAGRAPH.CENTER
    document.add_paragraph(
        text["gantt_caption"], style="Caption"
    ).alignment = WD_ALIGN_PARAGRAPH.CENTER

    document.add_heading(next(sections), level=1)
    _table(
        document,
        text["team_columns"],
        _loop_rows(
            "{%tr for team_member in team %}",
            ["{{ team_member.role }}", "{{ team_member.fte }}", "{{ team_member.effort_p50 }}"],
        ),
    )

    document.add_heading(next(sections), level=1)
    _table(
        document,
        text["risk_columns"],
        widths_mm=(14, 44, 16, 22, 44, 20),
        rows=_loop_rows(
            "{%tr for risk in risks %}",
            [
                "{{ risk.code }}",
                "{{ risk.title }}",
                "{{ risk.probability }}",
                "{{ risk.impact }}",
                "{{ risk.mitigation }}",
                "{{ risk.owner }}",
            ],
        ),
    )

    document.add_heading(next(sections), level=1)
    for key, loop in (("assumptions", "assumptions"), ("exclusions", "exclusions")):
        document.add_heading(text[key], level=2)
        document.add_paragraph("{%p for statement in " + loop + " %}")
        document.add_paragraph("{{ loop.index }}. {{ statement }}")
        document.add_paragraph("{%p endfor %}")

    document.add_heading(next(sections), level=1)
    _table(
        document,
        text["payment_columns"],
        _loop_rows(
            "{%tr for milestone in payment %}",
            ["{{ milestone.name }}", "{{ milestone.percent }}", "{{ milestone.amount }}"],
        ),
    )

    document.add_paragraph("{%p if requirements %}")
    document.add_heading(next(sections), level=1)
    _table(
        document,
        text["deviation_columns"],
        widths_mm=(12, 22, 46, 40, 18, 22),
        rows=_loop_rows(
            "{%tr for requirement in requirements %}",
            [
                "{{ requirement.number }}",
                "{{ requirement.clause }}",
                "{{ requirement.text }}",
                "{{ requirement.response }}",
                "{{ requirement.deviation }}",
                "{{ requirement.note }}",
            ],
        ),
    )
    document.add_paragraph("{%p endif %}")


def build(language: str) -> bytes:
    text = TEXT[language]
    document = Document()
    _styles(document, text)
    _page_setup(document, text)
    _cover(document, text)
    _body(document, text)
    update_fields_on_open(document)
    properties = document.core_properties
    properties.title = text["kind"]
    properties.author = "Bidwright"
    properties.last_modified_by = "Bidwright"
    properties.language = text["lang"]
    properties.revision = 1
    properties.created = properties.modified = STAMP
    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_package(buffer.getvalue(), stamp=STAMP)


def main(target: Path = HERE) -> None:
    for language in TEXT:
        path = target / f"technical_proposal_{language}.docx"
        path.write_bytes(build(language))
        sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    main()
