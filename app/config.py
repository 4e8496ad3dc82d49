"""Settings from the environment (prefix ``BIDWRIGHT_``, plus plain ``DATABASE_URL``)."""

from __future__ import annotations

from datetime import timedelta
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "dev-only-not-secret"  # noqa: S105 - refused outside development


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BIDWRIGHT_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'var' / 'bidwright.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "BIDWRIGHT_DATABASE_URL"),
    )
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Web server processes under `bidwright serve`: one Python process renders pages on
    # one core at a time (measured: 20 users queued behind each other on a 2-core host).
    workers: int = Field(default=2, ge=1, le=64)
    secret_key: str = DEFAULT_SECRET
    data_dir: Path = PROJECT_ROOT / "data"
    # Our company as the proposal's cover and the quote's header print it; empty means
    # the placeholder text, which reminds the bid team to set it.
    company_name: str = Field(default="", max_length=200)
    # Uploaded proposal templates (.docx), one file per template, named by its SHA-256.
    template_dir: Path = PROJECT_ROOT / "var" / "proposal_templates"
    default_currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)
    max_upload_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    # Bid intake: a customer's requirement workbook larger than this is refused whole.
    intake_max_bytes: int = Field(default=50 * 1024 * 1024, gt=0)
    # Forms and JSON are small; only file uploads may approach max_upload_bytes.
    max_request_bytes: int = Field(default=55 * 1024 * 1024, gt=0)
    # Bid intake: rows a requirement workbook may hold, how long an unconfirmed upload is
    # kept, and after how many days an answer-library entry counts as stale.
    intake_max_rows: int = Field(default=100_000, gt=0)
    intake_draft_hours: int = Field(default=24, gt=0)
    answer_stale_days: int = Field(default=365, gt=0)
    session_idle_timeout: timedelta = timedelta(hours=2)
    session_absolute_timeout: timedelta = timedelta(hours=12)
    login_failures_per_account_per_hour: int = Field(default=20, ge=1, le=100)
    login_failures_per_address_per_hour: int = Field(default=100, ge=1)

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> Settings:
        if self.environment == Environment.PRODUCTION and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "BIDWRIGHT_SECRET_KEY must be set to a real secret when "
                "BIDWRIGHT_ENVIRONMENT=production"
            )
        if self.environment == Environment.PRODUCTION and len(self.secret_key) < 32:
            raise ValueError("BIDWRIGHT_SECRET_KEY must be at least 32 characters in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
