"""The estimate editor: lines, risks, assumptions, team and run settings of a revision."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import forms
from app.deps import SessionDep
from app.errors import ConcurrentEditError, FieldError, NotFoundError
from app.models import (
    MAX_SEED,
    CalibrationGrouping,
    EstimateLine,
    PriceBasis,
    Risk,
    Statement,
    ThreePoint,
    User,
)
from app.security import CurrentUser, csrf_protect, require
from app.services import catalog as catalog_service
from app.services import estimates as estimate_service
from app.services.revision_view import line_view, revision_header, revision_view
from app.vocabulary import (
    AccessRole,
    RangeInterpretation,
    Sampling,
    StatementKind,
    can_see_cost,
)
from app.web import language_of, render, text_fields, wants_fragment

router = APIRouter(tags=["estimates"], dependencies=[Depends(csrf_protect)])
Editor = Annotated[User, Depends(require(AccessRole.ADMIN, AccessRole.PRESALES))]
EDITORS = frozenset({AccessRole.ADMIN, AccessRole.PRESALES})


def revision_page(
    request: Request,
    session: Session,
    revision_id: int,
    *,
    block: str | None = None,
    status_code: int = 200,
    **extra: Any,
) -> Response:
    user = request.state.user
    context = {
        "revision": revision_view(session, revision_id, language_of(request)),
        "can_edit": user.role in EDITORS,
        "sees_cost": can_see_cost(user.role),
        **extra,
    }
    return render(request, "revision.html", context, block=block, status_code=status_code)


def _after_change(request: Request, session: Session, revision_id: int, block: str) -> Response:
    """htmx gets the refreshed region; a plain form post goes back to the page (PRG)."""
    if wants_fragment(request):
        return revision_page(request, session, revision_id, block=block)
    return RedirectResponse(f"/revisions/{revision_id}#{block}", status_code=303)


@router.get("/revisions/{revision_id}", response_class=HTMLResponse)
def revision_detail(
    request: Request, session: SessionDep, user: CurrentUser, revision_id: int
) -> Response:
    return revision_page(request, session, revision_id)


@router.get("/revisions/{revision_id}/catalog-search", response_class=HTMLResponse)
def catalog_search(
    request: Request, session: SessionDep, user: Editor, revision_id: int, q: str = ""
) -> Response:
    revision = estimate_service.get_revision(session, revision_id)
    results = catalog_service.search_version(session, revision.catalog_version_id, q[:200])
    if not wants_fragment(request):
        return revision_page(request, session, revision_id, results=results)
    context = {"revision": revision_header(session, revision_id), "results": results}
    return render(request, "revision.html", context, block="search_results")


@router.post("/revisions/{revision_id}/lines")
def add_line(
    request: Request,
    session: SessionDep,
    user: Editor,
    revision_id: int,
    item_id: Annotated[int, Form()],
    quantity: Annotated[str, Form(max_length=40)] = "1",
) -> Response:
    try:
        amount = forms.number("quantity", quantity, above=0)
        estimate_service.add_items(
            session, user=user, revision_id=revision_id, item_ids=[item_id], quantity=amount
        )
    except FieldError as error:
        session.rollback()
        return revision_page(
            request,
            session,
            revision_id,
            block="lines",
            status_code=422,
            line_error=f"{error.field}: {error.message}",
        )
    session.commit()
    return _after_change(request, session, revision_id, "lines")


def _line_values(line: EstimateLine) -> dict[str, Any]:
    values: dict[str, Any] = {
        "quantity": f"{line.quantity:g}",
        "complexity_factor": f"{line.complexity_factor:g}",
        "note": line.note,
    }
    for role in line.roles:
        for part, value in zip(
            ("optimistic", "most_likely", "pessimistic"), role.effective, strict=True
        ):
            values[f"role_{role.role_id}_{part}"] = f"{value:g}"
    return values


def _line_editor(
    request: Request,
    session: Session,
    line: EstimateLine,
    *,
    values: dict[str, Any] | None = None,
    error: FieldError | None = None,
    conflict: str = "",
    status_code: int = 200,
) -> Response:
    roles = {role.id or 0: role for role in catalog_service.roles_by_code(session).values()}
    context = {
        "line": line_view(line, roles, language_of(request)),
        "values": values or _line_values(line),
        "error": error,
        "conflict": conflict,
        "revision_id": line.revision_id,
    }
    return render(request, "line_edit.html", context, block="row", status_code=status_code)


def _get_line(session: Session, line_id: int) -> EstimateLine:
    line = session.get(EstimateLine, line_id)
    if line is None:
        raise NotFoundError(f"estimate line {line_id} does not exist")
    return line


@router.get("/lines/{line_id}/edit", response_class=HTMLResponse)
def edit_line(request: Request, session: SessionDep, user: Editor, line_id: int) -> Response:
    return _line_editor(request, session, _get_line(session, line_id))


@router.get("/lines/{line_id}/row", response_class=HTMLResponse)
def line_row(request: Request, session: SessionDep, user: CurrentUser, line_id: int) -> Response:
    line = _get_line(session, line_id)
    if not wants_fragment(request):
        return RedirectResponse(f"/revisions/{line.revision_id}#line-{line_id}", status_code=303)
    roles = {role.id or 0: role for role in catalog_service.roles_by_code(session).values()}
    revision = revision_header(session, line.revision_id or 0)
    context = {
        "line": line_view(line, roles, language_of(request)),
        "revision": revision,
        "can_edit": user.role in EDITORS,
    }
    return render(request, "line_row.html", context, block="row")


def _parse_line_changes(line: EstimateLine, form: dict[str, str]) -> estimate_service.LineChanges:
    overrides: dict[int, ThreePoint | None] = {}
    for role in line.roles:
        prefix = f"role_{role.role_id}_"
        triple = forms.triple(
            prefix,
            form.get(prefix + "optimistic"),
            form.get(prefix + "most_likely"),
            form.get(prefix + "pessimistic"),
        )
        catalog_copy = (role.optimistic, role.most_likely, role.pessimistic)
        as_tuple = (triple.optimistic, triple.most_likely, triple.pessimistic)
        overrides[role.role_id] = None if as_tuple == catalog_copy else triple
    return estimate_service.LineChanges(
        quantity=forms.number("quantity", form.get("quantity"), above=0),
        complexity_factor=forms.number("complexity_factor", form.get("complexity_factor"), above=0),
        note=forms.text("note", form.get("note"), max_length=1000),
        overrides=overrides,
    )


@router.post("/lines/{line_id}")
async def save_line(request: Request, session: SessionDep, user: Editor, line_id: int) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_line, request, session, user, line_id, form)


def _save_line(
    request: Request, session: Session, user: User, line_id: int, form: dict[str, str]
) -> Response:
    line = _get_line(session, line_id)
    try:
        changes = _parse_line_changes(line, form)
        expected = forms.integer("lock_version", form.get("lock_version"), minimum=1, maximum=2**31)
        estimate_service.update_line(
            session, line_id=line_id, expected_lock_version=expected, changes=changes
        )
    except FieldError as error:
        session.rollback()
        line = _get_line(session, line_id)
        return _line_editor(request, session, line, values=form, error=error, status_code=422)
    except ConcurrentEditError as error:
        session.rollback()
        fresh = _get_line(session, line_id)
        return _line_editor(request, session, fresh, conflict=str(error), status_code=409)
    session.commit()
    if not wants_fragment(request):
        return RedirectResponse(f"/revisions/{line.revision_id}#line-{line_id}", status_code=303)
    return line_row(request, session, user, line_id)


@router.post("/lines/{line_id}/delete")
def delete_line(
    request: Request,
    session: SessionDep,
    user: Editor,
    line_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    revision_id = _get_line(session, line_id).revision_id or 0
    try:
        estimate_service.remove_line(
            session, user=user, line_id=line_id, expected_lock_version=lock_version
        )
    except ConcurrentEditError as error:
        session.rollback()
        return revision_page(
            request, session, revision_id, block="lines", status_code=409, line_error=str(error)
        )
    session.commit()
    return _after_change(request, session, revision_id, "lines")


@router.post("/revisions/{revision_id}/new-revision")
def new_revision(session: SessionDep, user: Editor, revision_id: int) -> Response:
    revision = estimate_service.new_revision(session, user=user, revision_id=revision_id)
    session.commit()
    return RedirectResponse(f"/revisions/{revision.id}", status_code=303)


def _parse_settings(form: dict[str, str]) -> dict[str, Any]:
    return {
        "confidence_level": forms.number(
            "confidence_level", form.get("confidence_level"), above=0, below=1
        ),
        "iterations": forms.integer(
            "iterations", form.get("iterations"), minimum=1_000, maximum=10_000_000
        ),
        "seed": forms.integer("seed", form.get("seed"), minimum=0, maximum=MAX_SEED),
        "sampling": forms.choice("sampling", form.get("sampling"), Sampling),
        "ranges_are": forms.choice("ranges_are", form.get("ranges_are"), RangeInterpretation),
        "pert_lambda": forms.number("pert_lambda", form.get("pert_lambda"), above=0),
        "start_date": forms.optional_date("start_date", form.get("start_date")),
        "target_budget": forms.optional_money("target_budget", form.get("target_budget")),
        "target_date": forms.optional_date("target_date", form.get("target_date")),
        "target_effort_days": forms.optional_number(
            "target_effort_days", form.get("target_effort_days"), above=0
        ),
        "rho_within_phase": forms.number(
            "rho_within_phase", form.get("rho_within_phase") or "0", minimum=0, below=1
        ),
        "rho_within_role": forms.number(
            "rho_within_role", form.get("rho_within_role") or "0", minimum=0, below=1
        ),
        "calibration": forms.choice(
            "calibration", form.get("calibration") or "off", CalibrationGrouping
        ).value,
        "calibration_estimator": forms.text(
            "calibration_estimator", form.get("calibration_estimator"), max_length=100
        ),
        "price_basis": forms.choice(
            "price_basis", form.get("price_basis") or "raw", PriceBasis
        ).value,
    }


@router.post("/revisions/{revision_id}/settings")
async def save_settings(
    request: Request, session: SessionDep, user: Editor, revision_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_settings, request, session, user, revision_id, form)


def _save_settings(
    request: Request, session: Session, user: User, revision_id: int, form: dict[str, str]
) -> Response:
    try:
        values = _parse_settings(form)
        expected = forms.integer("lock_version", form.get("lock_version"), minimum=1, maximum=2**31)
        estimate_service.update_settings(
            session,
            user=user,
            revision_id=revision_id,
            expected_lock_version=expected,
            values=values,
        )
    except FieldError as error:
        session.rollback()
        return revision_page(
            request,
            session,
            revision_id,
            block="settings",
            status_code=422,
            settings_error=error,
            settings_values=form,
        )
    except ConcurrentEditError as error:
        session.rollback()
        return revision_page(
            request,
            session,
            revision_id,
            block="settings",
            status_code=409,
            settings_conflict=str(error),
        )
    session.commit()
    return _after_change(request, session, revision_id, "settings")


def _parse_risk(form: dict[str, str]) -> Risk:
    days = [
        form.get(f"impact_days_{part}", "") for part in ("optimistic", "most_likely", "pessimistic")
    ]
    risk = Risk(
        title=forms.text("title", form.get("title"), max_length=300, required=True),
        probability=forms.probability("probability", form.get("probability")),
        mitigation=forms.text("mitigation", form.get("mitigation"), max_length=2000),
        owner=forms.text("owner", form.get("owner"), max_length=100),
    )
    if any(value.strip() for value in days):
        triple = forms.triple("impact_days_", *days)
        risk.impact_days_optimistic = triple.optimistic
        risk.impact_days_most_likely = triple.most_likely
        risk.impact_days_pessimistic = triple.pessimistic
    money = forms.optional_money("impact_money_most_likely", form.get("impact_money_most_likely"))
    if money is not None:
        risk.impact_money_optimistic = risk.impact_money_most_likely = (
            risk.impact_money_pessimistic
        ) = money
    if not days[1].strip() and money is None:
        raise FieldError("impact_days_most_likely", "give an impact in days or in money")
    role = form.get("affected_role_id", "").strip()
    risk.affected_role_id = (
        forms.integer("affected_role_id", role, minimum=1, maximum=2**31) if role else None
    )
    return risk


@router.post("/revisions/{revision_id}/risks")
async def add_risk(
    request: Request, session: SessionDep, user: Editor, revision_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_add_risk, request, session, user, revision_id, form)


def _add_risk(
    request: Request, session: Session, user: User, revision_id: int, form: dict[str, str]
) -> Response:
    try:
        estimate_service.add_risk(
            session, user=user, revision_id=revision_id, risk=_parse_risk(form)
        )
    except FieldError as error:
        session.rollback()
        return revision_page(
            request,
            session,
            revision_id,
            block="risks",
            status_code=422,
            risk_error=error,
            risk_values=form,
        )
    session.commit()
    return _after_change(request, session, revision_id, "risks")


@router.post("/risks/{risk_id}/delete")
def delete_risk(request: Request, session: SessionDep, user: Editor, risk_id: int) -> Response:
    revision_id = estimate_service.delete_child(session, user=user, model=Risk, record_id=risk_id)
    session.commit()
    return _after_change(request, session, revision_id, "risks")


@router.post("/revisions/{revision_id}/statements")
def add_statement(
    request: Request,
    session: SessionDep,
    user: Editor,
    revision_id: int,
    kind: Annotated[StatementKind, Form()],
    text: Annotated[str, Form(max_length=2000)],
) -> Response:
    body = forms.text("text", text, max_length=2000, required=True)
    estimate_service.add_statement(
        session, user=user, revision_id=revision_id, kind=kind, text=body
    )
    session.commit()
    return _after_change(request, session, revision_id, "statements")


@router.post("/statements/{statement_id}/delete")
def delete_statement(
    request: Request, session: SessionDep, user: Editor, statement_id: int
) -> Response:
    revision_id = estimate_service.delete_child(
        session, user=user, model=Statement, record_id=statement_id
    )
    session.commit()
    return _after_change(request, session, revision_id, "statements")


@router.post("/revisions/{revision_id}/team")
async def save_team(
    request: Request, session: SessionDep, user: Editor, revision_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_team, request, session, user, revision_id, form)


def _save_team(
    request: Request, session: Session, user: User, revision_id: int, form: dict[str, str]
) -> Response:
    try:
        fte = {
            int(key.removeprefix("fte_")): forms.number(key, value or "0", minimum=0)
            for key, value in form.items()
            if key.startswith("fte_") and key.removeprefix("fte_").isdigit()
        }
        estimate_service.set_team(session, user=user, revision_id=revision_id, fte_by_role=fte)
    except FieldError as error:
        session.rollback()
        return revision_page(
            request, session, revision_id, block="team", status_code=422, team_error=error
        )
    session.commit()
    return _after_change(request, session, revision_id, "team")
