"""Administration of accounts: users, one-time passwords, API tokens and the audit log.

One-time passwords and plain API tokens are returned to the caller once and never stored
or logged; only their hashes reach the database, and audit events never carry them.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from app.errors import ConcurrentEditError, FieldError, NotFoundError
from app.models import ApiToken, AuditEvent, User, UserSession
from app.services import accounts
from app.services.audit import record_event
from app.vocabulary import AccessRole, Language


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    role: str
    language: str
    is_active: bool
    must_change_password: bool
    last_login_at: datetime | None
    lock_version: int


@dataclass(frozen=True)
class TokenRow:
    id: int
    username: str
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class AuditRow:
    occurred_at: datetime
    username: str
    action: str
    entity_type: str
    entity_id: int | None
    summary: str


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    role: AccessRole
    language: Language


# --- Users -----------------------------------------------------------------------------------


def list_users(session: Session) -> list[UserRow]:
    users = session.exec(select(User).order_by(col(User.username))).all()
    return [
        UserRow(
            id=user.id or 0,
            username=user.username,
            display_name=user.display_name,
            role=user.role.value,
            language=user.language.value,
            is_active=user.is_active,
            must_change_password=user.must_change_password,
            last_login_at=user.last_login_at,
            lock_version=user.lock_version,
        )
        for user in users
    ]


def one_time_password(username: str) -> str:
    """A random password that passes the strength rules for ``username``."""
    while True:
        password = accounts.generate_password()
        try:
            accounts.check_password_strength(password, username=username)
        except accounts.WeakPasswordError:
            continue
        return password


def create_user(session: Session, *, actor: User, new: NewUser) -> tuple[User, str]:
    """The new user and their one-time password (to be changed at the first log-in)."""
    if session.exec(select(User.id).where(User.username == new.username)).first() is not None:
        raise FieldError("username", f"{new.username!r} is taken")
    password = one_time_password(new.username)
    user = accounts.create_user(
        session,
        username=new.username,
        password=password,
        role=new.role,
        display_name=new.display_name,
        language=new.language,
        must_change_password=True,
    )
    _record(session, actor, "create_user", user, f"{user.username} ({user.role.value})")
    return user, password


def _user_for_change(session: Session, user_id: int, expected_lock_version: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFoundError(f"user {user_id} does not exist")
    if user.lock_version != expected_lock_version:
        raise ConcurrentEditError(
            f"user {user.username!r} was changed by someone else (or logged in) since the "
            "list was loaded; nothing was changed: the current state is shown"
        )
    return user


def _end_sessions(session: Session, user: User) -> None:
    live = session.exec(
        select(UserSession).where(
            UserSession.user_id == user.id, col(UserSession.revoked_at).is_(None)
        )
    ).all()
    for record in live:
        accounts.end_session(session, record=record)


def set_active(
    session: Session, *, actor: User, user_id: int, active: bool, expected_lock_version: int
) -> User:
    """Deactivate (ending every session of the user) or reactivate an account."""
    user = _user_for_change(session, user_id, expected_lock_version)
    if not active and user.id == actor.id:
        raise FieldError("user", "you cannot deactivate your own account")
    user.is_active = active
    session.add(user)
    if not active:
        _end_sessions(session, user)
    session.flush()
    _record(session, actor, "activate" if active else "deactivate", user, user.username)
    return user


def reset_password(
    session: Session, *, actor: User, user_id: int, expected_lock_version: int
) -> tuple[User, str]:
    """A new one-time password for the user; their sessions end and they must change it."""
    user = _user_for_change(session, user_id, expected_lock_version)
    password = one_time_password(user.username)
    user.password_hash = accounts.password_hasher.hash(password)
    user.must_change_password = True
    session.add(user)
    _end_sessions(session, user)
    session.flush()
    _record(session, actor, "reset_password", user, user.username)
    return user, password


# --- API tokens ------------------------------------------------------------------------------


def list_tokens(session: Session, *, owner_id: int | None = None) -> list[TokenRow]:
    """Tokens of one user, or of everyone when ``owner_id`` is None; newest first."""
    query = select(ApiToken, User).join(User, col(ApiToken.user_id) == col(User.id))
    if owner_id is not None:
        query = query.where(ApiToken.user_id == owner_id)
    rows = session.exec(query.order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc()))
    return [
        TokenRow(
            id=token.id or 0,
            username=user.username,
            name=token.name,
            prefix=token.prefix,
            created_at=token.created_at,
            last_used_at=token.last_used_at,
            revoked_at=token.revoked_at,
        )
        for token, user in rows
    ]


def issue_token(session: Session, *, user: User, name: str) -> str:
    """A new token for ``user``; the plain value is returned once and never stored."""
    plain, record = accounts.issue_api_token(session, user=user, name=name)
    record_event(
        session,
        user=user,
        action="issue_token",
        entity_type="api_token",
        entity_id=record.id,
        summary=f"{name} ({record.prefix}…)",
    )
    return plain


def revoke_token(session: Session, *, actor: User, token_id: int, owner_id: int | None) -> None:
    """Revoke a token; with ``owner_id`` only that user's own tokens are found."""
    token = session.get(ApiToken, token_id)
    if token is None or (owner_id is not None and token.user_id != owner_id):
        raise NotFoundError(f"API token {token_id} does not exist")
    accounts.revoke_api_token(session, token_id=token_id)
    record_event(
        session,
        user=actor,
        action="revoke_token",
        entity_type="api_token",
        entity_id=token_id,
        summary=f"{token.name} ({token.prefix}…)",
    )


# --- Audit log -------------------------------------------------------------------------------


def audit_rows(session: Session, *, limit: int = 200) -> list[AuditRow]:
    """The most recent audit events, newest first, with who did them."""
    query = (
        select(AuditEvent, User)
        .join(User, col(AuditEvent.user_id) == col(User.id), isouter=True)
        .order_by(col(AuditEvent.occurred_at).desc(), col(AuditEvent.id).desc())
        .limit(limit)
    )
    return [
        AuditRow(
            occurred_at=event.occurred_at,
            username=user.username if user is not None else "—",
            action=event.action,
            entity_type=event.entity_type,
            entity_id=event.entity_id,
            summary=event.summary,
        )
        for event, user in session.exec(query)
    ]


def _record(session: Session, actor: User, action: str, user: User, summary: str) -> None:
    record_event(
        session, user=actor, action=action, entity_type="user", entity_id=user.id, summary=summary
    )
