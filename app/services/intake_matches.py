"""Requirements ↔ catalog: suggestions, decisions, estimate lines and traceability.

Suggestions come from :mod:`app.intake.matching` over the target revision's catalog
version, with the aliases bid teams taught it (``CatalogItemAlias``, keyed by catalog and
item code so they outlive catalog versions). Accepting an item adds it to the
opportunity's draft revision through :mod:`app.services.estimates` (or links the line
already there for that item), records the link, and stores the requirement's text as an
alias of the item. A rejected item is not suggested for that requirement again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, func, select

from app.errors import FieldError, ImmutableRecordError, NotFoundError
from app.intake.matching import CatalogEntry, MatchIndex, build_index
from app.models import (
    CatalogItemAlias,
    CatalogVersion,
    Estimate,
    EstimateLine,
    EstimateRevision,
    IntakeStatus,
    MatchDecision,
    Requirement,
    RequirementList,
    RequirementMatch,
    User,
    WorkItem,
)
from app.services import estimates as estimate_service
from app.services.audit import record_event
from app.services.intake import confirmed_list, get_list, requirements_of
from app.vocabulary import Language, RevisionStatus, VersionStatus

SUGGESTIONS = 5
DEFAULT_THRESHOLD = 0.1
PAGE_SIZE = 50
SHOW_CHOICES = ("all", "open", "covered", "manual")


# --- The catalog a list is matched against --------------------------------------------------


@dataclass(frozen=True)
class RevisionChoice:
    id: int
    label: str


def draft_revisions(session: Session, opportunity_id: int) -> list[EstimateRevision]:
    """The opportunity's draft revisions, most recently changed first."""
    return list(
        session.exec(
            select(EstimateRevision)
            .join(Estimate, col(Estimate.id) == col(EstimateRevision.estimate_id))
            .where(
                Estimate.opportunity_id == opportunity_id,
                EstimateRevision.status == RevisionStatus.DRAFT,
            )
            .order_by(col(EstimateRevision.updated_at).desc(), col(EstimateRevision.id).desc())
        )
    )


def target_revision(
    session: Session, opportunity_id: int, revision_id: int | None
) -> EstimateRevision | None:
    """The chosen draft revision of the opportunity, else its most recently changed one."""
    drafts = draft_revisions(session, opportunity_id)
    if revision_id is not None:
        chosen = next((r for r in drafts if r.id == revision_id), None)
        if chosen is None:
            raise FieldError(
                "revision_id", f"revision {revision_id} is not a draft of this opportunity"
            )
        return chosen
    return drafts[0] if drafts else None


def _catalog_version(session: Session, revision: EstimateRevision | None) -> CatalogVersion:
    if revision is not None:
        version = session.get(CatalogVersion, revision.catalog_version_id)
    else:
        version = session.exec(
            select(CatalogVersion)
            .where(CatalogVersion.status == VersionStatus.PUBLISHED)
            .order_by(col(CatalogVersion.published_at).desc(), col(CatalogVersion.id).desc())
        ).first()
    if version is None:
        raise NotFoundError("there is no published catalog to match requirements against")
    return version


def catalog_index(session: Session, version: CatalogVersion) -> tuple[MatchIndex, list[WorkItem]]:
    """The matcher over a catalog version's items and the aliases learnt for its catalog."""
    items = list(
        session.exec(
            select(WorkItem)
            .where(WorkItem.catalog_version_id == version.id)
            .order_by(col(WorkItem.position), col(WorkItem.id))
        )
    )
    aliases: dict[str, list[str]] = {}
    for alias in session.exec(
        select(CatalogItemAlias).where(CatalogItemAlias.catalog_id == version.catalog_id)
    ):
        aliases.setdefault(alias.item_code, []).append(alias.text)
    entries = [
        CatalogEntry(
            item_id=item.id or 0,
            code=item.code,
            name_zh=item.name_zh,
            name_en=item.name_en,
            description_zh=item.description_zh,
            description_en=item.description_en,
            tags=tuple(item.tags),
            aliases=tuple(aliases.get(item.code, ())),
        )
        for item in items
    ]
    return build_index(entries), items


# --- The matches page ----------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    item_id: int
    code: str
    name: str
    score: float
    matched_terms: tuple[str, ...]
    in_revision: bool  # the revision already has a line for this item (accepting links it)


@dataclass(frozen=True)
class LinkedLine:
    match_id: int
    line_id: int
    revision_id: int
    revision_number: int
    code: str
    name: str
    quantity: float


@dataclass(frozen=True)
class MatchRow:
    id: int
    lock_version: int
    key: str
    section: str
    text: str
    mandatory: bool
    scored: bool
    needs_manual: bool
    lines: list[LinkedLine]
    rejected: list[str]
    suggestions: list[Suggestion]


@dataclass(frozen=True)
class MatchesView:
    list_id: int
    file_name: str
    opportunity_id: int
    threshold: float
    show: str
    page: int
    pages: int
    total: int
    shown: int
    covered: int
    manual: int
    without_suggestion: int
    revision: RevisionChoice | None
    revisions: list[RevisionChoice]
    catalog_label: str
    items: list[tuple[str, str]]  # (code, "code name") for "pick another item"
    rows: list[MatchRow]


def _revision_label(revision: EstimateRevision, language: Language) -> str:
    word = "修订" if language == Language.ZH else "revision"
    return f"{revision.estimate.name} · {word} {revision.number}"


def _name(item: WorkItem | EstimateLine, language: Language) -> str:
    return item.name_zh if language == Language.ZH else item.name_en


@dataclass
class _Context:
    """What building rows needs: the index, the items, the revision's lines, decisions."""

    index: MatchIndex
    items: dict[int, WorkItem]
    revision: EstimateRevision | None
    line_codes: set[str]
    matches: dict[int, list[RequirementMatch]]
    lines: dict[int, EstimateLine]
    language: Language


def _context(
    session: Session, requirement_list: RequirementList, revision_id: int | None, language: Language
) -> _Context:
    revision = target_revision(session, requirement_list.opportunity_id or 0, revision_id)
    index, items = catalog_index(session, _catalog_version(session, revision))
    matches = _decisions(session, requirement_list.id or 0)
    line_ids = {m.line_id for ms in matches.values() for m in ms if m.line_id}
    lines = {
        line.id or 0: line
        for line in session.exec(select(EstimateLine).where(col(EstimateLine.id).in_(line_ids)))
    }
    return _Context(
        index=index,
        items={item.id or 0: item for item in items},
        revision=revision,
        line_codes={line.code for line in revision.lines} if revision else set(),
        matches=matches,
        lines=lines,
        language=language,
    )


def _decisions(session: Session, list_id: int) -> dict[int, list[RequirementMatch]]:
    """Every decision on the list's requirements, by requirement id (a join, not an IN list:
    a 100,000-row list would exceed SQLite's bound-parameter limit)."""
    found: dict[int, list[RequirementMatch]] = {}
    for match in session.exec(
        select(RequirementMatch)
        .join(Requirement, col(Requirement.id) == col(RequirementMatch.requirement_id))
        .where(Requirement.list_id == list_id)
        .order_by(col(RequirementMatch.id))
    ):
        found.setdefault(match.requirement_id or 0, []).append(match)
    return found


def _row(
    requirement: Requirement | _Brief, suggestions: list[Suggestion], context: _Context
) -> MatchRow:
    decisions = context.matches.get(requirement.id or 0, [])
    lines = []
    for match in decisions:
        line = context.lines.get(match.line_id or 0)
        if match.decision == MatchDecision.ACCEPTED and line is not None:
            lines.append(
                LinkedLine(
                    match_id=match.id or 0,
                    line_id=line.id or 0,
                    revision_id=line.revision_id or 0,
                    revision_number=line.revision.number,
                    code=line.code,
                    name=_name(line, context.language),
                    quantity=line.quantity,
                )
            )
    return MatchRow(
        id=requirement.id or 0,
        lock_version=requirement.lock_version,
        key=requirement.key,
        section=requirement.section,
        text=requirement.text,
        mandatory=requirement.mandatory,
        scored=requirement.scored,
        needs_manual=requirement.needs_manual_estimate,
        lines=lines,
        rejected=[m.item_code for m in decisions if m.decision == MatchDecision.REJECTED],
        suggestions=suggestions,
    )


def _suggestions(
    requirements: Sequence[Requirement | _Brief], context: _Context, threshold: float
) -> list[list[Suggestion]]:
    """Top 5 per requirement above ``threshold``, without items already decided on."""
    found = context.index.top_many(
        [r.text for r in requirements], SUGGESTIONS * 2, threshold=threshold
    )
    result = []
    for requirement, matches in zip(requirements, found, strict=True):
        decided = {m.item_code for m in context.matches.get(requirement.id or 0, [])}
        row = []
        for match in matches:
            item = context.items[match.item_id]
            if item.code in decided:
                continue
            row.append(
                Suggestion(
                    item_id=item.id or 0,
                    code=item.code,
                    name=_name(item, context.language),
                    score=match.score,
                    matched_terms=match.matched_terms,
                    in_revision=item.code in context.line_codes,
                )
            )
        result.append(row[:SUGGESTIONS])
    return result


@dataclass(frozen=True)
class _Brief:
    """The columns of a requirement the matches page needs (loading ORM rows for 100,000
    requirements took 5 s; these tuples take a fraction of that)."""

    id: int
    lock_version: int
    key: str
    section: str
    text: str
    mandatory: bool
    scored: bool
    needs_manual_estimate: bool


def _briefs(session: Session, list_id: int) -> list[_Brief]:
    query = (
        sa_select(
            col(Requirement.id),
            col(Requirement.lock_version),
            col(Requirement.key),
            col(Requirement.section),
            col(Requirement.text),
            col(Requirement.mandatory),
            col(Requirement.scored),
            col(Requirement.needs_manual_estimate),
        )
        .where(col(Requirement.list_id) == list_id)
        .order_by(col(Requirement.position))
    )
    return [_Brief(*row) for row in session.execute(query)]


class _BestScores:
    """Per list, each requirement's best catalog score: the slider moves the threshold, the
    scores stay. Keyed by list, catalog version and the aliases learnt so far."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[int, ...], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[int, ...], compute: Callable[[], np.ndarray]) -> np.ndarray:
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        value = compute()
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value


_best_scores = _BestScores()


def _alias_state(session: Session, catalog_id: int) -> tuple[int, int]:
    count, newest = session.exec(
        select(func.count(col(CatalogItemAlias.id)), func.max(col(CatalogItemAlias.id))).where(
            CatalogItemAlias.catalog_id == catalog_id
        )
    ).one()
    return int(count), int(newest or 0)


def _has_line(requirement_id: int, context: _Context) -> bool:
    return any(
        match.decision == MatchDecision.ACCEPTED and (match.line_id or 0) in context.lines
        for match in context.matches.get(requirement_id, [])
    )


def _brief_shown(brief: _Brief, covered: bool, show: str) -> bool:
    if show == "open":
        return not covered and not brief.needs_manual_estimate
    if show == "covered":
        return covered
    if show == "manual":
        return brief.needs_manual_estimate
    return True


def matches_view(
    session: Session,
    list_id: int,
    *,
    language: Language,
    threshold: float = DEFAULT_THRESHOLD,
    show: str = "all",
    page: int = 1,
    revision_id: int | None = None,
) -> MatchesView:
    """The page of requirements with their top 5; suggestions are computed for that page only
    (the whole list is scored once, as a matrix, for the count without a suggestion)."""
    requirement_list = confirmed_list(session, list_id)
    context = _context(session, requirement_list, revision_id, language)
    briefs = _briefs(session, list_id)
    covered = [_has_line(brief.id, context) for brief in briefs]
    selected = [
        brief
        for brief, has_line in zip(briefs, covered, strict=True)
        if _brief_shown(brief, has_line, show)
    ]
    pages = max(1, -(-len(selected) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    on_page = selected[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    page_rows = [
        _row(brief, found, context)
        for brief, found in zip(
            on_page,
            _suggestions(on_page, context, threshold),
            strict=True,
        )
    ]
    revision = context.revision
    version = _catalog_version(session, revision)
    best = _best_scores.get(
        (list_id, version.id or 0, len(briefs), *_alias_state(session, version.catalog_id)),
        lambda: (
            context.index.scores([b.text for b in briefs]).max(axis=1, initial=0.0)
            if briefs and len(context.index)
            else np.zeros(len(briefs))
        ),
    )
    drafts = draft_revisions(session, requirement_list.opportunity_id or 0)
    return MatchesView(
        list_id=list_id,
        file_name=requirement_list.file_name,
        opportunity_id=requirement_list.opportunity_id or 0,
        threshold=threshold,
        show=show,
        page=page,
        pages=pages,
        total=len(briefs),
        shown=len(selected),
        covered=sum(covered),
        manual=sum(brief.needs_manual_estimate for brief in briefs),
        without_suggestion=sum(
            not has_line and (score < threshold or score <= 0.0)
            for has_line, score in zip(covered, best.tolist(), strict=True)
        ),
        revision=RevisionChoice(revision.id or 0, _revision_label(revision, language))
        if revision
        else None,
        revisions=[RevisionChoice(r.id or 0, _revision_label(r, language)) for r in drafts],
        catalog_label=f"{version.catalog.code} v{version.number}",
        items=[
            (item.code, f"{item.code} {_name(item, language)}") for item in context.items.values()
        ],
        rows=page_rows,
    )


def match_row(
    session: Session,
    requirement_id: int,
    *,
    language: Language,
    threshold: float = DEFAULT_THRESHOLD,
    revision_id: int | None = None,
) -> MatchRow:
    """One requirement's row of the matches page (after a decision on it)."""
    requirement = get_requirement(session, requirement_id)
    requirement_list = confirmed_list(session, requirement.list_id or 0)
    context = _context(session, requirement_list, revision_id, language)
    return _row(requirement, _suggestions([requirement], context, threshold)[0], context)


def get_requirement(session: Session, requirement_id: int) -> Requirement:
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFoundError(f"requirement {requirement_id} does not exist")
    return requirement


# --- Decisions -------------------------------------------------------------------------------


def _editable_target(
    session: Session, requirement: Requirement, revision_id: int | None
) -> EstimateRevision:
    requirement_list = confirmed_list(session, requirement.list_id or 0)
    revision = target_revision(session, requirement_list.opportunity_id or 0, revision_id)
    if revision is None:
        raise ImmutableRecordError(
            "this opportunity has no draft estimate revision: create an estimate (or a new "
            "revision) first, then accept matches into it"
        )
    return revision


def accept(
    session: Session,
    *,
    user: User,
    requirement_id: int,
    item_code: str,
    quantity: float,
    revision_id: int | None = None,
    score: float = 0.0,
) -> RequirementMatch:
    """Cover the requirement with the catalog item in the draft revision; learn the alias.

    A line for the same item already in the revision is linked (its quantity is left as it
    is: one SSO line covers every SSO requirement); otherwise a new line of ``quantity``
    is added.
    """
    requirement = get_requirement(session, requirement_id)
    revision = _editable_target(session, requirement, revision_id)
    item = session.exec(
        select(WorkItem).where(
            WorkItem.catalog_version_id == revision.catalog_version_id, WorkItem.code == item_code
        )
    ).first()
    if item is None:
        raise FieldError("item_code", f"{item_code!r} is not in this estimate's catalog")
    line = next((line for line in revision.lines if line.work_item_id == item.id), None)
    if line is None:
        (line,) = estimate_service.add_items(
            session,
            user=user,
            revision_id=revision.id or 0,
            item_ids=[item.id or 0],
            quantity=quantity,
        )
    match = _decision(session, requirement_id, item_code)
    match.decision = MatchDecision.ACCEPTED
    match.line_id = line.id
    match.work_item_id = item.id
    match.quantity = quantity
    match.score = score
    match.decided_by_id = user.id
    session.add(match)
    requirement.needs_manual_estimate = False
    session.add(requirement)
    _learn_alias(
        session,
        user=user,
        version_id=revision.catalog_version_id,
        code=item_code,
        text=requirement.text,
    )
    record_event(
        session,
        user=user,
        action="accept_match",
        entity_type="estimate",
        entity_id=revision.estimate_id,
        summary=f"{requirement.key} → {item_code}",
    )
    session.flush()
    return match


def _decision(session: Session, requirement_id: int, item_code: str) -> RequirementMatch:
    found = session.exec(
        select(RequirementMatch).where(
            RequirementMatch.requirement_id == requirement_id,
            RequirementMatch.item_code == item_code,
        )
    ).first()
    return found or RequirementMatch(
        requirement_id=requirement_id, item_code=item_code, decision=MatchDecision.REJECTED
    )


def _learn_alias(session: Session, *, user: User, version_id: int, code: str, text: str) -> None:
    version = session.get(CatalogVersion, version_id)
    cleaned = " ".join(text.split())
    if version is None or not cleaned:
        return
    digest = hashlib.sha256(cleaned.encode("utf-8")).hexdigest()
    exists = session.exec(
        select(CatalogItemAlias.id).where(
            CatalogItemAlias.catalog_id == version.catalog_id,
            CatalogItemAlias.item_code == code,
            CatalogItemAlias.text_sha256 == digest,
        )
    ).first()
    if exists is not None:
        return
    cjk = sum("\u3400" <= char <= "\u9fff" for char in cleaned)
    session.add(
        CatalogItemAlias(
            catalog_id=version.catalog_id,
            item_code=code,
            text=cleaned,
            text_sha256=digest,
            language=Language.ZH if cjk * 5 > len(cleaned) else Language.EN,
            created_by_id=user.id,
        )
    )


def reject(session: Session, *, user: User, requirement_id: int, item_code: str) -> None:
    """Never suggest ``item_code`` for this requirement again (an accepted link stays)."""
    requirement = get_requirement(session, requirement_id)
    confirmed_list(session, requirement.list_id or 0)
    match = _decision(session, requirement_id, item_code)
    if match.id is not None and match.decision == MatchDecision.ACCEPTED:
        raise FieldError("item_code", f"{item_code} is accepted here; remove the link instead")
    match.decided_by_id = user.id
    session.add(match)
    session.flush()


def unlink(session: Session, *, user: User, match_id: int) -> int:
    """Remove an accepted link (the estimate line stays); returns the requirement id."""
    match = session.get(RequirementMatch, match_id)
    if match is None:
        raise NotFoundError(f"match {match_id} does not exist")
    requirement_id = match.requirement_id or 0
    record_event(
        session,
        user=user,
        action="unlink_match",
        entity_type="requirement",
        entity_id=requirement_id,
        summary=match.item_code,
    )
    session.delete(match)
    session.flush()
    return requirement_id


def set_manual(session: Session, *, user: User, requirement_id: int, manual: bool) -> None:
    requirement = get_requirement(session, requirement_id)
    confirmed_list(session, requirement.list_id or 0)
    requirement.needs_manual_estimate = manual
    session.add(requirement)
    session.flush()


def flag_unmatched(
    session: Session, *, user: User, list_id: int, threshold: float, language: Language
) -> int:
    """Flag every requirement without a line and without a suggestion above ``threshold``."""
    requirement_list = confirmed_list(session, list_id)
    context = _context(session, requirement_list, None, language)
    requirements = requirements_of(session, list_id)
    flagged = 0
    for requirement, found in zip(
        requirements, _suggestions(requirements, context, threshold), strict=True
    ):
        row = _row(requirement, found, context)
        if not row.suggestions and not row.lines and not requirement.needs_manual_estimate:
            requirement.needs_manual_estimate = True
            session.add(requirement)
            flagged += 1
    record_event(
        session,
        user=user,
        action="flag_manual_estimates",
        entity_type="requirement_list",
        entity_id=list_id,
        summary=f"{flagged} requirement(s) need a manual estimate",
    )
    session.flush()
    return flagged


# --- Traceability ----------------------------------------------------------------------------


def covered_counts(session: Session, list_ids: list[int]) -> dict[int, int]:
    """Per list, how many requirements an estimate line covers."""
    if not list_ids:
        return {}
    rows = session.exec(
        select(Requirement.list_id, func.count(func.distinct(Requirement.id)))
        .join(RequirementMatch, col(RequirementMatch.requirement_id) == col(Requirement.id))
        .where(
            col(Requirement.list_id).in_(list_ids),
            RequirementMatch.decision == MatchDecision.ACCEPTED,
            col(RequirementMatch.line_id).is_not(None),
        )
        .group_by(col(Requirement.list_id))
    ).all()
    return {list_id or 0: int(covered) for list_id, covered in rows}


@dataclass(frozen=True)
class RequirementRef:
    id: int
    list_id: int
    key: str
    text: str
    mandatory: bool


@dataclass(frozen=True)
class RevisionCoverage:
    """Which requirements each line of a revision serves, and which need manual estimates."""

    revision_id: int
    opportunity_id: int
    lines: list[tuple[int, str, str]]  # (line id, code, name) of the revision, in order
    by_line: dict[int, list[RequirementRef]]
    manual: list[RequirementRef]
    requirements: int
    covered: int
    lists: list[tuple[int, str]]


def _ref(requirement: Requirement) -> RequirementRef:
    text = requirement.text if len(requirement.text) <= 120 else requirement.text[:119] + "…"
    return RequirementRef(
        id=requirement.id or 0,
        list_id=requirement.list_id or 0,
        key=requirement.key,
        text=text,
        mandatory=requirement.mandatory,
    )


def _ancestry(session: Session, revision: EstimateRevision) -> list[EstimateRevision]:
    chain, seen = [revision], {revision.id}
    while chain[-1].based_on_id is not None and chain[-1].based_on_id not in seen:
        parent = session.get(EstimateRevision, chain[-1].based_on_id)
        if parent is None:
            break
        chain.append(parent)
        seen.add(parent.id)
    return chain


def revision_coverage(
    session: Session, revision_id: int, *, language: Language = Language.ZH
) -> RevisionCoverage:
    """Traceability for the revision page.

    Links are made to the lines of the revision that was the draft when a match was
    accepted; a later revision copies those lines, so a link on an ancestor's line counts
    for this revision's line with the same code (and position, when a code repeats).
    """
    revision = estimate_service.get_revision(session, revision_id)
    chain = _ancestry(session, revision)
    line_ids = [line.id for r in chain for line in r.lines]
    links = (
        list(
            session.exec(
                select(RequirementMatch, EstimateLine, Requirement)
                .join(EstimateLine, col(EstimateLine.id) == col(RequirementMatch.line_id))
                .join(Requirement, col(Requirement.id) == col(RequirementMatch.requirement_id))
                .where(
                    col(RequirementMatch.line_id).in_(line_ids),
                    RequirementMatch.decision == MatchDecision.ACCEPTED,
                )
            )
        )
        if line_ids
        else []
    )
    own = {(line.code, line.position): line.id or 0 for line in revision.lines}
    by_code = {line.code: line.id or 0 for line in revision.lines}
    by_line: dict[int, list[RequirementRef]] = {}
    covered: set[int] = set()
    for _match, line, requirement in links:
        target = (
            line.id
            if line.revision_id == revision.id
            else own.get((line.code, line.position), by_code.get(line.code))
        )
        if target is None:
            continue
        refs = by_line.setdefault(target, [])
        if all(ref.id != requirement.id for ref in refs):
            refs.append(_ref(requirement))
        covered.add(requirement.id or 0)
    requirements = list(
        session.exec(
            select(Requirement)
            .join(RequirementList, col(RequirementList.id) == col(Requirement.list_id))
            .where(
                RequirementList.opportunity_id == revision.estimate.opportunity_id,
                RequirementList.status == IntakeStatus.CONFIRMED,
            )
            .order_by(col(Requirement.list_id), col(Requirement.position))
        )
    )
    lists = session.exec(
        select(RequirementList.id, RequirementList.file_name).where(
            RequirementList.opportunity_id == revision.estimate.opportunity_id,
            RequirementList.status == IntakeStatus.CONFIRMED,
        )
    ).all()
    return RevisionCoverage(
        revision_id=revision.id or 0,
        opportunity_id=revision.estimate.opportunity_id,
        lines=[(line.id or 0, line.code, _name(line, language)) for line in revision.lines],
        by_line=by_line,
        manual=[
            _ref(r) for r in requirements if r.needs_manual_estimate and (r.id or 0) not in covered
        ],
        requirements=len(requirements),
        covered=len(covered),
        lists=[(list_id or 0, name) for list_id, name in lists],
    )


def list_of_requirement(session: Session, requirement_id: int) -> RequirementList:
    return get_list(session, get_requirement(session, requirement_id).list_id or 0)
