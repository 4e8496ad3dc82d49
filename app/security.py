"""Who is asking, may they, and is the request what it claims to be.

- Browser requests authenticate with the server-side session cookie and must carry the
  session's CSRF token (form field ``csrf_token`` or header ``X-CSRF-Token``) on every
  state-changing method. API requests authenticate with ``Authorization: Bearer <token>``,
  which a browser never sends on its own, so they need no CSRF token.
- Every response carries the security headers; request bodies are capped (413 beyond).
"""

import secrets
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.exc import DataError
from sqlmodel import Session
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.config import get_settings
from app.deps import SessionDep
from app.errors import BidwrightError
from app.models import User
from app.services import accounts
from app.vocabulary import AccessRole, can_see_cost

SESSION_COOKIE = "bw_session"
LOGIN_CSRF_COOKIE = "bw_login_csrf"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'self'; "
    "frame-ancestors 'none'; object-src 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class LoginRequiredError(BidwrightError):
    status_code = 401


class ForbiddenError(BidwrightError):
    status_code = 403


class CsrfError(BidwrightError):
    status_code = 403


class PayloadTooLargeError(Exception):
    pass


def session_policy() -> accounts.SessionPolicy:
    settings = get_settings()
    return accounts.SessionPolicy(
        idle_timeout=settings.session_idle_timeout,
        absolute_timeout=settings.session_absolute_timeout,
        failures_per_account_per_hour=settings.login_failures_per_account_per_hour,
        failures_per_address_per_hour=settings.login_failures_per_address_per_hour,
    )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def load_user(request: Request, session: SessionDep) -> User | None:
    """Attach the caller (if any) to ``request.state``; never raises for anonymous calls."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return]
    request.state.user = None
    request.state.csrf_token = ""
    request.state.via_api_token = False
    token = _bearer_token(request)
    if token is not None:
        request.state.user = accounts.user_for_api_token(session, token=token)
        request.state.via_api_token = request.state.user is not None
        return request.state.user  # type: ignore[no-any-return]
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = accounts.resolve_session(session, token=cookie, policy=session_policy())
        if found is not None:
            record, user = found
            # Detached, so a rollback later in the request cannot expire what the error
            # page needs to show (who is logged in); routes that change it re-add it.
            session.expunge(user)
            request.state.user = user
            request.state.session_record = record
            request.state.csrf_token = record.csrf_token
    return request.state.user  # type: ignore[no-any-return]


OptionalUser = Annotated[User | None, Depends(load_user)]


def current_user(user: OptionalUser) -> User:
    if user is None:
        raise LoginRequiredError("please log in")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def require(*roles: AccessRole) -> Callable[[User], User]:
    """A dependency that lets only ``roles`` through (403 for the others)."""
    allowed = frozenset(roles)

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise ForbiddenError("you do not have access to this page")
        return user

    return check


async def csrf_protect(request: Request, user: OptionalUser) -> None:
    """Refuse a state-changing browser request without the session's CSRF token."""
    if request.method not in UNSAFE_METHODS or getattr(request.state, "via_api_token", False):
        return
    # Before log-in the only form is the language switch on the log-in page: it carries the
    # log-in form's token (double-submit against its cookie).
    expected = (
        request.state.csrf_token if user is not None else request.cookies.get(LOGIN_CSRF_COOKIE, "")
    )
    supplied = request.headers.get("X-CSRF-Token")
    if supplied is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get("csrf_token")
        supplied = value if isinstance(value, str) else None
    if not expected or not supplied or not secrets.compare_digest(expected, supplied):
        raise CsrfError("the form expired or did not come from this site; reload and retry")


def check_login_csrf(request: Request, supplied: str) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not supplied or not secrets.compare_digest(expected, supplied):
        raise CsrfError("the log-in form expired; reload the page and try again")


def user_sees_cost(user: User | None) -> bool:
    return user is not None and can_see_cost(user.role)


def end_current_session(request: Request, session: Session) -> None:
    record = getattr(request.state, "session_record", None)
    if record is not None:
        accounts.end_session(session, record=record)


class SecurityMiddleware:
    """Security headers on every response, and a cap on request bodies (413 beyond it)."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_body_bytes:
            await _send_too_large(send, self.max_body_bytes)
            return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise PayloadTooLargeError
            return message

        async def send_with_headers(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                # A route may set a stricter or narrower policy (e.g. SVG charts); keep it.
                headers += [
                    (name, value) for name, value in SECURITY_HEADERS if name not in present
                ]
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except PayloadTooLargeError:
            if not response_started:
                await _send_too_large(send, self.max_body_bytes)
        except (OverflowError, DataError):
            # A number beyond what an id column holds (64 bits on SQLite, 32 on PostgreSQL)
            # reaches the database driver, which cannot bind or compare it: the request
            # names nothing that can exist.
            if response_started:
                raise
            await _send_plain(send, 400, b"a number in the request is too large")


async def _send_too_large(send: Callable[[Message], Awaitable[Any]], limit: int) -> None:
    await _send_plain(send, 413, f"request body larger than {limit:,} bytes".encode())


async def _send_plain(send: Callable[[Message], Awaitable[Any]], status: int, body: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *SECURITY_HEADERS,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
