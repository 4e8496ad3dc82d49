"""Bid intake pages: upload, the mapper, matches, the compliance matrix, the answer library.

Every page's swappable regions are named blocks rendered alone for htmx; every form also
works without JavaScript (a plain post redirects back to the page). admin, presales and bid
change things here; sales may look and download.
"""

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import forms
from app.config import get_settings
from app.deps import SessionDep
from app.downloads import attachment
from app.errors import ConcurrentEditError, FieldError
from app.intake.types import ColumnRole, Compliance, IntakeRefusedError, compliance_label
from app.models import User
from app.security import CurrentUser, csrf_protect, require
from app.services import intake as intake_service
from app.services import intake_answers as answers
from app.services import intake_matches as matches
from app.services.opportunities import get_opportunity
from app.vocabulary import AccessRole
from app.web import language_of, render, text_fields, wants_fragment

router = APIRouter(tags=["intake"], dependencies=[Depends(csrf_protect)])
INTAKE_EDITORS = frozenset({AccessRole.ADMIN, AccessRole.PRESALES, AccessRole.BID})
Editor = Annotated[User, Depends(require(*INTAKE_EDITORS))]
ROLE_CHOICES = [role.value for role in ColumnRole]


def _option_choices(request: Request) -> list[tuple[str, str]]:
    language = language_of(request).value
    return [(option.value, compliance_label(option, language)) for option in Compliance]


def _can_edit(request: Request) -> bool:
    return bool(request.state.user.role in INTAKE_EDITORS)


def _lock(raw: str | None) -> int:
    return forms.integer("lock_version", raw, minimum=1, maximum=2**31)


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


# --- The lists of an opportunity, and upload ------------------------------------------------


def lists_page(
    request: Request,
    session: Session,
    opportunity_id: int,
    *,
    block: str | None = "lists",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "opportunity": get_opportunity(session, opportunity_id),
        "lists": intake_service.lists_of(session, opportunity_id),
        "can_edit": _can_edit(request),
        "max_megabytes": get_settings().max_upload_bytes // (1024 * 1024),
        **extra,
    }
    return render(request, "intake_lists.html", context, block=block, status_code=status_code)


@router.get("/opportunities/{opportunity_id}/requirement-lists", response_class=HTMLResponse)
def requirement_lists(
    request: Request, session: SessionDep, user: CurrentUser, opportunity_id: int
) -> Response:
    return lists_page(request, session, opportunity_id)


@router.post("/opportunities/{opportunity_id}/requirement-lists")
def upload_requirement_list(
    request: Request,
    session: SessionDep,
    user: Editor,
    opportunity_id: int,
    workbook: Annotated[UploadFile, File()],
) -> Response:
    """Keep the upload as a draft and open the mapper; a refused file stores nothing."""
    limit = get_settings().max_upload_bytes
    data = workbook.file.read(limit + 1)  # one byte over the limit is enough to refuse
    try:
        draft = intake_service.upload(
            session,
            user=user,
            opportunity_id=opportunity_id,
            data=data,
            file_name=workbook.filename or "",
        )
    except IntakeRefusedError as error:
        session.rollback()
        return lists_page(
            request, session, opportunity_id, status_code=422, upload_error=error.message
        )
    session.commit()
    return _redirect(f"/requirement-lists/{draft.id}/mapping")


@router.get("/requirement-lists/{list_id}")
def requirement_list(session: SessionDep, user: CurrentUser, list_id: int) -> Response:
    found = intake_service.get_list(session, list_id)
    target = "mapping" if found.status == "draft" else "matches"
    return _redirect(f"/requirement-lists/{list_id}/{target}")


@router.post("/requirement-lists/{list_id}/delete")
def delete_requirement_list(session: SessionDep, user: Editor, list_id: int) -> Response:
    opportunity_id = intake_service.discard(session, user=user, list_id=list_id)
    session.commit()
    return _redirect(f"/opportunities/{opportunity_id}/requirement-lists")


# --- The mapper ------------------------------------------------------------------------------


def mapper_page(
    request: Request,
    session: Session,
    list_id: int,
    *,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "mapper": intake_service.mapper_view(session, list_id),
        "can_edit": _can_edit(request),
        "roles": ROLE_CHOICES,
        "options": _option_choices(request),
        "option_labels": dict(_option_choices(request)),
        **extra,
    }
    return render(request, "intake_mapping.html", context, block="mapper", status_code=status_code)


def _after_mapping(request: Request, session: Session, list_id: int) -> Response:
    if wants_fragment(request):
        return mapper_page(request, session, list_id)
    return _redirect(f"/requirement-lists/{list_id}/mapping")


def _mapping_refused(
    request: Request, session: Session, list_id: int, error: FieldError | ConcurrentEditError
) -> Response:
    session.rollback()
    status = 422 if isinstance(error, FieldError) else 409
    return mapper_page(request, session, list_id, status_code=status, mapping_error=str(error))


def _change_mapping(
    request: Request, session: Session, list_id: int, change: Callable[[], object]
) -> Response:
    """Apply a mapper edit and commit, or show the mapper with the reason (422/409)."""
    try:
        change()
    except (FieldError, ConcurrentEditError) as error:
        return _mapping_refused(request, session, list_id, error)
    session.commit()
    return _after_mapping(request, session, list_id)


@router.get("/requirement-lists/{list_id}/mapping", response_class=HTMLResponse)
def mapping(request: Request, session: SessionDep, user: CurrentUser, list_id: int) -> Response:
    return mapper_page(request, session, list_id)


@router.post("/requirement-lists/{list_id}/mapping/columns")
async def set_column_role(
    request: Request, session: SessionDep, user: Editor, list_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_set_column_role, request, session, list_id, form)


def _set_column_role(
    request: Request, session: Session, list_id: int, form: dict[str, str]
) -> Response:
    def change() -> None:
        option = form.get("option", "").strip()
        intake_service.set_column_role(
            session,
            list_id=list_id,
            expected_lock_version=_lock(form.get("lock_version")),
            block_index=forms.integer("block", form.get("block"), minimum=0, maximum=10_000),
            column=forms.integer("column", form.get("column"), minimum=1, maximum=16_384),
            role=forms.choice("role", form.get("role"), ColumnRole),
            option=forms.choice("option", option, Compliance) if option else None,
        )

    return _change_mapping(request, session, list_id, change)


@router.post("/requirement-lists/{list_id}/mapping/sheets")
async def set_included_sheets(
    request: Request, session: SessionDep, user: Editor, list_id: int
) -> Response:
    form = await request.form()
    sheets = {value for value in form.getlist("sheet") if isinstance(value, str)}
    lock = form.get("lock_version")
    return await run_in_threadpool(
        _set_included, request, session, list_id, lock if isinstance(lock, str) else "", sheets
    )


def _set_included(
    request: Request, session: Session, list_id: int, lock: str, sheets: set[str]
) -> Response:
    mapping = intake_service.mapping_of(intake_service.get_list(session, list_id))
    included = {index: block.sheet in sheets for index, block in enumerate(mapping.blocks)}
    return _change_mapping(
        request,
        session,
        list_id,
        lambda: intake_service.set_included(
            session, list_id=list_id, expected_lock_version=_lock(lock), included=included
        ),
    )


@router.post("/requirement-lists/{list_id}/mapping/blocks/{block_index}")
def set_block_included(
    request: Request,
    session: SessionDep,
    user: Editor,
    list_id: int,
    block_index: int,
    lock_version: Annotated[str, Form()] = "",
    included: Annotated[str, Form()] = "",
) -> Response:
    return _change_mapping(
        request,
        session,
        list_id,
        lambda: intake_service.set_included(
            session,
            list_id=list_id,
            expected_lock_version=_lock(lock_version),
            included={block_index: included == "1"},
        ),
    )


@router.post("/requirement-lists/{list_id}/confirm")
def confirm_mapping(
    request: Request,
    session: SessionDep,
    user: Editor,
    list_id: int,
    lock_version: Annotated[str, Form()] = "",
    accept_problems: Annotated[str, Form()] = "",
) -> Response:
    """Store the requirements, or show every problem (422) and store nothing."""
    try:
        intake_service.confirm(
            session,
            user=user,
            list_id=list_id,
            expected_lock_version=_lock(lock_version),
            accept_problems=accept_problems == "1",
        )
    except intake_service.IntakeProblemsError as error:
        session.rollback()
        return mapper_page(
            request, session, list_id, status_code=422, confirm_error=str(error), refused=True
        )
    except (FieldError, ConcurrentEditError) as error:
        return _mapping_refused(request, session, list_id, error)
    session.commit()
    return _redirect(f"/requirement-lists/{list_id}/matches")


# --- Matches ---------------------------------------------------------------------------------


def _threshold(raw: str | None) -> float:
    if not (raw or "").strip():
        return matches.DEFAULT_THRESHOLD
    return forms.number("threshold", raw, minimum=0, below=1.0001)


def _revision_id(raw: str | None) -> int | None:
    if not (raw or "").strip():
        return None
    return forms.integer("revision_id", raw, minimum=1, maximum=2**31)


def _show(raw: str | None, choices: tuple[str, ...]) -> str:
    return raw if raw in choices else "all"


def _page(raw: str | None) -> int:
    text = (raw or "").strip()
    return max(int(text), 1) if text.isdigit() else 1


@router.get("/requirement-lists/{list_id}/matches", response_class=HTMLResponse)
def matches_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    list_id: int,
    threshold: str = "",
    show: str = "",
    page: str = "",
    revision_id: str = "",
) -> Response:
    view = matches.matches_view(
        session,
        list_id,
        language=language_of(request),
        threshold=_threshold(threshold),
        show=_show(show, matches.SHOW_CHOICES),
        page=_page(page),
        revision_id=_revision_id(revision_id),
    )
    context = {"view": view, "can_edit": _can_edit(request)}
    return render(request, "intake_matches.html", context, block="matches")


def _match_row(
    request: Request,
    session: Session,
    requirement_id: int,
    form: dict[str, str],
    *,
    status_code: int = 200,
    row_error: str = "",
) -> Response:
    """The requirement's row (htmx) or back to the matches page (plain form)."""
    threshold = _threshold(form.get("threshold"))
    revision_id = _revision_id(form.get("revision_id"))
    if not wants_fragment(request) and status_code == 200:
        list_id = matches.get_requirement(session, requirement_id).list_id
        query = f"threshold={threshold:g}" + (f"&revision_id={revision_id}" if revision_id else "")
        return _redirect(f"/requirement-lists/{list_id}/matches?{query}#req-{requirement_id}")
    row = matches.match_row(
        session,
        requirement_id,
        language=language_of(request),
        threshold=threshold,
        revision_id=revision_id,
    )
    context = {
        "row": row,
        "threshold": threshold,
        "revision_id": revision_id or "",
        "can_edit": _can_edit(request),
        "row_error": row_error,
    }
    return render(request, "intake_match_row.html", context, block="row", status_code=status_code)


@router.get("/requirements/{requirement_id}/match-row", response_class=HTMLResponse)
def match_row(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    requirement_id: int,
    threshold: str = "",
    revision_id: str = "",
) -> Response:
    form = {"threshold": threshold, "revision_id": revision_id}
    return _match_row(request, session, requirement_id, form, status_code=200)


async def _decide(request: Request, session: Session, requirement_id: int, action: Any) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_run_decision, request, session, requirement_id, form, action)


def _run_decision(
    request: Request, session: Session, requirement_id: int, form: dict[str, str], action: Any
) -> Response:
    try:
        action(form)
    except (FieldError, ConcurrentEditError) as error:
        session.rollback()
        status = 422 if isinstance(error, FieldError) else 409
        return _match_row(
            request, session, requirement_id, form, status_code=status, row_error=str(error)
        )
    session.commit()
    return _match_row(request, session, requirement_id, form)


@router.post("/requirements/{requirement_id}/accept")
async def accept_match(
    request: Request, session: SessionDep, user: Editor, requirement_id: int
) -> Response:
    def action(form: dict[str, str]) -> None:
        code = (form.get("picked") or form.get("item_code") or "").strip()
        matches.accept(
            session,
            user=user,
            requirement_id=requirement_id,
            item_code=forms.text("item_code", code, max_length=64, required=True),
            quantity=forms.number("quantity", form.get("quantity") or "1", above=0),
            revision_id=_revision_id(form.get("revision_id")),
            score=forms.number("score", form.get("score") or "0", minimum=0, below=1.0001),
        )

    return await _decide(request, session, requirement_id, action)


@router.post("/requirements/{requirement_id}/reject")
async def reject_match(
    request: Request, session: SessionDep, user: Editor, requirement_id: int
) -> Response:
    def action(form: dict[str, str]) -> None:
        code = forms.text("item_code", form.get("item_code"), max_length=64, required=True)
        matches.reject(session, user=user, requirement_id=requirement_id, item_code=code)

    return await _decide(request, session, requirement_id, action)


@router.post("/requirements/{requirement_id}/manual")
async def flag_manual(
    request: Request, session: SessionDep, user: Editor, requirement_id: int
) -> Response:
    def action(form: dict[str, str]) -> None:
        manual = form.get("manual") == "1"
        matches.set_manual(session, user=user, requirement_id=requirement_id, manual=manual)

    return await _decide(request, session, requirement_id, action)


@router.post("/requirement-matches/{match_id}/delete")
async def unlink_match(
    request: Request, session: SessionDep, user: Editor, match_id: int
) -> Response:
    form = await text_fields(request)
    requirement_id = matches.unlink(session, user=user, match_id=match_id)
    session.commit()
    return await run_in_threadpool(_match_row, request, session, requirement_id, form)


@router.post("/requirement-lists/{list_id}/flag-unmatched")
def flag_unmatched(
    request: Request,
    session: SessionDep,
    user: Editor,
    list_id: int,
    threshold: Annotated[str, Form()] = "",
) -> Response:
    level = _threshold(threshold)
    matches.flag_unmatched(
        session, user=user, list_id=list_id, threshold=level, language=language_of(request)
    )
    session.commit()
    return _redirect(f"/requirement-lists/{list_id}/matches?threshold={level:g}&show=manual")


# --- Answers (the compliance matrix) -----------------------------------------------------


@router.get("/requirement-lists/{list_id}/answers", response_class=HTMLResponse)
def answers_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    list_id: int,
    show: str = "",
    page: str = "",
) -> Response:
    view = answers.answers_view(
        session,
        list_id,
        language=language_of(request),
        show=_show(show, answers.SHOW_CHOICES),
        page=_page(page),
    )
    context = {
        "view": view,
        "can_edit": _can_edit(request),
        "choices": answers.compliance_choices(language_of(request)),
    }
    return render(request, "intake_answers.html", context, block="answers")


def _answer_row(request: Request, session: Session, requirement_id: int) -> Response:
    row = answers.answer_view(session, requirement_id, language=language_of(request))
    if not wants_fragment(request):
        return _redirect(f"/requirement-lists/{row.list_id}/answers#answer-{requirement_id}")
    context = {"row": row, "can_edit": _can_edit(request)}
    return render(request, "intake_answer_row.html", context, block="row")


def _answer_editor(
    request: Request,
    session: Session,
    requirement_id: int,
    *,
    values: dict[str, str] | None = None,
    error: FieldError | None = None,
    conflict: str = "",
    status_code: int = 200,
) -> Response:
    row = answers.answer_view(session, requirement_id, language=language_of(request))
    context = {
        "row": row,
        "values": values if values is not None else _answer_values(row),
        "error": error,
        "conflict": conflict,
        "choices": answers.compliance_choices(language_of(request)),
    }
    return render(request, "intake_answer_edit.html", context, block="row", status_code=status_code)


def _answer_values(row: answers.AnswerRow) -> dict[str, str]:
    return {
        "compliance": row.compliance,
        "response": row.response,
        "reference": row.reference,
        "note": row.note,
        "entry_id": "",
        "lock_version": str(row.lock_version),
    }


@router.get("/requirements/{requirement_id}/answer", response_class=HTMLResponse)
def answer_row(
    request: Request, session: SessionDep, user: CurrentUser, requirement_id: int
) -> Response:
    return _answer_row(request, session, requirement_id)


@router.get("/requirements/{requirement_id}/answer/edit", response_class=HTMLResponse)
def edit_answer(
    request: Request, session: SessionDep, user: Editor, requirement_id: int, entry: str = ""
) -> Response:
    """The inline editor; ``?entry=ID`` fills it from an answer-library entry."""
    if not entry.isdigit():
        return _answer_editor(request, session, requirement_id)
    row = answers.answer_view(session, requirement_id, language=language_of(request))
    chosen = answers.get_entry(session, int(entry))
    values = _answer_values(row)
    language = intake_service.get_list(session, row.list_id).language.value
    values["response"] = (chosen.text_zh if language == "zh" else chosen.text_en) or (
        chosen.text_en or chosen.text_zh
    )
    values["compliance"] = chosen.compliance.value if chosen.compliance else values["compliance"]
    values["reference"] = chosen.reference or values["reference"]
    values["entry_id"] = str(chosen.id)
    return _answer_editor(request, session, requirement_id, values=values)


def _parse_answer(form: dict[str, str]) -> answers.AnswerChanges:
    raw = (form.get("compliance") or "").strip()
    entry = (form.get("entry_id") or "").strip()
    return answers.AnswerChanges(
        compliance=forms.choice("compliance", raw, Compliance) if raw else None,
        response=forms.text("response", form.get("response"), max_length=10_000),
        reference=forms.text("reference", form.get("reference"), max_length=500),
        note=forms.text("note", form.get("note"), max_length=5_000),
        entry_id=forms.integer("entry_id", entry, minimum=1, maximum=2**31) if entry else None,
    )


@router.post("/requirements/{requirement_id}/answer")
async def save_answer(
    request: Request, session: SessionDep, user: Editor, requirement_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_answer, request, session, user, requirement_id, form)


def _save_answer(
    request: Request, session: Session, user: User, requirement_id: int, form: dict[str, str]
) -> Response:
    try:
        answers.save_answer(
            session,
            user=user,
            requirement_id=requirement_id,
            expected_lock_version=_lock(form.get("lock_version")),
            changes=_parse_answer(form),
        )
    except FieldError as error:
        session.rollback()
        return _answer_editor(
            request, session, requirement_id, values=form, error=error, status_code=422
        )
    except ConcurrentEditError as error:
        session.rollback()
        return _answer_editor(
            request, session, requirement_id, conflict=str(error), status_code=409
        )
    session.commit()
    return _answer_row(request, session, requirement_id)


@router.post("/requirements/{requirement_id}/to-library")
def answer_to_library(
    request: Request, session: SessionDep, user: Editor, requirement_id: int
) -> Response:
    try:
        answers.entry_from_answer(session, user=user, requirement_id=requirement_id)
    except FieldError as error:
        session.rollback()
        return _answer_editor(request, session, requirement_id, error=error, status_code=422)
    session.commit()
    return _answer_row(request, session, requirement_id)


# --- Downloads -----------------------------------------------------------------------------


def _download(found: intake_service.Download) -> Response:
    headers = {"Content-Disposition": attachment(found.file_name, fallback=found.fallback_name)}
    return Response(found.content, media_type=found.media_type, headers=headers)


@router.get("/requirement-lists/{list_id}/export")
def export_answered(
    request: Request, session: SessionDep, user: CurrentUser, list_id: int
) -> Response:
    """The customer's workbook with the answers written in (or why it cannot be)."""
    try:
        return _download(intake_service.export_answered(session, list_id))
    except IntakeRefusedError as error:
        return render(request, "error.html", {"message": error.message}, status_code=422)


@router.get("/requirement-lists/{list_id}/compliance-matrix.xlsx")
def export_matrix(
    request: Request, session: SessionDep, user: CurrentUser, list_id: int
) -> Response:
    found = intake_service.export_matrix(session, list_id, language=language_of(request))
    return _download(found)


# --- The answer library --------------------------------------------------------------------


def library_page(
    request: Request,
    session: Session,
    *,
    query: str = "",
    stale_only: bool = False,
    status_code: int = 200,
    block: str | None = "entries",
    **extra: Any,
) -> Response:
    context = {
        "entries": answers.library_rows(session, query=query, stale_only=stale_only),
        "query": query,
        "stale_only": stale_only,
        "stale_days": get_settings().answer_stale_days,
        "owners": answers.owner_choices(session),
        "choices": answers.compliance_choices(language_of(request)),
        "can_edit": _can_edit(request),
        "values": {},
        "error": None,
        **extra,
    }
    return render(request, "intake_library.html", context, block=block, status_code=status_code)


@router.get("/answer-library", response_class=HTMLResponse)
def answer_library(
    request: Request, session: SessionDep, user: CurrentUser, q: str = "", stale: str = ""
) -> Response:
    return library_page(request, session, query=q[:200], stale_only=stale == "1")


def _entry_values(form: dict[str, str], user: User) -> answers.EntryValues:
    compliance = (form.get("compliance") or "").strip()
    owner = (form.get("owner_id") or "").strip()
    return answers.EntryValues(
        question=forms.text("question", form.get("question"), max_length=5_000, required=True),
        keywords=forms.text("keywords", form.get("keywords"), max_length=500),
        text_zh=forms.text("text_zh", form.get("text_zh"), max_length=10_000),
        text_en=forms.text("text_en", form.get("text_en"), max_length=10_000),
        compliance=forms.choice("compliance", compliance, Compliance) if compliance else None,
        reference=forms.text("reference", form.get("reference"), max_length=500),
        owner_id=forms.integer("owner_id", owner, minimum=1, maximum=2**31) if owner else user.id,
        last_reviewed_on=forms.optional_date("last_reviewed_on", form.get("last_reviewed_on")),
    )


@router.post("/answer-library")
async def create_library_entry(request: Request, session: SessionDep, user: Editor) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_create_entry, request, session, user, form)


def _create_entry(request: Request, session: Session, user: User, form: dict[str, str]) -> Response:
    try:
        answers.create_entry(session, user=user, values=_entry_values(form, user))
    except FieldError as error:
        session.rollback()
        return library_page(
            request, session, status_code=422, block="create", values=form, error=error
        )
    session.commit()
    return _redirect("/answer-library")


def _entry_editor(
    request: Request,
    session: Session,
    entry_id: int,
    *,
    values: dict[str, str] | None = None,
    error: FieldError | None = None,
    conflict: str = "",
    status_code: int = 200,
) -> Response:
    entry = answers.library_row(session, entry_id)
    context = {
        "entry": entry,
        "values": values if values is not None else _library_values(entry),
        "error": error,
        "conflict": conflict,
        "owners": answers.owner_choices(session),
        "choices": answers.compliance_choices(language_of(request)),
    }
    return render(
        request, "intake_library_edit.html", context, block="row", status_code=status_code
    )


def _library_values(entry: answers.LibraryRow) -> dict[str, str]:
    return {
        "question": entry.question,
        "keywords": entry.keywords,
        "text_zh": entry.text_zh,
        "text_en": entry.text_en,
        "compliance": entry.compliance,
        "reference": entry.reference,
        "owner_id": str(entry.owner_id or ""),
        "last_reviewed_on": entry.last_reviewed_on.isoformat() if entry.last_reviewed_on else "",
        "lock_version": str(entry.lock_version),
    }


def _entry_row(request: Request, session: Session, entry_id: int) -> Response:
    if not wants_fragment(request):
        return _redirect(f"/answer-library#entry-{entry_id}")
    context = {
        "entry": answers.library_row(session, entry_id),
        "can_edit": _can_edit(request),
        "stale_days": get_settings().answer_stale_days,
        "choices": answers.compliance_choices(language_of(request)),
    }
    return render(request, "intake_library_row.html", context, block="row")


@router.get("/answer-library/{entry_id}/row", response_class=HTMLResponse)
def library_entry_row(
    request: Request, session: SessionDep, user: CurrentUser, entry_id: int
) -> Response:
    return _entry_row(request, session, entry_id)


@router.get("/answer-library/{entry_id}/edit", response_class=HTMLResponse)
def edit_library_entry(
    request: Request, session: SessionDep, user: Editor, entry_id: int
) -> Response:
    return _entry_editor(request, session, entry_id)


@router.post("/answer-library/{entry_id}")
async def save_library_entry(
    request: Request, session: SessionDep, user: Editor, entry_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_entry, request, session, user, entry_id, form)


def _save_entry(
    request: Request, session: Session, user: User, entry_id: int, form: dict[str, str]
) -> Response:
    try:
        answers.update_entry(
            session,
            user=user,
            entry_id=entry_id,
            expected_lock_version=_lock(form.get("lock_version")),
            values=_entry_values(form, user),
        )
    except FieldError as error:
        session.rollback()
        return _entry_editor(request, session, entry_id, values=form, error=error, status_code=422)
    except ConcurrentEditError as error:
        session.rollback()
        return _entry_editor(request, session, entry_id, conflict=str(error), status_code=409)
    session.commit()
    return _entry_row(request, session, entry_id)


def _change_entry(
    request: Request, session: Session, entry_id: int, change: Callable[[], object]
) -> Response | None:
    """Make a library entry change and commit; the entry's editor with the reason if refused."""
    try:
        change()
    except (FieldError, ConcurrentEditError) as error:
        session.rollback()
        return _entry_editor(request, session, entry_id, conflict=str(error), status_code=409)
    session.commit()
    return None


@router.post("/answer-library/{entry_id}/reviewed")
def review_library_entry(
    request: Request,
    session: SessionDep,
    user: Editor,
    entry_id: int,
    lock_version: Annotated[str, Form()] = "",
) -> Response:
    refused = _change_entry(
        request,
        session,
        entry_id,
        lambda: answers.mark_reviewed(
            session, user=user, entry_id=entry_id, expected_lock_version=_lock(lock_version)
        ),
    )
    return refused or _entry_row(request, session, entry_id)


@router.post("/answer-library/{entry_id}/delete")
def delete_library_entry(
    request: Request,
    session: SessionDep,
    user: Editor,
    entry_id: int,
    lock_version: Annotated[str, Form()] = "",
) -> Response:
    refused = _change_entry(
        request,
        session,
        entry_id,
        lambda: answers.delete_entry(
            session, user=user, entry_id=entry_id, expected_lock_version=_lock(lock_version)
        ),
    )
    if refused:
        return refused
    if wants_fragment(request):
        return library_page(request, session)
    return _redirect("/answer-library")


# --- Traceability on the revision page ----------------------------------------------------


@router.get("/revisions/{revision_id}/requirements", response_class=HTMLResponse)
def revision_requirements(
    request: Request, session: SessionDep, user: CurrentUser, revision_id: int
) -> Response:
    """Which requirements each line serves, and which need a manual estimate."""
    coverage = matches.revision_coverage(session, revision_id, language=language_of(request))
    context = {"coverage": coverage}
    return render(request, "intake_coverage.html", context, block="coverage")
