"""One JSON line per request, and an ``X-Request-ID`` on every response.

The line holds the request id, method, path, status, duration in milliseconds and the
user's id (null when anonymous). Query strings are logged with the values of secret-like
parameters replaced, so a token in a URL never reaches the logs. A client's or proxy's
``X-Request-ID`` is kept when it looks like an id (letters, digits, ``.-_:``, at most 128
characters), so one id follows a request across services; otherwise a new one is made.
"""

import json
import logging
import re
import sys
import time
import uuid
from typing import Any
from urllib.parse import parse_qsl, urlencode

from sqlalchemy import inspect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

LOGGER_NAME = "bidwright.requests"
HEADER = "X-Request-ID"
_SANE_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_SECRET_PARAMETER = re.compile(r"token|password|passwd|secret|key|csrf|session|auth", re.I)
REDACTED = "***"

logger = logging.getLogger(LOGGER_NAME)
logger.setLevel(logging.INFO)  # the lines are the product here, whatever the root's level


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        return


def configure_logging() -> None:
    """Write request lines to stderr, one JSON object each, unless already configured."""
    if logger.handlers:
        return
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger.addHandler(handler)
    logger.propagate = False


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    """The incoming id when it is sane, else a new random one."""
    for name, value in headers:
        if name.lower() == HEADER.lower().encode():
            candidate = value.decode("latin-1").strip()
            if _SANE_ID.fullmatch(candidate):
                return candidate
            break
    return uuid.uuid4().hex


def loggable_path(path: str, query_string: bytes) -> str:
    """The path, plus the query with secret-like parameters' values replaced."""
    if not query_string:
        return path
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    safe = [(name, REDACTED if _SECRET_PARAMETER.search(name) else value) for name, value in pairs]
    return f"{path}?{urlencode(safe)}"


def _user_id(scope: Scope) -> int | None:
    """The user's primary key, read from the identity map: reading ``user.id`` could try to
    reload an expired, detached row after the request's session has closed."""
    user = scope.get("state", {}).get("user")
    state = inspect(user, raiseerr=False) if user is not None else None
    identity = state.identity if state is not None else None
    return int(identity[0]) if identity else None


class RequestLogMiddleware:
    """Outermost app middleware: ids every request, logs it once it has been answered."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((HEADER.lower().encode(), request_id.encode()))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log(scope, request_id=request_id, status=status, started=started)


def _log(scope: Scope, *, request_id: str, status: int, started: float) -> None:
    line: dict[str, Any] = {
        "request_id": request_id,
        "method": scope["method"],
        "path": loggable_path(scope["path"], scope.get("query_string", b"")),
        "status": status,
        "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        "user_id": _user_id(scope),
    }
    logger.info(json.dumps(line, ensure_ascii=False))
