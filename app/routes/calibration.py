"""Calibration from history: accuracy and backtest pages, history records and imports.

Everyone may read history (it holds person-days and final prices, no cost); admins and
presales record outcomes and actuals and import files.
"""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import forms
from app.config import get_settings
from app.deps import SessionDep
from app.errors import ConcurrentEditError, FieldError, ImportRejectedError
from app.models import CLOSED_OUTCOMES, User
from app.security import CurrentUser, csrf_protect, require
from app.services import calibration_view, history, history_upload
from app.services.history_import import HistoryField, RowKind
from app.vocabulary import AccessRole, OpportunityStatus
from app.web import language_of, render, text_fields, wants_fragment

router = APIRouter(tags=["calibration"], dependencies=[Depends(csrf_protect)])
Editor = Annotated[User, Depends(require(AccessRole.ADMIN, AccessRole.PRESALES))]
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
GroupBy = Annotated[str, Form(max_length=20)]


def _is_editor(request: Request) -> bool:
    return request.state.user.role in (AccessRole.ADMIN, AccessRole.PRESALES)


# --- accuracy, factors and backtest ---------------------------------------------


@router.get("/calibration", response_class=HTMLResponse)
def calibration_page(
    request: Request, session: SessionDep, user: CurrentUser, group_by: str = "overall"
) -> Response:
    grouping = calibration_view.grouping_of(group_by)
    view = calibration_view.overview(session, grouping, language_of(request))
    context = {"view": view, "groupings": [g.value for g in history.GROUPINGS]}
    return render(request, "calibration_overview.html", context, block="calibration_body")


@router.get("/calibration/charts/{name}.svg")
def calibration_chart(
    request: Request, session: SessionDep, user: CurrentUser, name: str, group_by: str = "overall"
) -> Response:
    if name not in calibration_view.CHART_NAMES:
        return Response(status_code=404)
    grouping = calibration_view.grouping_of(group_by)
    svg = calibration_view.chart_svg(session, name, grouping, language_of(request))
    headers = {"Content-Security-Policy": SVG_POLICY, "Cache-Control": "private, no-cache"}
    return Response(svg, media_type="image/svg+xml", headers=headers)


# --- history records ---------------------------------------------


def history_page(request: Request, session: Session, **extra: Any) -> Response:
    context = {
        "history": calibration_view.history_list(session),
        "can_edit": _is_editor(request),
        **extra,
    }
    return render(request, "history_list.html", context, block="history_body")


@router.get("/calibration/history", response_class=HTMLResponse)
def history_list(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return history_page(request, session)


@router.post("/calibration/imports/{import_id}/delete")
def delete_import(request: Request, session: SessionDep, user: Editor, import_id: int) -> Response:
    history.delete_import(session, user=user, import_id=import_id)
    session.commit()
    if wants_fragment(request):
        return history_page(request, session)
    return RedirectResponse("/calibration/history", status_code=303)


# --- importing a file ---------------------------------------------


def import_page(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    context = {
        "fields": [field.value for field in HistoryField],
        "won": history_upload.won_opportunities(session),
        "step": None,
        "checked": None,
        **extra,
    }
    return render(
        request, "history_import.html", context, block="import_step", status_code=status_code
    )


@router.get("/calibration/import", response_class=HTMLResponse)
def import_form(request: Request, session: SessionDep, user: Editor) -> Response:
    return import_page(request, session)


def _target(raw: str) -> int | None:
    return forms.integer("opportunity_id", raw, minimum=1, maximum=2**31) if raw.strip() else None


@router.post("/calibration/import")
def upload_history(
    request: Request,
    session: SessionDep,
    user: Editor,
    upload: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=20)] = "tasks",
    opportunity_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Read the file and propose a column for each field (nothing is stored yet)."""
    limit = get_settings().max_upload_bytes
    try:
        step = history_upload.start(
            session,
            user=user,
            data=upload.file.read(limit + 1),
            file_name=(upload.filename or "history.csv")[:200],
            max_bytes=limit,
            kind=forms.choice("kind", kind, RowKind),
            opportunity_id=_target(opportunity_id),
        )
    except ImportRejectedError as error:
        return import_page(request, session, status_code=422, problems=error.problems)
    except FieldError as error:
        return import_page(request, session, status_code=422, error=error)
    return import_page(request, session, step=step)


@router.post("/calibration/import/{token}/preview")
async def preview_history(
    request: Request, session: SessionDep, user: Editor, token: str
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_check_upload, request, session, user, token, form, False)


@router.post("/calibration/import/{token}/confirm")
async def confirm_history(
    request: Request, session: SessionDep, user: Editor, token: str
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_check_upload, request, session, user, token, form, True)


def _check_upload(
    request: Request,
    session: Session,
    user: User,
    token: str,
    form: dict[str, str],
    confirm: bool,
) -> Response:
    """Check every row with the mapping; on confirm, store the good ones at once."""
    try:
        step, grid = history_upload.load_step(
            session,
            user=user,
            token=token,
            max_bytes=get_settings().max_upload_bytes,
            kind=forms.choice("kind", form.get("kind", "tasks"), RowKind),
            opportunity_id=_target(form.get("opportunity_id", "")),
            mapping=history_upload.parse_mapping(form),
        )
    except ImportRejectedError as error:
        return import_page(request, session, status_code=422, problems=error.problems)
    except FieldError as error:
        return import_page(request, session, status_code=422, error=error)
    try:
        checked = history_upload.check(session, step, grid)
        if confirm:
            record = history_upload.confirm(session, user=user, step=step, checked=checked)
    except FieldError as error:
        session.rollback()
        return import_page(request, session, status_code=422, step=step, error=error)
    if not confirm:
        return import_page(request, session, step=step, checked=checked)
    session.commit()
    history_upload.forget(token, user=user)
    return RedirectResponse(f"/calibration/history?imported={record.id}", status_code=303)


# --- closing an opportunity and its actuals ---------------------------------------------


def outcome_page(
    request: Request,
    session: Session,
    opportunity_id: int,
    *,
    block: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    context = {
        "view": calibration_view.outcome_view(session, opportunity_id, language_of(request)),
        "outcomes": [outcome.value for outcome in CLOSED_OUTCOMES],
        "can_edit": _is_editor(request),
        "today": date.today(),
        **extra,
    }
    return render(request, "history_outcome.html", context, block=block, status_code=status_code)


@router.get("/opportunities/{opportunity_id}/outcome", response_class=HTMLResponse)
def outcome_detail(
    request: Request, session: SessionDep, user: CurrentUser, opportunity_id: int
) -> Response:
    return outcome_page(request, session, opportunity_id, block="outcome_body")


def _after(request: Request, session: Session, opportunity_id: int) -> Response:
    if wants_fragment(request):
        return outcome_page(request, session, opportunity_id, block="outcome_body")
    return RedirectResponse(f"/opportunities/{opportunity_id}/outcome", status_code=303)


@router.post("/opportunities/{opportunity_id}/outcome")
async def close_opportunity(
    request: Request, session: SessionDep, user: Editor, opportunity_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_close, request, session, user, opportunity_id, form)


def _close(
    request: Request, session: Session, user: User, opportunity_id: int, form: dict[str, str]
) -> Response:
    try:
        history.close_opportunity(
            session,
            user=user,
            opportunity_id=opportunity_id,
            outcome=forms.choice("outcome", form.get("outcome"), OpportunityStatus),
            final_price=forms.optional_money("final_price", form.get("final_price")),
            closed_on=forms.optional_date("closed_on", form.get("closed_on")) or date.today(),
            note=forms.text("note", form.get("note"), max_length=2_000),
            expected_lock_version=_optional_version(form),
        )
    except (FieldError, ConcurrentEditError) as error:
        return _refused(
            request, session, opportunity_id, error, outcome_error=error, outcome_values=form
        )
    session.commit()
    return _after(request, session, opportunity_id)


def _refused(
    request: Request,
    session: Session,
    opportunity_id: int,
    error: FieldError | ConcurrentEditError,
    **context: Any,
) -> Response:
    """The outcome page again with the error: 409 for a concurrent edit, 422 for a field."""
    session.rollback()
    status = 409 if isinstance(error, ConcurrentEditError) else 422
    return outcome_page(
        request, session, opportunity_id, block="outcome_body", status_code=status, **context
    )


def _optional_version(form: dict[str, str]) -> int | None:
    raw = form.get("lock_version", "").strip()
    return forms.integer("lock_version", raw, minimum=1, maximum=2**31) if raw else None


@router.post("/opportunities/{opportunity_id}/actuals")
async def save_actuals(
    request: Request, session: SessionDep, user: Editor, opportunity_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_actuals, request, session, user, opportunity_id, form)


def _parse_actuals(form: dict[str, str]) -> list[history.ActualEntry]:
    entries = []
    count = forms.integer("rows", form.get("rows"), minimum=0, maximum=500)
    for k in range(count):
        actual = forms.optional_number(f"actual_{k}", form.get(f"actual_{k}"), above=0)
        if actual is None:
            continue  # not delivered (yet): no actual, nothing to learn from
        entries.append(
            history.ActualEntry(
                phase=forms.text(f"phase_{k}", form.get(f"phase_{k}"), max_length=20),
                role=forms.text(f"role_{k}", form.get(f"role_{k}"), max_length=64, required=True),
                estimate=forms.number(f"estimate_{k}", form.get(f"estimate_{k}"), above=0),
                actual=actual,
            )
        )
    return entries


def _save_actuals(
    request: Request, session: Session, user: User, opportunity_id: int, form: dict[str, str]
) -> Response:
    try:
        history.record_actuals(
            session,
            user=user,
            opportunity_id=opportunity_id,
            entries=_parse_actuals(form),
            finished_on=forms.optional_date("finished_on", form.get("finished_on")),
            estimator=forms.text("estimator", form.get("estimator"), max_length=100),
            expected_lock_version=_optional_version(form),
        )
    except (FieldError, ConcurrentEditError) as error:
        return _refused(
            request, session, opportunity_id, error, actuals_error=error, actuals_values=form
        )
    session.commit()
    return _after(request, session, opportunity_id)
