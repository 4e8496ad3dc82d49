"""Server-rendered pages."""

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.deps import SessionDep
from app.services import opportunities as opportunity_service

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")
router = APIRouter(tags=["pages"])


@router.get("/", response_class=HTMLResponse)
def opportunity_list(request: Request, session: SessionDep) -> HTMLResponse:
    rows = opportunity_service.list_opportunities(session)
    return templates.TemplateResponse(request, "index.html", {"opportunities": rows})
