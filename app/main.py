"""FastAPI application factory."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse

from app import __version__
from app.config import get_settings
from app.db import get_engine
from app.errors import BidwrightError
from app.routes import health, pages


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    get_settings()  # refuse to start on invalid settings (e.g. a default secret in production)
    yield
    get_engine().dispose()


def create_app() -> FastAPI:
    app = FastAPI(title="Bidwright", version=__version__, lifespan=lifespan)
    app.include_router(health.router)
    app.include_router(pages.router)
    app.add_exception_handler(BidwrightError, _domain_error)
    return app


async def _domain_error(request: Request, error: Exception) -> HTMLResponse | JSONResponse:
    assert isinstance(error, BidwrightError)
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": str(error)}, status_code=error.status_code)
    return HTMLResponse(
        pages.templates.get_template("error.html").render(message=str(error)),
        status_code=error.status_code,
    )
