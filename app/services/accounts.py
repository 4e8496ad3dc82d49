"""Users, login sessions, API tokens and login rate limiting.

Sessions are server-side and revocable: the cookie carries a random token, the database
only its SHA-256, so a stolen database does not give working cookies, and logging out (or
an idle or absolute timeout) ends a session for good. A new session is made at every login.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pwdlib import PasswordHash
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from app.db import in_write_transaction, write_session
from app.errors import BidwrightError, NotFoundError
from app.models import ApiToken, LoginAttempt, User, UserSession, utcnow
from app.vocabulary import AccessRole, Language

password_hasher = PasswordHash.recommended()
# Verifying against this keeps unknown usernames as slow as known ones (no user probing).
_DUMMY_HASH = password_hasher.hash(secrets.token_urlsafe(16))
MIN_PASSWORD_LENGTH = 10
API_TOKEN_PREFIX = "bw_"  # noqa: S105 - a visible marker, not a secret


class LoginRefusedError(BidwrightError):
    status_code = 401


class LoginRateLimitedError(BidwrightError):
    status_code = 429


class WeakPasswordError(BidwrightError):
    status_code = 422


@dataclass(frozen=True)
class SessionPolicy:
    idle_timeout: timedelta = timedelta(hours=2)
    absolute_timeout: timedelta = timedelta(hours=12)
    failures_per_account_per_hour: int = 20
    failures_per_address_per_hour: int = 100


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _as_aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def check_password_strength(password: str, *, username: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise WeakPasswordError(f"password must be at least {MIN_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise WeakPasswordError("password must not contain the username")


def create_user(
    session: Session,
    *,
    username: str,
    password: str,
    role: AccessRole,
    display_name: str = "",
    language: Language = Language.ZH,
    must_change_password: bool = False,
) -> User:
    username = username.strip()
    if not username or len(username) > 64:
        raise BidwrightError("username must be 1 to 64 characters")
    if session.exec(select(User).where(User.username == username)).first():
        raise BidwrightError(f"username {username!r} is taken")
    check_password_strength(password, username=username)
    user = User(
        username=username,
        display_name=display_name or username,
        password_hash=password_hasher.hash(password),
        role=role,
        language=language,
        must_change_password=must_change_password,
    )
    session.add(user)
    session.flush()
    return user


def _recent_failures(session: Session, *, since: datetime, **where: str) -> int:
    query = (
        select(func.count())
        .select_from(LoginAttempt)
        .where(col(LoginAttempt.succeeded).is_(False), col(LoginAttempt.attempted_at) >= since)
    )
    for field, value in where.items():
        query = query.where(getattr(LoginAttempt, field) == value)
    return session.exec(query).one()


def authenticate(
    session: Session,
    *,
    username: str,
    password: str,
    client_address: str,
    policy: SessionPolicy,
) -> User:
    """Check a password, refusing without checking once the hourly failure budget is spent."""
    since = utcnow() - timedelta(hours=1)
    if (
        _recent_failures(session, since=since, username=username)
        >= policy.failures_per_account_per_hour
        or _recent_failures(session, since=since, client_address=client_address)
        >= policy.failures_per_address_per_hour
    ):
        raise LoginRateLimitedError("too many failed log-ins; try again in an hour")
    user = session.exec(select(User).where(User.username == username)).first()
    valid = password_hasher.verify(password, user.password_hash if user else _DUMMY_HASH)
    ok = bool(user and user.is_active and valid)
    session.add(
        LoginAttempt(username=username[:64], client_address=client_address[:64], succeeded=ok)
    )
    if not ok or user is None:
        session.commit()  # the failed attempt counts even though the request fails
        raise LoginRefusedError("wrong username or password")
    user.last_login_at = utcnow()
    session.add(user)
    return user


@dataclass(frozen=True)
class IssuedSession:
    token: str
    record: UserSession


def start_session(
    session: Session,
    *,
    user: User,
    policy: SessionPolicy,
    client_address: str = "",
    user_agent: str = "",
) -> IssuedSession:
    token = secrets.token_urlsafe(32)
    record = UserSession(
        token_hash=token_digest(token),
        user_id=user.id or 0,
        csrf_token=secrets.token_urlsafe(32),
        expires_at=utcnow() + policy.absolute_timeout,
        client_address=client_address[:64],
        user_agent=user_agent[:300],
    )
    session.add(record)
    session.flush()
    return IssuedSession(token=token, record=record)


def resolve_session(
    session: Session, *, token: str, policy: SessionPolicy
) -> tuple[UserSession, User] | None:
    """The live session and its user for a cookie token, refreshing the idle clock."""
    record = session.exec(
        select(UserSession).where(UserSession.token_hash == token_digest(token))
    ).first()
    if record is None or record.revoked_at is not None:
        return None
    now = utcnow()
    if _as_aware(record.expires_at) <= now or (
        _as_aware(record.last_seen_at) + policy.idle_timeout <= now
    ):
        return None
    user = session.get(User, record.user_id)
    if user is None or not user.is_active:
        return None
    if now - _as_aware(record.last_seen_at) > timedelta(minutes=1):
        _touch(session, record_id=record.id or 0, now=now)
    return record, user


def _touch(session: Session, *, record_id: int, now: datetime) -> None:
    """Refresh the idle clock, at most once a minute.

    In a write request the update joins the request's transaction (a second writer would
    wait for the lock this request holds). In a read request it gets a write transaction of
    its own: upgrading the read would fail at once on SQLite whenever another writer
    committed since it began (WAL snapshot).
    """
    statement = update(UserSession).where(col(UserSession.id) == record_id)
    if in_write_transaction(session):
        session.execute(statement.values(last_seen_at=now))
        return
    with write_session(session.get_bind()) as writer:  # type: ignore[arg-type]
        writer.execute(statement.values(last_seen_at=now))


def end_session(session: Session, *, record: UserSession) -> None:
    record.revoked_at = utcnow()
    session.add(record)


def issue_api_token(session: Session, *, user: User, name: str) -> tuple[str, ApiToken]:
    """Create a token; the plain value is returned once and never stored."""
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        user_id=user.id or 0, name=name[:100], token_hash=token_digest(token), prefix=token[:10]
    )
    session.add(record)
    session.flush()
    return token, record


def user_for_api_token(session: Session, *, token: str) -> User | None:
    record = session.exec(
        select(ApiToken).where(ApiToken.token_hash == token_digest(token))
    ).first()
    if record is None or record.revoked_at is not None:
        return None
    user = session.get(User, record.user_id)
    return user if user is not None and user.is_active else None


def revoke_api_token(session: Session, *, token_id: int) -> ApiToken:
    record = session.get(ApiToken, token_id)
    if record is None:
        raise NotFoundError(f"API token {token_id} does not exist")
    record.revoked_at = record.revoked_at or utcnow()
    session.add(record)
    return record


def set_password(session: Session, *, user: User, password: str) -> None:
    check_password_strength(password, username=user.username)
    user.password_hash = password_hasher.hash(password)
    user.must_change_password = False
    session.add(user)


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_first_admin(session: Session) -> tuple[str, str] | None:
    """An ``admin`` with a random one-time password, only when there is no user at all."""
    if session.exec(select(User.id).limit(1)).first() is not None:
        return None
    password = generate_password()
    create_user(
        session,
        username="admin",
        password=password,
        role=AccessRole.ADMIN,
        display_name="Administrator",
        must_change_password=True,
    )
    return "admin", password
