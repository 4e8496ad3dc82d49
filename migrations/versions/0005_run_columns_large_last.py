"""simulation_run: on SQLite, the large JSON columns move to the end of the row

SQLite stores a long row in a chain of overflow pages and reaches a column by walking
the chain up to it: with the snapshot (~140 KB for 200 lines) and the result (~320 KB)
in the middle of the row, reading ``finished_at`` of a run walked ~115 pages. Measured
on 671 such runs: a scan of ``finished_at`` 119 ms, of ``status`` (before the snapshot)
4.2 ms. The table is rebuilt with the small columns first. PostgreSQL keeps large values
out of line (TOAST), so its column order does not matter and it is left as it is.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 22:25:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_UNMOVED = (
    "created_at",
    "updated_at",
    "id",
    "revision_id",
    "status",
    "engine_version",
    "seed",
    "iterations",
    "sampling",
)
_SMALL_FIRST = (
    *_UNMOVED,
    "input_sha256",
    "error",
    "progress",
    "requested_by_id",
    "started_at",
    "finished_at",
    "summary",
    "result",
    "input_snapshot",
)
_AS_BEFORE = (
    *_UNMOVED,
    "input_snapshot",
    "input_sha256",
    "summary",
    "result",
    "error",
    "started_at",
    "finished_at",
    "progress",
    "requested_by_id",
)


def _rebuild_simulation_run(order: tuple[str, ...]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("simulation_run", recreate="always", partial_reordering=[order]):
        pass  # the rebuild in the new order is the whole change


def upgrade() -> None:
    _rebuild_simulation_run(_SMALL_FIRST)


def downgrade() -> None:
    _rebuild_simulation_run(_AS_BEFORE)
