"""The compliance matrix (answers per requirement) and the answer library.

An answer is a compliance value (满足 / 部分满足 / 不满足 / 不适用, or 优于要求, i.e. 正偏离),
a response text, a reference and a note. A ★ (mandatory) requirement answered with a
negative deviation (部分满足 or 不满足) invalidates a Chinese bid: every such row carries a
warning. Saves are guarded by the requirement's ``lock_version``, like estimate lines.

Library entries are reusable response texts in both languages, suggested per requirement
by the same matcher as catalog items; using one counts, and an entry not reviewed for
``Settings.answer_stale_days`` is marked stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, col, select

from app.config import get_settings
from app.errors import ConcurrentEditError, FieldError, NotFoundError
from app.intake.matching import CatalogEntry, MatchIndex, build_index
from app.intake.types import Compliance, compliance_label, deviation_label
from app.models import AnswerLibraryEntry, Requirement, User, utcnow
from app.services.audit import record_event
from app.services.intake import confirmed_list, requirements_of
from app.vocabulary import Language

NEGATIVE = frozenset({Compliance.PARTIAL, Compliance.NON_COMPLY})
LIBRARY_SUGGESTIONS = 3
LIBRARY_THRESHOLD = 0.12
PAGE_SIZE = 50
SHOW_CHOICES = ("all", "open", "answered", "warnings", "mandatory")


def compliance_choices(language: Language) -> list[tuple[str, str]]:
    """(value, "满足 · 无偏离") for every answer, in the order a bid team reads them."""
    order = (
        Compliance.COMPLY,
        Compliance.EXCEEDS,
        Compliance.PARTIAL,
        Compliance.NON_COMPLY,
        Compliance.NOT_APPLICABLE,
    )
    return [(value.value, answer_label(value, language)) for value in order]


def answer_label(value: Compliance, language: Language) -> str:
    label = compliance_label(value, language.value)
    deviation = deviation_label(value, language.value)
    return label if deviation == label else f"{label} · {deviation}"


def has_warning(requirement: Requirement) -> bool:
    """★ answered with a negative deviation: the bid would be invalid."""
    return requirement.mandatory and requirement.compliance in NEGATIVE


# --- The answers page -----------------------------------------------------------------------


@dataclass(frozen=True)
class LibrarySuggestion:
    id: int
    text: str
    compliance: str
    score: float
    matched_terms: tuple[str, ...]
    stale: bool


@dataclass(frozen=True)
class AnswerRow:
    id: int
    list_id: int
    lock_version: int
    key: str
    section: str
    text: str
    priority: str
    mandatory: bool
    scored: bool
    existing_answer: str
    compliance: str
    compliance_text: str
    response: str
    reference: str
    note: str
    entry_id: int | None
    warning: bool
    suggestions: list[LibrarySuggestion]


@dataclass(frozen=True)
class AnswersView:
    list_id: int
    file_name: str
    kind: str
    opportunity_id: int
    list_language: str
    show: str
    page: int
    pages: int
    total: int
    answered: int
    warnings: int
    shown: int
    rows: list[AnswerRow]


def _library_index(session: Session) -> tuple[MatchIndex, dict[int, AnswerLibraryEntry]]:
    entries = {entry.id or 0: entry for entry in session.exec(select(AnswerLibraryEntry))}
    index = build_index(
        [
            CatalogEntry(
                item_id=entry_id,
                name_zh=entry.question,
                tags=tuple(entry.keywords.replace("，", ",").split(",")),
                description_zh=entry.text_zh,
                description_en=entry.text_en,
            )
            for entry_id, entry in entries.items()
        ]
    )
    return index, entries


def is_stale(entry: AnswerLibraryEntry, today: date | None = None) -> bool:
    reviewed = entry.last_reviewed_on
    limit = timedelta(days=get_settings().answer_stale_days)
    return reviewed is None or (today or date.today()) - reviewed > limit


def _entry_text(entry: AnswerLibraryEntry, language: Language) -> str:
    first, second = (
        (entry.text_zh, entry.text_en)
        if language == Language.ZH
        else (entry.text_en, entry.text_zh)
    )
    return first or second


def _answer_rows(
    session: Session, requirements: list[Requirement], language: Language, list_language: Language
) -> list[AnswerRow]:
    index, entries = _library_index(session)
    found = index.top_many(
        [r.text for r in requirements], LIBRARY_SUGGESTIONS, threshold=LIBRARY_THRESHOLD
    )
    rows = []
    for requirement, matches in zip(requirements, found, strict=True):
        suggestions = [
            LibrarySuggestion(
                id=match.item_id,
                text=_entry_text(entries[match.item_id], list_language),
                compliance=(entries[match.item_id].compliance or Compliance.COMPLY).value,
                score=match.score,
                matched_terms=match.matched_terms,
                stale=is_stale(entries[match.item_id]),
            )
            for match in matches
        ]
        rows.append(answer_row(requirement, language, suggestions))
    return rows


def answer_row(
    requirement: Requirement, language: Language, suggestions: list[LibrarySuggestion]
) -> AnswerRow:
    return AnswerRow(
        id=requirement.id or 0,
        list_id=requirement.list_id or 0,
        lock_version=requirement.lock_version,
        key=requirement.key,
        section=requirement.section,
        text=requirement.text,
        priority=requirement.priority,
        mandatory=requirement.mandatory,
        scored=requirement.scored,
        existing_answer=requirement.existing_answer,
        compliance=requirement.compliance.value if requirement.compliance else "",
        compliance_text=answer_label(requirement.compliance, language)
        if requirement.compliance
        else "",
        response=requirement.response,
        reference=requirement.reference,
        note=requirement.deviation_note,
        entry_id=requirement.answer_entry_id,
        warning=has_warning(requirement),
        suggestions=suggestions,
    )


def _shown(requirement: Requirement, show: str) -> bool:
    if show == "open":
        return requirement.compliance is None
    if show == "answered":
        return requirement.compliance is not None
    if show == "warnings":
        return has_warning(requirement)
    if show == "mandatory":
        return requirement.mandatory
    return True


def answers_view(
    session: Session, list_id: int, *, language: Language, show: str = "all", page: int = 1
) -> AnswersView:
    requirement_list = confirmed_list(session, list_id)
    requirements = requirements_of(session, list_id)
    selected = [r for r in requirements if _shown(r, show)]
    pages = max(1, -(-len(selected) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    shown = selected[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return AnswersView(
        list_id=list_id,
        file_name=requirement_list.file_name,
        kind=requirement_list.kind,
        opportunity_id=requirement_list.opportunity_id or 0,
        list_language=requirement_list.language.value,
        show=show,
        page=page,
        pages=pages,
        total=len(requirements),
        answered=sum(r.compliance is not None for r in requirements),
        warnings=sum(has_warning(r) for r in requirements),
        shown=len(selected),
        rows=_answer_rows(session, shown, language, requirement_list.language),
    )


def answer_view(session: Session, requirement_id: int, *, language: Language) -> AnswerRow:
    requirement = get_requirement(session, requirement_id)
    requirement_list = confirmed_list(session, requirement.list_id or 0)
    return _answer_rows(session, [requirement], language, requirement_list.language)[0]


def get_requirement(session: Session, requirement_id: int) -> Requirement:
    requirement = session.get(Requirement, requirement_id)
    if requirement is None:
        raise NotFoundError(f"requirement {requirement_id} does not exist")
    return requirement


# --- Saving an answer ---------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerChanges:
    compliance: Compliance | None
    response: str
    reference: str
    note: str
    entry_id: int | None = None  # the library entry the response came from, if any


def save_answer(
    session: Session,
    *,
    user: User,
    requirement_id: int,
    expected_lock_version: int,
    changes: AnswerChanges,
) -> Requirement:
    """Apply the answer if nobody saved this requirement since ``expected_lock_version``."""
    requirement = get_requirement(session, requirement_id)
    confirmed_list(session, requirement.list_id or 0)
    if requirement.lock_version != expected_lock_version:
        raise _conflict(requirement)
    if changes.entry_id is not None and changes.entry_id != requirement.answer_entry_id:
        entry = session.get(AnswerLibraryEntry, changes.entry_id)
        if entry is None:
            raise FieldError("entry_id", f"library entry {changes.entry_id} does not exist")
        entry.usage_count += 1
        session.add(entry)
        requirement.answer_entry_id = entry.id
    requirement.compliance = changes.compliance
    requirement.response = changes.response
    requirement.reference = changes.reference
    requirement.deviation_note = changes.note
    requirement.answered_by_id = user.id
    requirement.answered_at = utcnow()
    session.add(requirement)
    try:
        session.flush()
    except StaleDataError as error:
        session.rollback()
        fresh = session.get(Requirement, requirement_id)
        raise _conflict(fresh or requirement) from error
    return requirement


def _conflict(requirement: Requirement) -> ConcurrentEditError:
    return ConcurrentEditError(
        f"requirement {requirement.key!r} was answered by someone else while you were editing "
        f"(now at version {requirement.lock_version}); your answer was not saved: reload to "
        "see the current one"
    )


# --- The answer library ------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryRow:
    id: int
    lock_version: int
    question: str
    keywords: str
    text_zh: str
    text_en: str
    compliance: str
    reference: str
    owner_id: int | None
    owner: str
    last_reviewed_on: date | None
    usage_count: int
    stale: bool


@dataclass(frozen=True)
class EntryValues:
    question: str
    keywords: str
    text_zh: str
    text_en: str
    compliance: Compliance | None
    reference: str
    owner_id: int | None
    last_reviewed_on: date | None


def _library_row(entry: AnswerLibraryEntry, owners: dict[int, str]) -> LibraryRow:
    return LibraryRow(
        id=entry.id or 0,
        lock_version=entry.lock_version,
        question=entry.question,
        keywords=entry.keywords,
        text_zh=entry.text_zh,
        text_en=entry.text_en,
        compliance=entry.compliance.value if entry.compliance else "",
        reference=entry.reference,
        owner_id=entry.owner_id,
        owner=owners.get(entry.owner_id or 0, ""),
        last_reviewed_on=entry.last_reviewed_on,
        usage_count=entry.usage_count,
        stale=is_stale(entry),
    )


def owner_choices(session: Session) -> dict[int, str]:
    users = session.exec(select(User).where(col(User.is_active)).order_by(col(User.username)))
    return {user.id or 0: user.display_name or user.username for user in users}


def library_rows(
    session: Session, *, query: str = "", stale_only: bool = False
) -> list[LibraryRow]:
    owners = owner_choices(session)
    entries = list(
        session.exec(select(AnswerLibraryEntry).order_by(col(AnswerLibraryEntry.id).desc()))
    )
    if query.strip():
        index = build_index(
            [
                CatalogEntry(
                    item_id=e.id or 0,
                    name_zh=e.question,
                    tags=(e.keywords,),
                    description_zh=e.text_zh,
                    description_en=e.text_en,
                )
                for e in entries
            ]
        )
        order = [match.item_id for match in index.top(query, k=len(entries))]
        by_id = {e.id: e for e in entries}
        entries = [by_id[entry_id] for entry_id in order]
    rows = [_library_row(entry, owners) for entry in entries]
    return [row for row in rows if row.stale] if stale_only else rows


def get_entry(session: Session, entry_id: int) -> AnswerLibraryEntry:
    entry = session.get(AnswerLibraryEntry, entry_id)
    if entry is None:
        raise NotFoundError(f"library entry {entry_id} does not exist")
    return entry


def library_row(session: Session, entry_id: int) -> LibraryRow:
    return _library_row(get_entry(session, entry_id), owner_choices(session))


def _check(values: EntryValues) -> None:
    if not values.question.strip():
        raise FieldError("question", "is required: the requirement wording this entry answers")
    if not values.text_zh.strip() and not values.text_en.strip():
        raise FieldError("text_zh", "give the response in Chinese, English or both")


def create_entry(session: Session, *, user: User, values: EntryValues) -> AnswerLibraryEntry:
    _check(values)
    entry = AnswerLibraryEntry(owner_id=values.owner_id or user.id, question="")
    for name, value in _entry_fields(values).items():
        setattr(entry, name, value)
    if entry.last_reviewed_on is None:
        entry.last_reviewed_on = date.today()
    session.add(entry)
    session.flush()
    record_event(
        session,
        user=user,
        action="create",
        entity_type="answer_library_entry",
        entity_id=entry.id,
        summary=values.question[:200],
    )
    return entry


def _entry_fields(values: EntryValues) -> dict[str, object]:
    return {
        "question": values.question.strip(),
        "keywords": values.keywords.strip(),
        "text_zh": values.text_zh.strip(),
        "text_en": values.text_en.strip(),
        "compliance": values.compliance,
        "reference": values.reference.strip(),
        "last_reviewed_on": values.last_reviewed_on,
    }


def _entry_conflict(entry: AnswerLibraryEntry) -> ConcurrentEditError:
    return ConcurrentEditError(
        f"library entry {entry.id} was changed by someone else (now at version "
        f"{entry.lock_version}); your change was not saved: reload to see it"
    )


def update_entry(
    session: Session,
    *,
    user: User,
    entry_id: int,
    expected_lock_version: int,
    values: EntryValues,
) -> AnswerLibraryEntry:
    entry = get_entry(session, entry_id)
    if entry.lock_version != expected_lock_version:
        raise _entry_conflict(entry)
    _check(values)
    for name, value in _entry_fields(values).items():
        setattr(entry, name, value)
    entry.owner_id = values.owner_id
    entry.updated_at = utcnow()
    session.add(entry)
    try:
        session.flush()
    except StaleDataError as error:
        session.rollback()
        raise _entry_conflict(get_entry(session, entry_id)) from error
    record_event(
        session,
        user=user,
        action="update",
        entity_type="answer_library_entry",
        entity_id=entry.id,
        summary=entry.question[:200],
    )
    return entry


def mark_reviewed(
    session: Session, *, user: User, entry_id: int, expected_lock_version: int
) -> AnswerLibraryEntry:
    entry = get_entry(session, entry_id)
    if entry.lock_version != expected_lock_version:
        raise _entry_conflict(entry)
    entry.last_reviewed_on = date.today()
    entry.updated_at = utcnow()
    session.add(entry)
    session.flush()
    return entry


def delete_entry(
    session: Session, *, user: User, entry_id: int, expected_lock_version: int
) -> None:
    entry = get_entry(session, entry_id)
    if entry.lock_version != expected_lock_version:
        raise _entry_conflict(entry)
    record_event(
        session,
        user=user,
        action="delete",
        entity_type="answer_library_entry",
        entity_id=entry.id,
        summary=entry.question[:200],
    )
    session.delete(entry)
    session.flush()


def entry_from_answer(session: Session, *, user: User, requirement_id: int) -> AnswerLibraryEntry:
    """A new library entry from an answered requirement (its text is the question)."""
    requirement = get_requirement(session, requirement_id)
    requirement_list = confirmed_list(session, requirement.list_id or 0)
    if not requirement.response.strip():
        raise FieldError("response", "write a response first; the library keeps responses")
    chinese = requirement_list.language == Language.ZH
    entry = create_entry(
        session,
        user=user,
        values=EntryValues(
            question=requirement.text,
            keywords="",
            text_zh=requirement.response if chinese else "",
            text_en="" if chinese else requirement.response,
            compliance=requirement.compliance,
            reference=requirement.reference,
            owner_id=user.id,
            last_reviewed_on=date.today(),
        ),
    )
    requirement.answer_entry_id = entry.id
    session.add(requirement)
    session.flush()
    return entry
