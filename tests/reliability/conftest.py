"""Fixtures for the reliability tests: a migrated, seeded database the settings point at."""

from collections.abc import Iterator

import pytest

from app.config import get_settings
from app.db import get_engine, make_engine, write_session
from app.migrate import upgrade
from app.services import accounts
from app.services.seed import seed_all
from app.vocabulary import AccessRole
from tests.conftest import DATA_DIR

PASSWORD = "correct horse battery"


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``database_url`` migrated to head and seeded, with one user per role; the settings
    (and so the CLI) point at it."""
    upgrade(database_url)
    database = make_engine(database_url)
    with write_session(database) as session:
        seed_all(session, DATA_DIR)
        for role in AccessRole:
            accounts.create_user(session, username=role.value, password=PASSWORD, role=role)
    database.dispose()
    monkeypatch.setenv("DATABASE_URL", database_url)
    get_settings.cache_clear()
    get_engine.cache_clear()
    yield database_url
    get_engine().dispose()
    get_settings.cache_clear()
    get_engine.cache_clear()


# The web fixtures (a seeded app, clients logged in per role) for the HTTP-level tests.
from tests.web.conftest import open_as, seeded  # noqa: E402, F401
