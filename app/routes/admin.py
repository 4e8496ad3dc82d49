"""Administration: users, API tokens (a user's own, and everyone's for admins), the audit log.

Responses that show a one-time password or a new API token are sent with
``Cache-Control: no-store`` and are never redirects: the secret is shown once, in the
response to the request that made it, and nowhere else.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlmodel import Session

from app import forms
from app.deps import SessionDep
from app.errors import ConcurrentEditError, FieldError
from app.models import User
from app.security import CurrentUser, csrf_protect, require
from app.services import account_admin
from app.vocabulary import AccessRole, Language
from app.web import render, wants_fragment

router = APIRouter(tags=["admin"], dependencies=[Depends(csrf_protect)])
Admin = Annotated[User, Depends(require(AccessRole.ADMIN))]
NO_STORE = {"Cache-Control": "no-store"}


# --- Users -----------------------------------------------------------------------------------


def users_page(
    request: Request, session: Session, *, status_code: int = 200, **extra: Any
) -> Response:
    context = {"users": account_admin.list_users(session), "values": {}, **extra}
    headers = NO_STORE if "one_time_password" in extra else None
    return render(
        request,
        "admin_users.html",
        context,
        block="users",
        status_code=status_code,
        headers=headers,
    )


@router.get("/admin/users", response_class=HTMLResponse)
def user_list(request: Request, session: SessionDep, user: Admin) -> Response:
    return users_page(request, session)


def _new_user(username: str, display_name: str, role: str, language: str) -> account_admin.NewUser:
    name = forms.text("username", username, max_length=64, required=True)
    if any(char.isspace() for char in name):
        raise FieldError("username", f"{name!r} must not contain spaces")
    return account_admin.NewUser(
        username=name,
        display_name=forms.text("display_name", display_name, max_length=100) or name,
        role=forms.choice("role", role, AccessRole),
        language=forms.choice("language", language, Language),
    )


@router.post("/admin/users")
def create_user(
    request: Request,
    session: SessionDep,
    user: Admin,
    username: Annotated[str, Form(max_length=200)] = "",
    display_name: Annotated[str, Form(max_length=300)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    language: Annotated[str, Form(max_length=5)] = "zh",
) -> Response:
    values = {"username": username, "display_name": display_name, "role": role}
    try:
        new = _new_user(username, display_name, role, language)
        created, password = account_admin.create_user(session, actor=user, new=new)
    except FieldError as error:
        session.rollback()
        return users_page(request, session, status_code=422, error=error, values=values)
    session.commit()
    return users_page(request, session, one_time_password=password, secret_for=created.username)


def _refused(request: Request, session: Session, error: Exception) -> Response:
    """The refreshed list with the reason nothing changed (409)."""
    session.rollback()
    return users_page(request, session, status_code=409, conflict=str(error))


def _set_active(
    request: Request,
    session: Session,
    actor: User,
    user_id: int,
    lock_version: int,
    *,
    active: bool,
) -> Response:
    try:
        account_admin.set_active(
            session,
            actor=actor,
            user_id=user_id,
            active=active,
            expected_lock_version=lock_version,
        )
    except (FieldError, ConcurrentEditError) as error:
        return _refused(request, session, error)
    session.commit()
    if wants_fragment(request):
        return users_page(request, session)
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/deactivate")
def deactivate_user(
    request: Request,
    session: SessionDep,
    user: Admin,
    user_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    return _set_active(request, session, user, user_id, lock_version, active=False)


@router.post("/admin/users/{user_id}/reactivate")
def reactivate_user(
    request: Request,
    session: SessionDep,
    user: Admin,
    user_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    return _set_active(request, session, user, user_id, lock_version, active=True)


@router.post("/admin/users/{user_id}/reset-password")
def reset_password(
    request: Request,
    session: SessionDep,
    user: Admin,
    user_id: int,
    lock_version: Annotated[int, Form()],
) -> Response:
    try:
        target, password = account_admin.reset_password(
            session, actor=user, user_id=user_id, expected_lock_version=lock_version
        )
    except ConcurrentEditError as error:
        return _refused(request, session, error)
    session.commit()
    return users_page(request, session, one_time_password=password, secret_for=target.username)


# --- API tokens ------------------------------------------------------------------------------


def tokens_page(
    request: Request, session: Session, *, everyone: bool, status_code: int = 200, **extra: Any
) -> Response:
    owner_id = None if everyone else request.state.user.id
    context = {
        "tokens": account_admin.list_tokens(session, owner_id=owner_id),
        "everyone": everyone,
        "base": "/admin/tokens" if everyone else "/account/tokens",
        **extra,
    }
    headers = NO_STORE if "new_token" in extra else None
    return render(
        request, "tokens.html", context, block="tokens", status_code=status_code, headers=headers
    )


@router.get("/account/tokens", response_class=HTMLResponse)
def my_tokens(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    return tokens_page(request, session, everyone=False)


@router.post("/account/tokens")
def create_token(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    name: Annotated[str, Form(max_length=300)] = "",
) -> Response:
    try:
        label = forms.text("name", name, max_length=100, required=True)
    except FieldError as error:
        return tokens_page(request, session, everyone=False, status_code=422, error=error)
    plain = account_admin.issue_token(session, user=user, name=label)
    session.commit()
    return tokens_page(request, session, everyone=False, new_token=plain)


def _revoke(
    request: Request, session: Session, user: User, token_id: int, *, everyone: bool
) -> Response:
    owner_id = None if everyone else user.id
    account_admin.revoke_token(session, actor=user, token_id=token_id, owner_id=owner_id)
    session.commit()
    if wants_fragment(request):
        return tokens_page(request, session, everyone=everyone)
    return RedirectResponse("/admin/tokens" if everyone else "/account/tokens", status_code=303)


@router.post("/account/tokens/{token_id}/revoke")
def revoke_my_token(
    request: Request, session: SessionDep, user: CurrentUser, token_id: int
) -> Response:
    return _revoke(request, session, user, token_id, everyone=False)


@router.get("/admin/tokens", response_class=HTMLResponse)
def all_tokens(request: Request, session: SessionDep, user: Admin) -> Response:
    return tokens_page(request, session, everyone=True)


@router.post("/admin/tokens/{token_id}/revoke")
def revoke_any_token(request: Request, session: SessionDep, user: Admin, token_id: int) -> Response:
    return _revoke(request, session, user, token_id, everyone=True)


# --- Audit log -------------------------------------------------------------------------------


@router.get("/admin/audit", response_class=HTMLResponse)
def audit_log(request: Request, session: SessionDep, user: Admin) -> Response:
    events = account_admin.audit_rows(session)
    return render(request, "audit.html", {"events": events}, block="events")
