"""Catalogs: browse, search and export versions; admins edit drafts, publish and import."""

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from app import forms
from app.config import get_settings
from app.deps import SessionDep
from app.downloads import XLSX_MEDIA_TYPE, attachment
from app.errors import ConcurrentEditError, FieldError, ImmutableRecordError, ImportRejectedError
from app.models import CatalogVersion, User
from app.security import CurrentUser, csrf_protect, require
from app.services import catalog as catalog_service
from app.services import catalog_admin
from app.vocabulary import (
    PHASE_LABELS,
    UNIT_LABELS,
    AccessRole,
    Distribution,
    Language,
    Phase,
    Unit,
)
from app.web import language_of, render, text_fields, wants_fragment

router = APIRouter(tags=["catalogs"], dependencies=[Depends(csrf_protect)])
Admin = Annotated[User, Depends(require(AccessRole.ADMIN))]
_TAG_SPLIT = re.compile(r"\s*[,，;；、]\s*")
MAX_TAGS = 30


# --- Catalog list and import -----------------------------------------------------------------


def catalogs_page(
    request: Request,
    session: Session,
    *,
    block: str | None = "catalogs",
    status_code: int = 200,
    **extra: Any,
) -> Response:
    language = language_of(request)
    context = {
        "catalogs": catalog_admin.catalog_overview(session, language),
        "targets": catalog_admin.catalog_choices(session, language),
        "is_admin": request.state.user.role == AccessRole.ADMIN,
        **extra,
    }
    return render(request, "catalogs.html", context, block=block, status_code=status_code)


@router.get("/catalogs", response_class=HTMLResponse)
def catalog_list(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return catalogs_page(request, session)


def _import_upload(
    session: Session, user: User, workbook: UploadFile, catalog_code: str
) -> CatalogVersion:
    limit = get_settings().max_upload_bytes
    return catalog_admin.import_workbook(
        session,
        user=user,
        data=workbook.file.read(limit + 1),  # one byte over the limit is enough to refuse
        file_name=(workbook.filename or "upload.xlsx")[:200],
        max_bytes=limit,
        catalog_code=catalog_code.strip() or None,
    )


@router.post("/catalogs/import")
def import_catalog(
    request: Request,
    session: SessionDep,
    user: Admin,
    workbook: Annotated[UploadFile, File()],
    catalog_code: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """A new draft from an uploaded workbook, or a 422 report of every problem in it."""
    try:
        version = _import_upload(session, user, workbook, catalog_code)
    except ImportRejectedError as error:
        session.rollback()
        return catalogs_page(
            request, session, block="import", status_code=422, problems=error.problems
        )
    session.commit()
    return RedirectResponse(f"/catalog-versions/{version.id}", status_code=303)


# --- One version -----------------------------------------------------------------------------


def version_page(
    request: Request,
    session: Session,
    version_id: int,
    *,
    block: str | None = None,
    status_code: int = 200,
    query: str = "",
    **extra: Any,
) -> Response:
    language = language_of(request)
    context = {
        "version": catalog_admin.version_view(session, version_id, language),
        "items": catalog_admin.browse_items(session, version_id, query, language),
        "query": query,
        "is_admin": request.state.user.role == AccessRole.ADMIN,
        "roles": catalog_admin.role_choices(session, language),
        "choices": _item_choices(language),
        **extra,
    }
    return render(request, "catalog_version.html", context, block=block, status_code=status_code)


def _item_choices(language: Language) -> dict[str, list[tuple[str, str]]]:
    index = 0 if language == Language.ZH else 1
    return {
        "phases": [(phase.value, labels[index]) for phase, labels in PHASE_LABELS.items()],
        "units": [(unit.value, labels[index]) for unit, labels in UNIT_LABELS.items()],
        "distributions": [(option.value, option.value) for option in Distribution],
    }


def _after_version_change(
    request: Request, session: Session, version_id: int, block: str
) -> Response:
    """htmx gets the refreshed region; a plain form post goes back to the page (PRG)."""
    if wants_fragment(request):
        return version_page(request, session, version_id, block=block)
    return RedirectResponse(f"/catalog-versions/{version_id}#{block}", status_code=303)


@router.get("/catalog-versions/{version_id}", response_class=HTMLResponse)
def catalog_version(
    request: Request, session: SessionDep, user: CurrentUser, version_id: int, q: str = ""
) -> Response:
    return version_page(request, session, version_id, block="items", query=q[:200])


@router.get("/catalog-versions/{version_id}/export.xlsx")
def export_catalog_version(
    request: Request, session: SessionDep, user: CurrentUser, version_id: int
) -> Response:
    version = catalog_service.get_catalog_version(session, version_id)
    body = catalog_service.export_catalog_workbook(session, version=version)
    name, fallback = catalog_admin.export_file_name(session, version_id, language_of(request))
    headers = {"Content-Disposition": attachment(name, fallback=fallback)}
    return Response(body, media_type=XLSX_MEDIA_TYPE, headers=headers)


@router.post("/catalog-versions/{version_id}/new-draft")
def new_catalog_draft(session: SessionDep, user: Admin, version_id: int) -> Response:
    draft = catalog_admin.new_draft(session, user=user, version_id=version_id)
    session.commit()
    return RedirectResponse(f"/catalog-versions/{draft.id}", status_code=303)


@router.post("/catalog-versions/{version_id}/publish")
def publish_catalog_version(
    request: Request,
    session: SessionDep,
    user: Admin,
    version_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    try:
        catalog_admin.publish(
            session, user=user, version_id=version_id, expected_lock_version=lock_version
        )
    except (ConcurrentEditError, ImmutableRecordError) as error:
        session.rollback()
        return version_page(
            request, session, version_id, block="version", status_code=409, conflict=str(error)
        )
    session.commit()
    return _after_version_change(request, session, version_id, "version")


# --- Items of a draft ------------------------------------------------------------------------


def _tags(raw: str | None) -> list[str]:
    tags = [tag for tag in _TAG_SPLIT.split((raw or "").strip()) if tag]
    if len(tags) > MAX_TAGS or any(len(tag) > 50 for tag in tags):
        raise FieldError("tags", f"at most {MAX_TAGS} tags of at most 50 characters each")
    return tags


def _estimates(form: dict[str, str], role_codes: list[str]) -> dict[str, Any]:
    """Per role, the triple; a role whose three boxes are all empty has no estimate."""
    estimates = {}
    for code in role_codes:
        prefix = f"role_{code}_"
        raw = [form.get(prefix + part, "") for part in catalog_admin.TRIPLE_PARTS]
        if any(value.strip() for value in raw):
            estimates[code] = forms.triple(prefix, *raw)
    if not estimates:
        raise FieldError("estimates", "give at least one role's three values")
    return estimates


def parse_item(form: dict[str, str], role_codes: list[str]) -> catalog_admin.ItemChanges:
    return catalog_admin.ItemChanges(
        name_zh=forms.text("name_zh", form.get("name_zh"), max_length=300, required=True),
        name_en=forms.text("name_en", form.get("name_en"), max_length=300, required=True),
        description_zh=forms.text("description_zh", form.get("description_zh"), max_length=5000),
        description_en=forms.text("description_en", form.get("description_en"), max_length=5000),
        phase=forms.choice("phase", form.get("phase"), Phase),
        unit=forms.choice("unit", form.get("unit"), Unit),
        distribution=forms.choice("distribution", form.get("distribution"), Distribution),
        tags=_tags(form.get("tags")),
        estimates=_estimates(form, role_codes),
    )


def _item_code(raw: str | None) -> str:
    code = forms.text("code", raw, max_length=64, required=True)
    if any(char.isspace() for char in code):
        raise FieldError("code", f"{code!r} must not contain spaces")
    return code


def _role_codes(session: Session) -> list[str]:
    return list(catalog_service.roles_by_code(session))


@router.post("/catalog-versions/{version_id}/items")
async def add_catalog_item(
    request: Request, session: SessionDep, user: Admin, version_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_add_item, request, session, user, version_id, form)


def _add_item(
    request: Request, session: Session, user: User, version_id: int, form: dict[str, str]
) -> Response:
    try:
        code = _item_code(form.get("code"))
        changes = parse_item(form, _role_codes(session))
        catalog_admin.add_item(
            session, user=user, version_id=version_id, code=code, changes=changes
        )
    except FieldError as error:
        session.rollback()
        extra: dict[str, Any] = {"add_error": error, "add_values": form}
        return version_page(request, session, version_id, block="items", status_code=422, **extra)
    except ImmutableRecordError as error:
        session.rollback()
        return version_page(
            request, session, version_id, block="items", status_code=409, items_error=str(error)
        )
    session.commit()
    return _after_version_change(request, session, version_id, "items")


def _item_editor(
    request: Request,
    session: Session,
    item_id: int,
    *,
    values: dict[str, str] | None = None,
    error: FieldError | None = None,
    conflict: str = "",
    status_code: int = 200,
) -> Response:
    language = language_of(request)
    context = {
        "item": catalog_admin.item_view_by_id(session, item_id, language),
        "values": values
        if values is not None
        else catalog_admin.item_form_values(session, item_id),
        "error": error,
        "conflict": conflict,
        "roles": catalog_admin.role_choices(session, language),
        "choices": _item_choices(language),
    }
    return render(request, "catalog_item_edit.html", context, block="row", status_code=status_code)


@router.get("/work-items/{item_id}/edit", response_class=HTMLResponse)
def edit_catalog_item(request: Request, session: SessionDep, user: Admin, item_id: int) -> Response:
    try:
        catalog_admin.editable_item(session, item_id)
    except ImmutableRecordError as error:
        return _item_editor(request, session, item_id, conflict=str(error), status_code=409)
    return _item_editor(request, session, item_id)


@router.get("/work-items/{item_id}/row", response_class=HTMLResponse)
def catalog_item_row(
    request: Request, session: SessionDep, user: CurrentUser, item_id: int
) -> Response:
    item = catalog_admin.item_view_by_id(session, item_id, language_of(request))
    if not wants_fragment(request):
        return RedirectResponse(
            f"/catalog-versions/{item.version_id}#item-{item_id}", status_code=303
        )
    version = catalog_admin.version_view(session, item.version_id, language_of(request))
    context = {"item": item, "version": version, "is_admin": user.role == AccessRole.ADMIN}
    return render(request, "catalog_item_row.html", context, block="row")


@router.post("/work-items/{item_id}")
async def save_catalog_item(
    request: Request, session: SessionDep, user: Admin, item_id: int
) -> Response:
    form = await text_fields(request)
    return await run_in_threadpool(_save_item, request, session, user, item_id, form)


def _save_item(
    request: Request, session: Session, user: User, item_id: int, form: dict[str, str]
) -> Response:
    try:
        changes = parse_item(form, _role_codes(session))
        expected = forms.integer("lock_version", form.get("lock_version"), minimum=1, maximum=2**31)
        catalog_admin.update_item(
            session, user=user, item_id=item_id, expected_lock_version=expected, changes=changes
        )
    except FieldError as error:
        session.rollback()
        return _item_editor(request, session, item_id, values=form, error=error, status_code=422)
    except (ConcurrentEditError, ImmutableRecordError) as error:
        session.rollback()
        return _item_editor(request, session, item_id, conflict=str(error), status_code=409)
    session.commit()
    if not wants_fragment(request):
        version_id = catalog_admin.get_item(session, item_id).catalog_version_id
        return RedirectResponse(f"/catalog-versions/{version_id}#item-{item_id}", status_code=303)
    return catalog_item_row(request, session, user, item_id)


@router.post("/work-items/{item_id}/delete")
def delete_catalog_item(
    request: Request,
    session: SessionDep,
    user: Admin,
    item_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    version_id = catalog_admin.get_item(session, item_id).catalog_version_id or 0
    try:
        catalog_admin.delete_item(
            session, user=user, item_id=item_id, expected_lock_version=lock_version
        )
    except (ConcurrentEditError, ImmutableRecordError) as error:
        session.rollback()
        extra = {"items_error": str(error)}
        return version_page(request, session, version_id, block="items", status_code=409, **extra)
    session.commit()
    return _after_version_change(request, session, version_id, "items")
