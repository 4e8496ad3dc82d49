"""Liveness for the container's HEALTHCHECK: answers only when the database does."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(session: SessionDep) -> JSONResponse:
    try:
        session.exec(text("SELECT 1"))  # type: ignore[call-overload]
    except SQLAlchemyError as error:
        return JSONResponse({"status": "error", "database": type(error).__name__}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})
