"""Log-in, log-out, language and password change."""

import secrets
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.config import get_settings
from app.deps import SessionDep
from app.security import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    CurrentUser,
    OptionalUser,
    check_login_csrf,
    client_address,
    csrf_protect,
    end_current_session,
    session_policy,
)
from app.services import accounts
from app.services.audit import record_event
from app.vocabulary import Language
from app.web import render

router = APIRouter(tags=["auth"])


def safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after log-in."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _secure_cookies(request: Request) -> bool:
    return request.url.scheme == "https"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, user: OptionalUser, next: str = "/") -> Response:
    if user is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next_path=safe_next(next))


def _login_form(
    request: Request, *, next_path: str, error: str = "", username: str = "", status_code: int = 200
) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {"login_csrf": token, "next": next_path, "error": error, "username": username},
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(request),
        max_age=3600,
    )
    return response


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    login_csrf: Annotated[str, Form(max_length=128)],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    check_login_csrf(request, login_csrf)
    try:
        user = accounts.authenticate(
            session,
            username=username,
            password=password,
            client_address=client_address(request),
            policy=session_policy(),
        )
    except (accounts.LoginRefusedError, accounts.LoginRateLimitedError) as error:
        message = (
            "Too many failed log-ins; try again in an hour."
            if isinstance(error, accounts.LoginRateLimitedError)
            else "Wrong username or password."
        )
        return _login_form(
            request,
            next_path=safe_next(next),
            error=message,
            username=username,
            status_code=error.status_code,
        )
    issued = accounts.start_session(
        session,
        user=user,
        policy=session_policy(),
        client_address=client_address(request),
        user_agent=request.headers.get("User-Agent", ""),
    )
    record_event(session, user=user, action="login", entity_type="user", entity_id=user.id)
    session.commit()
    target = "/account/password" if user.must_change_password else safe_next(next)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        httponly=True,
        samesite="lax",
        secure=_secure_cookies(request),
        max_age=int(get_settings().session_absolute_timeout.total_seconds()),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/logout", dependencies=[Depends(csrf_protect)])
def logout(request: Request, session: SessionDep, user: CurrentUser) -> Response:
    end_current_session(request, session)
    record_event(session, user=user, action="logout", entity_type="user", entity_id=user.id)
    session.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.post("/language", dependencies=[Depends(csrf_protect)])
def switch_language(
    request: Request,
    session: SessionDep,
    user: OptionalUser,
    language: Annotated[Language, Form()],
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Remembered per user (in the account) and, before log-in, in a cookie."""
    if user is not None:
        user.language = language
        session.add(user)
        session.commit()
    response = RedirectResponse(safe_next(next), status_code=303)
    response.set_cookie("bw_lang", language.value, samesite="lax", max_age=365 * 24 * 3600)
    return response


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, user: CurrentUser) -> Response:
    return render(request, "password.html", {"error": ""})


@router.post("/account/password", dependencies=[Depends(csrf_protect)])
def change_password(
    request: Request,
    session: SessionDep,
    user: CurrentUser,
    current_password: Annotated[str, Form(max_length=256)],
    new_password: Annotated[str, Form(max_length=256)],
) -> Response:
    if not accounts.password_hasher.verify(current_password, user.password_hash):
        return render(
            request, "password.html", {"error": "Wrong current password."}, status_code=422
        )
    try:
        accounts.set_password(session, user=user, password=new_password)
    except accounts.WeakPasswordError as error:
        return render(request, "password.html", {"error": str(error)}, status_code=422)
    record_event(
        session, user=user, action="password_changed", entity_type="user", entity_id=user.id
    )
    session.commit()
    return RedirectResponse("/", status_code=303)
