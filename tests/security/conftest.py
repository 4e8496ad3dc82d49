"""Fixtures of the security suite: the seeded app, a logged-in browser and an API token per role."""

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from app.db import write_session
from app.models import User
from app.services import accounts
from app.vocabulary import AccessRole
from tests.web.conftest import open_as, seeded  # noqa: F401  (fixtures shared with the web tests)


@pytest.fixture
def tokens(seeded: Engine) -> dict[AccessRole, str]:  # noqa: F811
    """One API token per role, issued to the seeded user named after the role."""
    issued = {}
    with write_session(seeded) as session:
        for role in AccessRole:
            user = session.exec(select(User).where(User.username == role.value)).one()
            issued[role], _ = accounts.issue_api_token(session, user=user, name="security")
    return issued
