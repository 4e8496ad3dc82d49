"""FastAPI application factory."""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from app import __version__
from app.collector import settle_long_lived_objects
from app.config import get_settings
from app.db import get_engine
from app.errors import BidwrightError
from app.request_log import RequestLogMiddleware, configure_logging
from app.routes import (
    admin,
    api,
    auth,
    calibration,
    catalogs,
    documents,
    estimates,
    health,
    intake,
    opportunities,
    rate_cards,
    runs,
)
from app.security import LoginRequiredError, SecurityMiddleware
from app.services.runs import mark_interrupted_runs
from app.web import render, wants_fragment
from app.worker import SUPERVISOR_PID, exit_with_parent, start_interactive_workers

STATIC_DIR = Path(__file__).resolve().parent / "static"


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.under_supervisor:
        exit_with_parent(int(os.environ.get(SUPERVISOR_PID, os.getppid())))
        start_interactive_workers()
    else:
        mark_interrupted_runs(app.state.database)
    settle_long_lived_objects()
    yield
    app.state.database.dispose()


def create_app(database: Engine | None = None, *, under_supervisor: bool = False) -> FastAPI:
    """The app on ``database`` (default: the configured one); invalid settings refuse to start.

    Started alone, the app marks the runs a stopped server left queued or running as
    failed. ``under_supervisor``: see :func:`create_served_app`.
    """
    settings = get_settings()
    app = FastAPI(title="Bidwright", version=__version__, lifespan=lifespan)
    app.state.database = database if database is not None else get_engine()
    app.state.under_supervisor = under_supervisor
    app.add_middleware(SecurityMiddleware, max_body_bytes=settings.max_request_bytes)
    app.add_middleware(RequestLogMiddleware)  # added last: outermost, times everything
    configure_logging()
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in (
        health.router,
        auth.router,
        opportunities.router,
        estimates.router,
        runs.router,
        documents.router,
        api.router,
        catalogs.router,
        rate_cards.router,
        admin.router,
        intake.router,
        calibration.router,
    ):
        app.include_router(router)
    app.add_exception_handler(BidwrightError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    return app


def create_served_app() -> FastAPI:
    """The app in one of ``bidwright serve``'s worker processes.

    ``serve`` marks interrupted runs once, before any worker starts; a worker started later
    (uvicorn replaces one that died) must not mark the runs its siblings are executing. A
    worker exits when the supervising process dies (SIGKILL leaves it orphaned otherwise).
    """
    return create_app(under_supervisor=True)


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def _domain_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, BidwrightError)
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    if _is_api(request):
        return JSONResponse({"detail": str(error)}, status_code=error.status_code, headers=headers)
    if isinstance(error, LoginRequiredError):
        target = "/login?next=" + quote(request.url.path)
        if wants_fragment(request):
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)
    return render(
        request,
        "error.html",
        {"message": str(error)},
        status_code=error.status_code,
        headers=headers,
    )


async def _validation_error(request: Request, error: Exception) -> Response:
    """Name the fields and what is wrong with them, never echo what was sent (passwords!)."""
    assert isinstance(error, RequestValidationError)
    problems = [
        {
            "field": ".".join(str(part) for part in issue["loc"][1:]) or "body",
            "message": issue["msg"],
        }
        for issue in error.errors()
    ]
    if _is_api(request):
        return JSONResponse({"detail": problems}, status_code=422)
    message = "; ".join(f"{p['field']}: {p['message']}" for p in problems)
    return render(request, "error.html", {"message": message}, status_code=422)
