"""JSON API, version 1: estimates, lines, runs; token authentication; the same role rules."""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from sqlmodel import Session, col, select

from app.api_schemas import (
    MAX_ID,
    EstimateCreate,
    EstimatePublic,
    LineCreate,
    LinePublic,
    LineRolePublic,
    LineUpdate,
    ProblemDetail,
    RevisionPublic,
    RunPublic,
)
from app.deps import SessionDep, session_reads_only
from app.errors import FieldError
from app.models import Estimate, EstimateLine, SimulationRun, User
from app.security import ForbiddenError, LoginRequiredError, OptionalUser, user_sees_cost
from app.services import estimates as estimate_service
from app.services import runs as run_service
from app.services.catalog import roles_by_code
from app.services.confidentiality import price_level
from app.vocabulary import AccessRole
from app.worker import launch_run

ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": ProblemDetail} for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}
router = APIRouter(prefix="/api/v1", tags=["api"], responses=ERRORS)


def api_user(request: Request, user: OptionalUser) -> User:
    """The API takes tokens only (``Authorization: Bearer …``), never the browser's cookie."""
    if user is None or not getattr(request.state, "via_api_token", False):
        raise LoginRequiredError("send a valid API token: Authorization: Bearer <token>")
    return user


ApiUser = Annotated[User, Depends(api_user)]
RowId = Annotated[int, Path(ge=1, le=MAX_ID)]


def _editor(user: User) -> User:
    if user.role not in {AccessRole.ADMIN, AccessRole.PRESALES}:
        raise ForbiddenError("only presales and admin users may change estimates")
    return user


def _estimate_public(estimate: Estimate) -> EstimatePublic:
    return EstimatePublic(
        id=estimate.id or 0,
        opportunity_id=estimate.opportunity_id,
        opportunity_name=estimate.opportunity.name,
        customer=estimate.opportunity.customer.name,
        name=estimate.name,
        revision_ids=[revision.id or 0 for revision in estimate.revisions],
    )


def _line_public(line: EstimateLine, role_codes: dict[int, str]) -> LinePublic:
    return LinePublic(
        id=line.id or 0,
        lock_version=line.lock_version,
        code=line.code,
        name_zh=line.name_zh,
        name_en=line.name_en,
        phase=line.phase.value,
        unit=line.unit.value,
        kind=line.kind.value,
        quantity=line.quantity,
        complexity_factor=line.complexity_factor,
        roles=[
            LineRolePublic(
                role=role_codes[role.role_id],
                optimistic=role.effective[0],
                most_likely=role.effective[1],
                pessimistic=role.effective[2],
                overridden=role.is_overridden,
            )
            for role in line.roles
        ],
    )


def _role_codes(session: Session) -> dict[int, str]:
    return {role.id or 0: code for code, role in roles_by_code(session).items()}


@router.get("/estimates", response_model=list[EstimatePublic])
def list_estimates(session: SessionDep, user: ApiUser) -> list[EstimatePublic]:
    estimates = session.exec(select(Estimate).order_by(col(Estimate.id))).all()
    return [_estimate_public(estimate) for estimate in estimates]


@router.post("/estimates", response_model=EstimatePublic, status_code=201)
def create_estimate(body: EstimateCreate, session: SessionDep, user: ApiUser) -> EstimatePublic:
    estimate = estimate_service.create_estimate(
        session,
        user=_editor(user),
        opportunity_id=body.opportunity_id,
        name=body.name,
        catalog_version_id=body.catalog_version_id,
        rate_card_id=body.rate_card_id,
    )
    session.commit()
    return _estimate_public(estimate)


@router.get("/revisions/{revision_id}", response_model=RevisionPublic)
def get_revision(revision_id: RowId, session: SessionDep, user: ApiUser) -> RevisionPublic:
    revision = estimate_service.get_revision(session, revision_id)
    codes = _role_codes(session)
    return RevisionPublic(
        id=revision.id or 0,
        estimate_id=revision.estimate_id,
        number=revision.number,
        status=revision.status.value,
        lock_version=revision.lock_version,
        confidence_level=revision.confidence_level,
        iterations=revision.iterations,
        seed=revision.seed,
        lines=[_line_public(line, codes) for line in revision.lines],
    )


@router.post("/revisions/{revision_id}/lines", response_model=LinePublic, status_code=201)
def add_line(
    revision_id: RowId, body: LineCreate, session: SessionDep, user: ApiUser
) -> LinePublic:
    [line] = estimate_service.add_items(
        session,
        user=_editor(user),
        revision_id=revision_id,
        item_ids=[body.item_id],
        quantity=body.quantity,
    )
    session.commit()
    return _line_public(line, _role_codes(session))


@router.patch("/lines/{line_id}", response_model=LinePublic)
def update_line(line_id: RowId, body: LineUpdate, session: SessionDep, user: ApiUser) -> LinePublic:
    _editor(user)
    role_ids = {code: role.id or 0 for code, role in roles_by_code(session).items()}
    overrides = None
    if body.overrides is not None:
        unknown = sorted(set(body.overrides) - role_ids.keys())
        if unknown:
            raise FieldError("overrides", f"unknown roles {unknown}")
        overrides = {role_ids[code]: triple for code, triple in body.overrides.items()}
    line = estimate_service.update_line(
        session,
        line_id=line_id,
        expected_lock_version=body.lock_version,
        changes=estimate_service.LineChanges(
            quantity=body.quantity,
            complexity_factor=body.complexity_factor,
            note=body.note,
            overrides=overrides,
        ),
    )
    session.commit()
    return _line_public(line, _role_codes(session))


@router.post("/revisions/{revision_id}/runs", response_model=RunPublic, status_code=201)
@session_reads_only
def start_run(request: Request, revision_id: RowId, session: SessionDep, user: ApiUser) -> Any:
    run_id = launch_run(
        session, user=_editor(user), revision_id=revision_id, database=request.app.state.database
    )
    return _run_public(run_service.get_run(session, run_id), user)


@router.get("/runs/{run_id}", response_model=RunPublic)
def get_run(run_id: RowId, session: SessionDep, user: ApiUser) -> Any:
    return _run_public(run_service.get_run(session, run_id), user)


def _run_public(run: SimulationRun, user: User) -> RunPublic:
    summary, result = run.summary, run.result
    if not user_sees_cost(user):
        summary, result = price_level(summary), price_level(result)
    return RunPublic(
        id=run.id or 0,
        revision_id=run.revision_id,
        status=run.status.value,
        error=run.error,
        iterations=run.iterations,
        seed=run.seed,
        engine_version=run.engine_version,
        input_sha256=run.input_sha256,
        created_at=run.created_at,
        summary=summary,
        result=result,
    )
