"""Liveness for the container's HEALTHCHECK: answers only when the database does.

``/readyz`` says whether to send traffic here: the database answers and its schema is at
the migration head this code expects (503 otherwise, e.g. during an upgrade).
"""

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps import SessionDep
from app.services.operations import is_ready

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> JSONResponse:
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError as error:
        return JSONResponse({"status": "error", "database": type(error).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    ready, detail = is_ready(request.app.state.database)
    return JSONResponse(
        {"status": "ok" if ready else "unavailable", "detail": detail},
        status_code=200 if ready else 503,
        headers=None if ready else {"Retry-After": "5"},
    )
