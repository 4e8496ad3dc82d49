"""Proposal and quote documents built from a stored run, for a given viewer and language.

Pricing rule (README, "Pricing rule"): the quote's total excluding VAT is the run's price
at its confidence level, exactly the stored ``summary["price_at_confidence"]``. It is split
into the *most likely plan* (one line per category and role: most-likely person-days ×
the role's sell day rate, quantities half-up to 0.01 day, amounts half-up to the cent) and
one **contingency reserve** line holding the difference. The results page (quote-lines
table), the .docx and the .xlsx all take their lines from :func:`quote_lines`, so they
agree to the cent.

Documents are byte-reproducible: the same run, viewer kind, language and options give the
same bytes (fixed zip times; core properties stamped with the run's finishing time).
"""

import functools
import hashlib
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlmodel import Session

import estimation as engine
from app import charts, i18n
from app.caching import BoundedCache
from app.config import PROJECT_ROOT, get_settings
from app.documents import context as ctx
from app.documents.chinese_numerals import rmb_upper
from app.documents.errors import DocumentError
from app.documents.proposal import (
    TemplateReport,
    check_template,
    render_proposal,
    render_user_proposal,
)
from app.documents.quote import (
    PaymentTerm,
    Quote,
    QuoteLine,
    WbsRow,
    percent_text,
    quote_totals,
    quote_workbook,
)
from app.errors import NotFoundError
from app.models import EstimateRevision, Role, SimulationRun, User
from app.services.catalog import roles_by_code
from app.services.engine_input import _line_keys
from app.services.intake import requirements_for_revision
from app.services.revision_view import phase_label, unit_label
from app.services.run_charts import _DRAWING, chart_png
from app.services.run_view import run_identity, run_snapshot, stored_result
from app.services.runs import get_run, money_text, value_at
from app.vocabulary import Language, RunStatus, StatementKind, can_see_cost

TEMPLATE_DIR = PROJECT_ROOT / "proposal_templates"
DEFAULT_COMPANY = {Language.ZH: "本公司", Language.EN: "Our company"}
SERVICE_TAX_RATE = Decimal("0.06")
GOODS_TAX_RATE = Decimal("0.13")
QUANTITY_STEP = Decimal("0.01")
VALIDITY_CHOICES = (30, 60, 90)

# Quote categories by phase; every phase belongs to exactly one.
CATEGORIES: tuple[tuple[tuple[str, str], frozenset[str]], ...] = (
    (
        ("定制开发", "Custom development"),
        frozenset({"discovery", "design", "build", "integration", "test"}),
    ),
    (("实施服务", "Implementation services"), frozenset({"deploy", "pm"})),
    (("培训", "Training"), frozenset({"training"})),
    (("运维/技术支持", "Operations and support"), frozenset({"support"})),
)
CONTINGENCY = ("风险储备金", "Contingency reserve")
PERSON_DAY = ("人天", "person-day")
LUMP_SUM = ("项", "lump sum")
PAYMENT_NAMES = {
    Language.ZH: ("合同签订", "系统上线", "终验"),
    Language.EN: ("Contract signing", "Go-live", "Final acceptance"),
}


def _pick(pair: tuple[str, str], language: Language) -> str:
    return pair[0] if language == Language.ZH else pair[1]


def _decimal(value: float | str | Decimal, step: Decimal = Decimal("0.01")) -> Decimal:
    return Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP)


# --- Options ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class QuoteOptions:
    validity_days: int = 30
    payment: tuple[Decimal, ...] = (Decimal(30), Decimal(40), Decimal(30))
    service_tax_rate: Decimal = SERVICE_TAX_RATE

    @classmethod
    def parse(cls, *, validity: int | None, payment: str | None) -> "QuoteOptions":
        """From query parameters: ``validity=60``, ``payment=30,40,30`` (percent)."""
        days = validity or 30
        if days not in VALIDITY_CHOICES:
            raise DocumentError(f"validity={days} days: choose 30, 60 or 90")
        shares: tuple[Decimal, ...] = (Decimal(30), Decimal(40), Decimal(30))
        if payment:
            try:
                shares = tuple(Decimal(part.strip()) for part in payment.split(","))
            except ArithmeticError as error:
                raise DocumentError(
                    f"payment={payment!r}: give percentages like 30,40,30"
                ) from error
            if sum(shares) != 100:
                raise DocumentError(
                    f"payment={payment!r}: the milestones add up to {sum(shares)}%, not 100%"
                )
        return cls(validity_days=days, payment=shares)


# --- The run's pieces ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Sources:
    run: SimulationRun
    revision: EstimateRevision
    result: engine.SimulationResult
    roles: dict[str, Role]
    language: Language
    sees_cost: bool
    # The opportunity's confirmed requirement lists with their answers (bid intake).
    requirements: list[ctx.Requirement] = field(default_factory=list)

    @property
    def snapshot(self) -> dict[str, Any]:
        return run_snapshot(self.run)

    @property
    def currency(self) -> str:
        return str(self.snapshot.get("currency", "CNY"))

    def money(self, value: Decimal | float) -> str:
        return i18n.format_money(value, self.currency, self.language)

    def role_name(self, code: str) -> str:
        role = self.roles.get(code)
        if role is None:
            return code
        return role.name_zh if self.language == Language.ZH else role.name_en

    @property
    def stamp(self) -> datetime:
        finished = self.run.finished_at or self.run.created_at
        if finished.tzinfo is not None:
            finished = finished.astimezone(UTC).replace(tzinfo=None)
        return finished.replace(microsecond=0)


def _sources(session: Session, run_id: int, *, user: User, language: Language) -> _Sources:
    run = get_run(session, run_id)
    result = stored_result(run) if run.status == RunStatus.SUCCEEDED else None
    if result is None:
        raise NotFoundError(f"run {run_id} has no results to put in a document")
    revision = session.get(EstimateRevision, run.revision_id)
    if revision is None:
        raise NotFoundError(f"the revision of run {run_id} no longer exists")
    return _Sources(
        run=run,
        revision=revision,
        result=result,
        roles=roles_by_code(session),
        language=language,
        sees_cost=can_see_cost(user.role),
        requirements=[
            ctx.Requirement(
                number=row.number,
                clause=row.clause,
                text=row.text,
                response=row.response,
                deviation=row.deviation,
                note=row.note,
            )
            for row in requirements_for_revision(session, revision.id or 0, language=language)
        ],
    )


def _most_likely_days(snapshot: dict[str, Any]) -> dict[tuple[str, str], float]:
    """Most-likely person-days per (phase, role), percent lines included (as the engine)."""
    days: dict[tuple[str, str], float] = {}
    by_phase: dict[str, float] = {}
    for item in snapshot["items"]:
        effort = item["most_likely"] * item["quantity"] * item["complexity"]
        key = (item["phase"], item["role"])
        days[key] = days.get(key, 0.0) + effort
        by_phase[item["phase"]] = by_phase.get(item["phase"], 0.0) + effort
    for item in snapshot["percent_items"]:
        base = sum(by_phase.get(phase, 0.0) for phase in item["of_phases"])
        effort = item["most_likely"] / 100 * item["quantity"] * item["complexity"] * base
        key = (item["phase"], item["role"])
        days[key] = days.get(key, 0.0) + effort
    return days


def _price_at_confidence(run: SimulationRun, result: engine.SimulationResult) -> Decimal:
    stored = (run.summary or {}).get("price_at_confidence")
    if stored is not None:
        return Decimal(str(stored))
    outcome = result.unmitigated
    return Decimal(money_text(value_at(outcome.price, outcome.contingency.confidence)))


def _quote_lines(sources: _Sources, tax_rate: Decimal) -> list[QuoteLine]:
    language, snapshot = sources.language, sources.snapshot
    rates = {role["code"]: role["sell_day_rate"] for role in snapshot["roles"]}
    order = [role["code"] for role in snapshot["roles"]]
    days = _most_likely_days(snapshot)
    lines: list[QuoteLine] = []
    for names, phases in CATEGORIES:
        for role in order:
            total = sum(
                value for (phase, code), value in days.items() if code == role and phase in phases
            )
            quantity = _decimal(total, QUANTITY_STEP)
            if quantity <= 0:
                continue
            lines.append(
                QuoteLine(
                    category=_pick(names, language),
                    name=sources.role_name(role),
                    unit=_pick(PERSON_DAY, language),
                    quantity=quantity,
                    unit_price=_decimal(rates[role]),
                    tax_rate=tax_rate,
                )
            )
    base = sum((line.amount for line in lines), Decimal(0))
    price = _price_at_confidence(sources.run, sources.result)
    confidence = _confidence_text(sources.result)
    lines.append(
        QuoteLine(
            category=_pick(CONTINGENCY, language),
            name=_pick(CONTINGENCY, language) + f" (P{confidence.rstrip('%')})",
            unit=_pick(LUMP_SUM, language),
            quantity=Decimal(1),
            unit_price=price - base,
            tax_rate=tax_rate,
            description=_pick(
                (
                    "按置信水平定价与最可能方案之差",
                    "price at the confidence level minus the most likely plan",
                ),
                language,
            ),
        )
    )
    return lines


def _confidence_text(result: engine.SimulationResult) -> str:
    return f"{result.unmitigated.contingency.confidence * 100:.0f}%"


def _payment_terms(language: Language, shares: Sequence[Decimal]) -> list[PaymentTerm]:
    names = PAYMENT_NAMES[language]
    terms = []
    for index, share in enumerate(shares):
        name = names[index] if index < len(names) and len(shares) == len(names) else ""
        terms.append(
            PaymentTerm(
                name=name or _pick(("第 %d 期", "Instalment %d"), language) % (index + 1),
                percent=share,
            )
        )
    return terms


# --- What the results page shows ---------------------------------------------------------


@dataclass(frozen=True)
class QuoteLinesView:
    """The quote lines and totals for ``_quote_lines.html`` (price level, no cost)."""

    currency: str
    confidence: str
    lines: list[ctx.QuoteLineView]
    subtotal: str
    taxes: list[ctx.TaxRow]
    total: str
    total_in_words: str
    subtotal_value: Decimal
    total_value: Decimal


def quote_lines(session: Session, run_id: int, *, user: User, language: Language) -> QuoteLinesView:
    """The lines the quote and the proposal print, for the results page."""
    sources = _sources(session, run_id, user=user, language=language)
    return _quote_view(sources, QuoteOptions())


def _quote_view(sources: _Sources, options: QuoteOptions) -> QuoteLinesView:
    lines = _quote_lines(sources, options.service_tax_rate)
    terms = _payment_terms(sources.language, options.payment)
    totals = quote_totals(lines, terms, (options.service_tax_rate, GOODS_TAX_RATE))
    return QuoteLinesView(
        currency=sources.currency,
        confidence=_confidence_text(sources.result),
        lines=[
            ctx.QuoteLineView(
                number=str(number),
                category=line.category,
                name=line.name,
                unit=line.unit,
                quantity=f"{line.quantity:,.2f}",
                unit_price=sources.money(line.unit_price),
                tax_rate=percent_text(line.tax_rate),
                amount=sources.money(line.amount),
            )
            for number, line in enumerate(lines, start=1)
        ],
        subtotal=sources.money(totals.subtotal),
        taxes=[
            ctx.TaxRow(
                rate=percent_text(tax.rate),
                base=sources.money(tax.base),
                tax=sources.money(tax.tax),
            )
            for tax in totals.taxes
            if tax.base
        ],
        total=sources.money(totals.total),
        total_in_words=rmb_upper(totals.total) if sources.language == Language.ZH else "",
        subtotal_value=totals.subtotal,
        total_value=totals.total,
    )


# --- Work breakdown -----------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)
def _quantiles(
    triple: tuple[float, float, float], distribution: str, pert_lambda: float, ranges: str
) -> tuple[float, float]:
    try:
        marginal = engine.fit_marginal(
            *triple,
            distribution=engine.Distribution(distribution),
            pert_lambda=pert_lambda,
            ranges=engine.RangeInterpretation(ranges),
        )
        p50, p80 = (float(v) for v in marginal.quantile([0.5, 0.8]))
    except (engine.EstimationInputError, ValueError):
        return triple[1], triple[1]
    if math.isnan(p50) or math.isnan(p80):
        return triple[1], triple[1]
    return p50, p80


def _name(text: str, language: Language) -> str:
    zh, _, en = text.partition(" / ")
    return (zh if language == Language.ZH else en) or text


def wbs_rows(sources: _Sources) -> list[WbsRow]:
    """One row per line and role: three-point values and the line's own P50/P80.

    P50/P80 are quantiles of the line's fitted distribution × quantity × complexity; for a
    percent line, of the percentage applied to the most-likely effort of its base phases.
    """
    snapshot, language = sources.snapshot, sources.language
    settings = snapshot["settings"]
    base: dict[str, float] = {}
    for item in snapshot["items"]:
        base[item["phase"]] = base.get(item["phase"], 0.0) + (
            item["most_likely"] * item["quantity"] * item["complexity"]
        )
    rows = []
    for item in [*snapshot["items"], *snapshot["percent_items"]]:
        triple = (item["optimistic"], item["most_likely"], item["pessimistic"])
        p50, p80 = _quantiles(
            triple, item["distribution"], settings["pert_lambda"], settings["range_interpretation"]
        )
        scale = item["quantity"] * item["complexity"]
        if "of_phases" in item:
            scale *= sum(base.get(phase, 0.0) for phase in item["of_phases"]) / 100
        rows.append(
            WbsRow(
                line=item["line"],
                name=_name(item["name"], language),
                phase=phase_label(item["phase"], language),
                role=item["role"],
                quantity=item["quantity"],
                complexity=item["complexity"],
                optimistic=item["optimistic"],
                most_likely=item["most_likely"],
                pessimistic=item["pessimistic"],
                p50=p50 * scale,
                p80=p80 * scale,
            )
        )
    return rows


def _wbs_phases(sources: _Sources, rows: list[WbsRow]) -> list[ctx.WbsPhase]:
    keys = _line_keys(sources.revision.lines)  # once: per line it made a 200-line WBS quadratic
    units = {
        keys[line.id or 0]: unit_label(line.unit.value, sources.language)
        for line in sources.revision.lines
        if (line.id or 0) in keys
    }
    by_line: dict[str, list[WbsRow]] = {}
    for row in rows:
        by_line.setdefault(row.line, []).append(row)
    phases: dict[str, list[ctx.WbsItem]] = {}
    for line, members in by_line.items():
        first = members[0]
        phases.setdefault(first.phase, []).append(
            ctx.WbsItem(
                code=line.split("#")[0],
                name=first.name,
                unit=units.get(line, ""),
                quantity=f"{first.quantity:g}",
                effort_p50=f"{sum(m.p50 for m in members):,.1f}",
            )
        )
    by_phase = _priced_outcome(sources).effort_by_phase
    effort = {
        phase_label(key, sources.language): s.percentiles["P50"] for key, s in by_phase.items()
    }
    return [
        ctx.WbsPhase(name=name, effort_p50=f"{effort.get(name, 0.0):,.1f}", items=items)
        for name, items in phases.items()
    ]


# --- Schedule -----------------------------------------------------------------------------


def _schedule(sources: _Sources) -> list[tuple[str, float, float, float, float]]:
    """(label, start, length, P50 effort, P80 effort): an indicative plan scaled to P50.

    Each phase lasts its P50 effort over the team's capacity and starts when the phases
    it depends on end; project management spans the whole plan. The plan is then scaled
    so that it ends at the simulated P50 duration.
    """
    snapshot, outcome = sources.snapshot, _priced_outcome(sources)
    capacity = sum(role.get("fte", 1.0) for role in snapshot["roles"]) or 1.0
    effort = outcome.effort_by_phase
    finish: dict[str, float] = {}
    plan: list[tuple[str, float, float]] = []
    for phase in snapshot["phases"]:
        code = phase["code"]
        series = effort.get(code)
        length = series.percentiles["P50"] / capacity if series else 0.0
        start = max((finish.get(dep, 0.0) for dep in phase["depends_on"]), default=0.0)
        finish[code] = start + length
        if length > 0:
            plan.append((code, start, length))
    end = max(finish.values(), default=0.0)
    scale = outcome.duration.percentiles["P50"] / end if end > 0 else 1.0
    rows = []
    for code, start, length in plan:
        begin, span = (0.0, end) if code == "pm" else (start, length)
        series = effort[code]
        rows.append(
            (
                phase_label(code, sources.language),
                begin * scale,
                span * scale,
                series.percentiles["P50"],
                series.percentiles["P80"],
            )
        )
    return rows


# --- Charts -------------------------------------------------------------------------------

_CHART_CACHE: BoundedCache[tuple[object, ...], bytes] = BoundedCache(64)


def _chart(sources: _Sources, name: str) -> bytes:
    """PNG charts are drawn once per run and language (a run never changes)."""

    def draw() -> bytes:
        if name == "gantt":
            return _gantt_png(sources)
        return chart_png(sources.run, name, sources.language)

    return _CHART_CACHE.get_or_compute((*run_identity(sources.run), name, sources.language), draw)


def _gantt_png(sources: _Sources) -> bytes:
    zh = sources.language == Language.ZH
    rows = [(label, start, length) for label, start, length, _, _ in _schedule(sources)]
    with _DRAWING:
        figure = charts.gantt(
            rows=rows,
            x_label="工作日（自开工起）" if zh else "Working days from the start",
            title="实施计划（示意）" if zh else "Implementation plan (indicative)",
        )
        return charts.to_png(figure)


# --- The proposal context -----------------------------------------------------------------


def _levels(series: engine.SeriesSummary, fmt: Any) -> ctx.Levels:
    p = series.percentiles
    return ctx.Levels(p50=fmt(p["P50"]), p80=fmt(p["P80"]), p90=fmt(p["P90"]))


def _days(value: float) -> str:
    return f"{value:,.1f}"


def _risks(sources: _Sources) -> list[ctx.RiskEntry]:
    by_code = {
        (risk.code or f"R{number}"): risk
        for number, risk in enumerate(sources.revision.risks, start=1)
    }
    entries = []
    for risk in sources.snapshot["risks"]:
        stored = by_code.get(risk["code"])
        impact = next(iter(risk["impact_days"].values()), None)
        entries.append(
            ctx.RiskEntry(
                code=risk["code"],
                title=risk["name"],
                probability=f"{risk['probability'] * 100:.0f}%",
                impact="–".join(f"{v:g}" for v in impact) if impact else "",
                mitigation=stored.mitigation if stored else "",
                owner=stored.owner if stored else "",
            )
        )
    return entries


def _priced_outcome(sources: _Sources) -> engine.Outcome:
    """The outcome the quote is priced on: calibrated when the run recorded it so."""
    calibrated = sources.result.calibrated
    if calibrated is not None and (sources.run.summary or {}).get("price_basis") == "calibrated":
        return calibrated.unmitigated
    return sources.result.unmitigated


def _contingency_sentence(sources: _Sources, contingency: str) -> str:
    confidence = _confidence_text(sources.result)
    iterations = f"{sources.run.iterations:,}"
    if sources.language == Language.ZH:
        return (
            f"风险储备金 {contingency} 是按 {confidence} 置信水平的报价与最可能方案报价之差："
            f"在 {iterations} 次模拟的项目中，约 {confidence} 的项目在该报价范围内完成，"
            "储备金用于覆盖估算的不确定性与已识别的风险。"
        ) + _confidence_basis(sources)
    return (
        f"The contingency reserve of {contingency} is the difference between the price at "
        f"the {confidence} confidence level and the most likely plan: in about {confidence} "
        f"of the {iterations} simulated projects the work fits within this price. It covers "
        "estimating uncertainty and the identified risks."
    ) + _confidence_basis(sources)


def _confidence_basis(sources: _Sources) -> str:
    """One sentence on what the confidence level rests on, when priced on a calibration."""
    summary = sources.run.summary or {}
    calibrated = sources.result.calibrated
    if calibrated is None or summary.get("price_basis") != "calibrated":
        return ""
    projects = calibrated.calibration.projects
    coverage = (summary.get("calibration") or {}).get("coverage") or {}
    zh = sources.language == Language.ZH
    if coverage.get("projects"):
        covered = f"{coverage['calibrated'][1] * 100:.0f}%"
        if zh:
            return (
                f"该置信水平已按我们 {projects} 个以往项目的估算与实际工时校准；"
                f"在 {coverage['projects']} 个以往项目的回测中，校准后的 P80 覆盖了 {covered}。"
            )
        return (
            f" The confidence level is calibrated on our estimates versus actuals in {projects} "
            f"past projects; in a backtest on {coverage['projects']} of them the calibrated "
            f"P80 covered {covered}."
        )
    if zh:
        return f"该置信水平已按我们 {projects} 个以往项目的估算与实际工时校准。"
    return (
        f" The confidence level is calibrated on our estimates versus actuals in {projects} "
        "past projects."
    )


def proposal_context(sources: _Sources, options: QuoteOptions) -> ctx.ProposalContext:
    run, revision, language = sources.run, sources.revision, sources.language
    opportunity = revision.estimate.opportunity
    customer = opportunity.customer
    outcome = _priced_outcome(sources)
    view = _quote_view(sources, options)
    totals = quote_totals(
        _quote_lines(sources, options.service_tax_rate),
        _payment_terms(language, options.payment),
        (options.service_tax_rate, GOODS_TAX_RATE),
    )
    contingency_line = _quote_lines(sources, options.service_tax_rate)[-1]
    contingency = sources.money(contingency_line.amount)
    delivery = outcome.delivery_dates or {}
    staffing = {role["code"]: role.get("fte", 1.0) for role in sources.snapshot["roles"]}
    schedule = _schedule(sources)
    rows = wbs_rows(sources)
    day = functools.partial(i18n.format_day, language=language)
    return ctx.ProposalContext(
        language=language.value,
        company=company_name(language),
        customer=customer.name
        if language == Language.ZH or not customer.name_en
        else customer.name_en,
        contact=customer.contact_name,
        project=opportunity.name,
        bid_number=opportunity.bid_number,
        document_date=day(sources.stamp.date()),
        version=f"V{revision.number}.0 (run {run.id})"
        if language == Language.EN
        else f"V{revision.number}.0（第 {run.id} 次模拟）",
        currency=sources.currency,
        overview=opportunity.description,
        requirements=sources.requirements,
        wbs=_wbs_phases(sources, rows),
        effort=_levels(outcome.effort, _days),
        duration=_levels(outcome.duration, _days),
        show_cost=sources.sees_cost,
        cost=_levels(outcome.cost, lambda v: sources.money(Decimal(money_text(v))))
        if sources.sees_cost
        else None,
        price=_levels(outcome.price, lambda v: sources.money(Decimal(money_text(v)))),
        confidence=_confidence_text(sources.result),
        price_at_confidence=sources.money(view.subtotal_value),
        base_price=sources.money(view.subtotal_value - contingency_line.amount),
        contingency=contingency,
        contingency_sentence=_contingency_sentence(sources, contingency),
        quote=ctx.QuoteSummary(
            lines=view.lines,
            subtotal=view.subtotal,
            taxes=view.taxes,
            total=view.total,
            total_in_words=view.total_in_words,
            validity_days=str(options.validity_days),
        ),
        charts=ctx.Charts(
            histogram=ctx.ChartImage(png=_chart(sources, "histogram-effort")),
            s_curve=ctx.ChartImage(png=_chart(sources, "s-curve-price")),
            tornado=ctx.ChartImage(png=_chart(sources, "tornado")),
            gantt=ctx.ChartImage(png=_chart(sources, "gantt")),
        ),
        start_date=day(revision.start_date) if sources.snapshot.get("start_date") else "",
        delivery_p50=day(delivery["P50"]) if "P50" in delivery else "",
        delivery_p80=day(delivery["P80"]) if "P80" in delivery else "",
        schedule=[
            ctx.SchedulePhase(
                name=label,
                p50_days=_days(p50),
                p80_days=_days(p80),
                start_day=f"{start:,.0f}",
                duration_days=f"{length:,.0f}",
            )
            for label, start, length, p50, p80 in schedule
        ],
        team=[
            ctx.TeamMember(
                role=sources.role_name(code),
                fte=f"{staffing.get(code, 1.0):g}",
                effort_p50=_days(series.percentiles["P50"]),
            )
            for code, series in outcome.effort_by_role.items()
            if series.maximum > 0
        ],
        risks=_risks(sources),
        assumptions=_statements(revision, StatementKind.ASSUMPTION),
        exclusions=_statements(revision, StatementKind.EXCLUSION),
        payment=[
            ctx.PaymentMilestone(
                name=term.name, percent=f"{term.percent:g}%", amount=sources.money(amount)
            )
            for term, amount in zip(
                _payment_terms(language, options.payment), totals.payments, strict=True
            )
        ],
        run=ctx.RunInfo(
            id=str(run.id),
            seed=str(run.seed),
            iterations=f"{run.iterations:,}",
            engine_version=run.engine_version,
            input_sha256=run.input_sha256,
        ),
    )


def _statements(revision: EstimateRevision, kind: StatementKind) -> list[str]:
    return [statement.text for statement in revision.statements if statement.kind == kind]


def company_name(language: Language) -> str:
    """Our company (setting ``BIDWRIGHT_COMPANY_NAME``), or a placeholder that asks for it."""
    return get_settings().company_name or DEFAULT_COMPANY[language]


# --- Documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Document:
    file_name: str
    fallback_name: str
    media_type: str
    content: bytes


DOCX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _file_title(text: str) -> str:
    return _UNSAFE_NAME.sub("_", text).strip()[:80] or "bidwright"


@functools.lru_cache(maxsize=4)
def _builtin_template(language: Language) -> bytes:
    return (TEMPLATE_DIR / f"technical_proposal_{language.value}.docx").read_bytes()


def proposal_document(
    session: Session,
    run_id: int,
    *,
    user: User,
    language: Language,
    template_id: str | None = None,
    options: QuoteOptions | None = None,
) -> Document:
    """The technical proposal for ``run_id`` as ``user`` may see it."""
    sources = _sources(session, run_id, user=user, language=language)
    context = proposal_context(sources, options or QuoteOptions())
    if template_id:
        content = render_user_proposal(user_template(template_id), context, stamp=sources.stamp)
    else:
        content = render_proposal(_builtin_template(language), context, stamp=sources.stamp)
    project = _file_title(context.project)
    name = (
        f"技术方案书-{project}-第{run_id}次模拟.docx"
        if language == Language.ZH
        else f"Technical proposal - {project} - run {run_id}.docx"
    )
    return Document(name, f"proposal-run-{run_id}-{language.value}.docx", DOCX_MEDIA_TYPE, content)


def quote_data(sources: _Sources, options: QuoteOptions) -> Quote:
    revision, language = sources.revision, sources.language
    opportunity = revision.estimate.opportunity
    outcome = _priced_outcome(sources)
    columns: list[tuple[str, engine.SeriesSummary]] = [
        (_pick(("工作量（人天）", "Effort (person-days)"), language), outcome.effort),
        (_pick(("工期（工作日）", "Duration (working days)"), language), outcome.duration),
        (_pick(("报价", "Price"), language) + f" ({sources.currency})", outcome.price),
    ]
    if sources.sees_cost:
        columns += [
            (_pick(("成本", "Cost"), language) + f" ({sources.currency})", outcome.cost),
            (_pick(("毛利", "Margin"), language) + f" ({sources.currency})", outcome.margin),
        ]
    levels = [f"P{level}" for level in engine.PERCENTILE_LEVELS]
    return Quote(
        language=language.value,
        currency=sources.currency,
        quote_number=(
            f"Q-{opportunity.bid_number or opportunity.id}-R{revision.number}-{sources.run.id}"
        ),
        quote_date=sources.stamp.date(),
        validity_days=options.validity_days,
        company=company_name(language),
        customer=opportunity.customer.name,
        project=opportunity.name,
        contact=opportunity.customer.contact_name,
        lines=_quote_lines(sources, options.service_tax_rate),
        tax_rates=(options.service_tax_rate, GOODS_TAX_RATE),
        payment=_payment_terms(language, options.payment),
        assumptions=_statements(revision, StatementKind.ASSUMPTION),
        exclusions=_statements(revision, StatementKind.EXCLUSION),
        wbs=wbs_rows(sources),
        percentile_columns=[title for title, _ in columns],
        percentiles=[
            (level, [series.percentiles[level] for _, series in columns]) for level in levels
        ],
        stamp=sources.stamp,
    )


def quote_document(
    session: Session,
    run_id: int,
    *,
    user: User,
    language: Language,
    options: QuoteOptions | None = None,
) -> Document:
    sources = _sources(session, run_id, user=user, language=language)
    quote = quote_data(sources, options or QuoteOptions())
    content = quote_workbook(quote)
    project = _file_title(quote.project)
    name = (
        f"报价单-{project}-第{run_id}次模拟.xlsx"
        if language == Language.ZH
        else f"Quote - {project} - run {run_id}.xlsx"
    )
    return Document(name, f"quote-run-{run_id}-{language.value}.xlsx", XLSX_MEDIA_TYPE, content)


# --- User templates -----------------------------------------------------------------------


@dataclass(frozen=True)
class StoredTemplate:
    id: str
    name: str
    uploaded_by: str
    uploaded_at: str
    size: int
    variables: list[str]
    warnings: list[str]


def template_dir() -> Path:
    """Where uploaded templates live (setting ``BIDWRIGHT_TEMPLATE_DIR``, default ``var/``)."""
    return get_settings().template_dir


_TEMPLATE_ID = re.compile(r"^[0-9a-f]{64}$")


def user_template(template_id: str) -> bytes:
    path = template_dir() / f"{template_id}.docx"
    if not _TEMPLATE_ID.fullmatch(template_id) or not path.exists():
        raise NotFoundError(f"template {template_id[:12]!r} does not exist")
    return path.read_bytes()


def save_user_template(
    data: bytes, *, file_name: str, user: User, max_bytes: int, keep: bool = True
) -> tuple[TemplateReport, StoredTemplate | None]:
    """Check an upload and keep it when it has no errors; returns (report, stored or None)."""
    report = check_template(data, max_bytes=max_bytes)
    if not report.ok or not keep:
        return report, None
    digest = hashlib.sha256(data).hexdigest()
    folder = template_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = StoredTemplate(
        id=digest,
        name=_file_title(Path(file_name).name),
        uploaded_by=user.username,
        uploaded_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S"),
        size=len(data),
        variables=report.variables,
        warnings=[str(problem) for problem in report.warnings],
    )
    (folder / f"{digest}.docx").write_bytes(data)
    (folder / f"{digest}.json").write_text(json.dumps(stored.__dict__, ensure_ascii=False))
    return report, stored


def list_user_templates() -> list[StoredTemplate]:
    folder = template_dir()
    if not folder.exists():
        return []
    stored = [
        StoredTemplate(**json.loads(path.read_text(encoding="utf-8")))
        for path in folder.glob("*.json")
    ]
    return sorted(stored, key=lambda t: (t.uploaded_at, t.name, t.id), reverse=True)
