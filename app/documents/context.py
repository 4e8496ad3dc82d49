"""The context a proposal template sees: every variable and loop, documented.

The dataclasses below are the schema. Templates (built-in and uploaded) may use exactly
these names; ``proposal_templates/VARIABLES.md`` is generated from them::

    python -m app.documents.context > proposal_templates/VARIABLES.md

Values are formatted text (money with its currency symbol, dates in the document's
language), except ``charts`` (images) and the flags. Cost figures exist only in documents
built for someone who may see cost: for others ``show_cost`` is false and ``cost`` is
``None``.
"""

# The documented fields are dataclasses.field() calls wrapped by _doc (immutable defaults).
# ruff: noqa: RUF009

import dataclasses
import sys
import types
import typing
from dataclasses import dataclass, field
from typing import Any


def _doc(text: str, **kwargs: Any) -> Any:
    return field(metadata={"doc": text}, **kwargs)


@dataclass(frozen=True, kw_only=True)
class ChartImage:
    """A PNG drawn at print resolution; inserted as a picture ``width_mm`` wide."""

    png: bytes = _doc("PNG bytes")
    width_mm: float = _doc("printed width in millimetres", default=160.0)


@dataclass(frozen=True, kw_only=True)
class Levels:
    p50: str = _doc("P50 (median)")
    p80: str = _doc("P80")
    p90: str = _doc("P90")


@dataclass(frozen=True, kw_only=True)
class Requirement:
    number: str = _doc("序号 / row number")
    clause: str = _doc("招标文件条款号 / clause of the tender")
    text: str = _doc("招标要求 / the requirement")
    response: str = _doc("投标响应 / our response")
    deviation: str = _doc("偏离 / deviation: 无偏离, 正偏离 or 负偏离 (None, Positive, Negative)")
    note: str = _doc("说明 / note")


@dataclass(frozen=True, kw_only=True)
class WbsItem:
    code: str = _doc("catalog code of the line")
    name: str = _doc("item name in the document's language")
    unit: str = _doc("unit (项, 接口, 报表 …)")
    quantity: str = _doc("quantity")
    effort_p50: str = _doc("P50 effort in person-days (the roles of the line summed)")


@dataclass(frozen=True, kw_only=True)
class WbsPhase:
    name: str = _doc("phase name")
    effort_p50: str = _doc("P50 effort of the phase in person-days (from the simulation)")
    items: list[WbsItem] = _doc("the phase's lines", default_factory=list)


@dataclass(frozen=True, kw_only=True)
class QuoteLineView:
    number: str = _doc("序号")
    category: str = _doc("category (定制开发, 实施服务, 培训, 运维/技术支持, 风险储备金)")
    name: str = _doc("line name")
    unit: str = _doc("unit (人天, 项)")
    quantity: str = _doc("quantity")
    unit_price: str = _doc("unit price, money")
    tax_rate: str = _doc("VAT rate, e.g. 6%")
    amount: str = _doc("amount excluding tax, money")


@dataclass(frozen=True, kw_only=True)
class TaxRow:
    rate: str = _doc("VAT rate, e.g. 6%")
    base: str = _doc("amount taxed at this rate, money")
    tax: str = _doc("tax at this rate, money")


@dataclass(frozen=True, kw_only=True)
class QuoteSummary:
    lines: list[QuoteLineView] = _doc("quote lines, as in the Excel quote", default_factory=list)
    subtotal: str = _doc("total excluding tax = price at the confidence level, money")
    taxes: list[TaxRow] = _doc("tax by rate", default_factory=list)
    total: str = _doc("total including tax, money")
    total_in_words: str = _doc("total in capital Chinese numerals (人民币大写); empty in English")
    validity_days: str = _doc("quote validity in days")


@dataclass(frozen=True, kw_only=True)
class SchedulePhase:
    name: str = _doc("phase name")
    p50_days: str = _doc("P50 effort of the phase in person-days")
    p80_days: str = _doc("P80 effort of the phase in person-days")
    start_day: str = _doc("indicative start, working days after the project start")
    duration_days: str = _doc("indicative duration in working days (the plan scaled to P50)")


@dataclass(frozen=True, kw_only=True)
class TeamMember:
    role: str = _doc("role name")
    fte: str = _doc("full-time equivalents")
    effort_p50: str = _doc("P50 effort of the role in person-days")


@dataclass(frozen=True, kw_only=True)
class RiskEntry:
    code: str = _doc("risk code (R1, R2 …)")
    title: str = _doc("risk title")
    probability: str = _doc("probability, e.g. 40%")
    impact: str = _doc("impact in person-days, optimistic–most likely–pessimistic")
    mitigation: str = _doc("mitigation")
    owner: str = _doc("owner")


@dataclass(frozen=True, kw_only=True)
class PaymentMilestone:
    name: str = _doc("milestone (签订合同, 上线, 终验 …)")
    percent: str = _doc("share of the total, e.g. 30%")
    amount: str = _doc("amount including tax, money")


@dataclass(frozen=True, kw_only=True)
class Charts:
    histogram: ChartImage = _doc("effort histogram with P50/P80/P90 marked")
    s_curve: ChartImage = _doc("price S-curve with P50/P80/P90 marked")
    tornado: ChartImage = _doc("top drivers (rank correlation with total effort)")
    gantt: ChartImage = _doc("phases on a time line (P50 effort over the team's capacity)")


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    id: str = _doc("simulation run number")
    seed: str = _doc("random seed")
    iterations: str = _doc("iterations")
    engine_version: str = _doc("engine version")
    input_sha256: str = _doc("fingerprint of the run's inputs")


@dataclass(frozen=True, kw_only=True)
class ProposalContext:
    """Everything a technical proposal template can use."""

    language: str = _doc("zh or en")
    company: str = _doc("our company name")
    customer: str = _doc("customer name")
    contact: str = _doc("customer contact person")
    project: str = _doc("project (opportunity) name")
    bid_number: str = _doc("bid / tender number")
    document_date: str = _doc("date of the document (the run's finishing day)")
    version: str = _doc("document version, e.g. V1.0 (revision 1, run 7)")
    currency: str = _doc("currency code, e.g. CNY")
    overview: str = _doc("project overview (the opportunity's description)")
    requirements: list[Requirement] = _doc("imported requirement list; empty when none")
    wbs: list[WbsPhase] = _doc("work breakdown by phase")
    effort: Levels = _doc("total effort in person-days")
    duration: Levels = _doc("duration in working days")
    show_cost: bool = _doc("whether cost figures are included (admin/presales only)")
    cost: Levels | None = _doc("total cost, money; None unless show_cost")
    price: Levels = _doc("total price excluding tax, money")
    confidence: str = _doc("chosen confidence level, e.g. 80%")
    price_at_confidence: str = _doc("price at the confidence level excluding tax, money")
    base_price: str = _doc("price of the most likely plan (no risk), money")
    contingency: str = _doc("contingency reserve = price at confidence − base price, money")
    contingency_sentence: str = _doc("plain-language explanation of the contingency")
    quote: QuoteSummary = _doc("the quote lines and totals (same figures as the Excel quote)")
    charts: Charts = _doc("charts as pictures")
    start_date: str = _doc("planned start date; empty when none")
    delivery_p50: str = _doc("P50 delivery date; empty without a start date")
    delivery_p80: str = _doc("P80 delivery date; empty without a start date")
    schedule: list[SchedulePhase] = _doc("phases with their effort")
    team: list[TeamMember] = _doc("the team: roles and FTE")
    risks: list[RiskEntry] = _doc("risk register")
    assumptions: list[str] = _doc("assumptions (text)")
    exclusions: list[str] = _doc("exclusions (text)")
    payment: list[PaymentMilestone] = _doc("payment milestones")
    run: RunInfo = _doc("the simulation run the document was built from")


TOP_LEVEL_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(ProposalContext))


def _dataclass_of(annotation: Any) -> tuple[Any, str]:
    """(dataclass inside the annotation, how it is used: "", "list" or "optional")."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is list and args and dataclasses.is_dataclass(args[0]):
        return args[0], "list"
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if inner and dataclasses.is_dataclass(inner[0]):
            return inner[0], "optional"
    if isinstance(annotation, type) and dataclasses.is_dataclass(annotation):
        return annotation, ""
    return None, ""


def _type_name(annotation: Any) -> str:
    if annotation is ChartImage:
        return "image"
    if typing.get_origin(annotation) is list:
        return "list of text"
    if annotation is bool:
        return "flag"
    return "text"


def _rows(cls: type, prefix: str, loops: list[tuple[str, type]]) -> list[str]:
    hints = typing.get_type_hints(cls)
    rows = []
    for item in dataclasses.fields(cls):
        annotation = hints[item.name]
        name = f"{prefix}{item.name}"
        inner, usage = _dataclass_of(annotation)
        doc = item.metadata.get("doc", "")
        if inner is not None and inner is not ChartImage and usage == "list":
            loop_var = inner.__name__[0].lower() + "".join(
                f"_{c.lower()}" if c.isupper() else c for c in inner.__name__[1:]
            )
            rows.append(f"| `{name}` | loop | {doc}; `{{% for {loop_var} in {name} %}}` |")
            loops.append((f"{loop_var} (in {name})", inner))
        elif inner is not None and inner is not ChartImage:
            kind = "group, may be None" if usage == "optional" else "group"
            rows.append(f"| `{name}` | {kind} | {doc} |")
            rows.extend(_rows(inner, f"{name}.", loops))
        else:
            rows.append(f"| `{name}` | {_type_name(annotation)} | {doc} |")
    return rows


def variables_markdown() -> str:
    """The reference page of every variable and loop (``VARIABLES.md``)."""
    loops: list[tuple[str, type]] = []
    lines = [
        "# Proposal template variables",
        "",
        "Generated by `python -m app.documents.context > proposal_templates/VARIABLES.md`;",
        "do not edit by hand (a test checks that it is up to date).",
        "",
        "Use `{{ name }}` for a value, `{%p if name %}…{%p endif %}` around paragraphs,",
        "`{%tr for x in list %}` … `{%tr endfor %}` in table rows, and `{{ charts.x }}` alone",
        "in a paragraph for a picture. Type braces with the English input method: full-width",
        "`｛｛` is not a tag. Values are escaped, so `&` and `<` print as typed.",
        "",
        "| variable | type | meaning |",
        "|---|---|---|",
        *_rows(ProposalContext, "", loops),
    ]
    done: set[str] = set()
    while loops:
        title, cls = loops.pop(0)
        if cls.__name__ in done:
            continue
        done.add(cls.__name__)
        loop_var = title.split(" ")[0]
        lines += ["", f"## Loop `{title}`", "", "| variable | type | meaning |", "|---|---|---|"]
        lines += _rows(cls, f"{loop_var}.", loops)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(variables_markdown())
