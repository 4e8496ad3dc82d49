"""Running a revision and reading its results, charts and comparisons."""

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.config import get_settings
from app.deps import SessionDep, session_reads_only
from app.models import User
from app.routes.estimates import revision_page
from app.security import CurrentUser, csrf_protect, require, user_sees_cost
from app.services import runs as run_service
from app.services.compare import compare_revisions
from app.services.engine_input import RunInputError
from app.services.run_charts import CHART_NAMES, chart_svg
from app.services.run_page import page_quote_lines
from app.services.run_view import revision_heading, run_view
from app.vocabulary import AccessRole
from app.web import language_of, render
from app.worker import launch_run

router = APIRouter(tags=["runs"], dependencies=[Depends(csrf_protect)])
Editor = Annotated[User, Depends(require(AccessRole.ADMIN, AccessRole.PRESALES))]
# The chart is an image document: it needs its own inline styles, and nothing else.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"


@router.post("/revisions/{revision_id}/runs")
@session_reads_only
def start_run(request: Request, session: SessionDep, user: Editor, revision_id: int) -> Response:
    try:
        run_id = launch_run(
            session, user=user, revision_id=revision_id, database=request.app.state.database
        )
    except RunInputError as error:
        session.rollback()
        return revision_page(request, session, revision_id, status_code=422, run_error=str(error))
    return RedirectResponse(f"/runs/{run_id}", status_code=303)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run_page(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    run_id: int,
    basis: Annotated[Literal["raw", "calibrated"] | None, Query()] = None,
) -> Response:
    run = run_service.get_run(session, run_id)
    heading = revision_heading(session, run.revision_id)
    language = language_of(request)
    view = run_view(run, heading, sees_cost=user_sees_cost(user), language=language, basis=basis)
    quote_lines = page_quote_lines(session, run, user=user, language=language)
    return render(request, "run.html", {"run": view, "quote_lines": quote_lines}, block="run_body")


@router.get("/runs/{run_id}/charts/{name}.svg")
def run_chart(
    request: Request, session: SessionDep, user: CurrentUser, run_id: int, name: str
) -> Response:
    if name not in CHART_NAMES:
        return Response(status_code=404)
    svg = chart_svg(run_service.get_run(session, run_id), name, language_of(request))
    headers = {"Content-Security-Policy": SVG_POLICY, "Cache-Control": "private, max-age=86400"}
    return Response(svg, media_type="image/svg+xml", headers=headers)


@router.get("/compare", response_class=HTMLResponse)
def compare(
    request: Request, session: SessionDep, user: CurrentUser, left: int, right: int
) -> Response:
    comparison = compare_revisions(
        session,
        left_id=left,
        right_id=right,
        data_dir=get_settings().data_dir,
        sees_cost=user_sees_cost(user),
        language=language_of(request),
    )
    return render(request, "compare.html", {"comparison": comparison})
