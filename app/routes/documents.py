"""Downloads of the proposal (.docx) and quote (.xlsx) of a run, and user templates."""

from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, Response

from app.config import get_settings
from app.deps import SessionDep
from app.documents.errors import TemplateRejectedError
from app.downloads import attachment
from app.models import User
from app.security import csrf_protect, require
from app.services import documents as document_service
from app.vocabulary import AccessRole, Language
from app.web import language_of, render

router = APIRouter(tags=["documents"], dependencies=[Depends(csrf_protect)])
Reader = Annotated[User, Depends(require(*AccessRole))]
Editor = Annotated[User, Depends(require(AccessRole.ADMIN, AccessRole.PRESALES))]
MAX_TEMPLATE_BYTES = 10 * 1024 * 1024


def _download(document: document_service.Document) -> Response:
    headers = {
        "Content-Disposition": attachment(document.file_name, fallback=document.fallback_name),
        "Cache-Control": "private, no-store",
    }
    return Response(document.content, media_type=document.media_type, headers=headers)


def _language(request: Request, requested: Language | None) -> Language:
    return requested or language_of(request)


@router.get("/runs/{run_id}/proposal.docx")
def proposal(
    request: Request,
    session: SessionDep,
    user: Reader,
    run_id: int,
    language: Language | None = None,
    template: Annotated[str | None, Query(max_length=64)] = None,
) -> Response:
    document = document_service.proposal_document(
        session, run_id, user=user, language=_language(request, language), template_id=template
    )
    return _download(document)


@router.get("/runs/{run_id}/quote.xlsx")
def quote(
    request: Request,
    session: SessionDep,
    user: Reader,
    run_id: int,
    language: Language | None = None,
    validity: int | None = None,
    payment: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    options = document_service.QuoteOptions.parse(validity=validity, payment=payment)
    document = document_service.quote_document(
        session, run_id, user=user, language=_language(request, language), options=options
    )
    return _download(document)


def templates_page(request: Request, *, status_code: int = 200, **context: object) -> Response:
    context["templates"] = document_service.list_user_templates()
    return render(
        request, "proposal_templates.html", context, block="upload", status_code=status_code
    )


@router.get("/proposal-templates", response_class=HTMLResponse)
def template_list(request: Request, user: Editor) -> Response:
    return templates_page(request)


@router.post("/proposal-templates", response_class=HTMLResponse)
def upload_template(
    request: Request,
    user: Editor,
    template: Annotated[UploadFile, File()],
    check_only: Annotated[bool, Form()] = False,
) -> Response:
    """Check an uploaded template and keep it unless it has errors; show the report."""
    limit = min(MAX_TEMPLATE_BYTES, get_settings().max_upload_bytes)
    data = template.file.read(limit + 1)  # one byte over the limit is enough to refuse
    name = (template.filename or "template.docx")[:200]
    try:
        report, stored = document_service.save_user_template(
            data, file_name=name, user=user, max_bytes=limit, keep=not check_only
        )
    except TemplateRejectedError as error:
        return templates_page(request, status_code=422, file_name=name, problems=error.problems)
    status_code = 200 if report.ok else 422
    return templates_page(
        request,
        status_code=status_code,
        file_name=name,
        problems=report.problems,
        stored=stored,
        checked=True,
    )
