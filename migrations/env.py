"""Alembic environment: the URL comes from the caller (app.migrate) or the settings."""

from typing import Any, Literal

from alembic import context
from sqlmodel import SQLModel

from app.config import get_settings
from app.db import make_engine
from app.models import EnumAsString  # importing the models registers every table

config = context.config
target_metadata = SQLModel.metadata


def render_item(kind: str, item: Any, _autogen_context: Any) -> str | Literal[False]:
    """Render the app's enum columns as the plain VARCHAR they are in the database."""
    if kind == "type" and isinstance(item, EnumAsString):
        return f"sa.String(length={item.impl.length})"
    return False


def run_migrations_online() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = make_engine(url)
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds a table (copy, drop, rename); with foreign keys enforced,
            # dropping a table other rows point at fails, so a populated database could not
            # be downgraded. Off for the migration (outside any transaction, or SQLite
            # ignores it), and every reference checked before the transaction commits.
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=sqlite,
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
    engine.dispose()


if context.is_offline_mode():
    context.configure(url=get_settings().database_url, target_metadata=target_metadata)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
