import pytest
from pydantic import ValidationError

from app.config import DEFAULT_SECRET, Settings


def test_production_refuses_the_default_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDWRIGHT_ENVIRONMENT", "production")
    monkeypatch.delenv("BIDWRIGHT_SECRET_KEY", raising=False)
    with pytest.raises(ValidationError, match="BIDWRIGHT_SECRET_KEY"):
        Settings()


def test_production_accepts_a_long_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDWRIGHT_ENVIRONMENT", "production")
    monkeypatch.setenv("BIDWRIGHT_SECRET_KEY", "x" * 40)
    assert Settings().secret_key != DEFAULT_SECRET


def test_development_runs_with_the_default_secret_and_an_sqlite_file_under_var(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("BIDWRIGHT_ENVIRONMENT", raising=False)
    settings = Settings()
    assert settings.is_sqlite
    assert settings.database_url.endswith("/var/bidwright.db")


def test_plain_database_url_points_the_app_at_postgresql(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://u@db/bidwright")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@db/bidwright"
    assert not settings.is_sqlite


def test_host_and_port_are_configurable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BIDWRIGHT_HOST", "192.0.2.10")
    monkeypatch.setenv("BIDWRIGHT_PORT", "9000")
    settings = Settings()
    assert (settings.host, settings.port) == ("192.0.2.10", 9000)
