"""calibration history: outcomes, past projects and tasks, imports, revision settings

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _stamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "history_import",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("file_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_imported", sa.Integer(), nullable=False),
        sa.Column("rows_skipped", sa.Integer(), nullable=False),
        sa.Column("imported_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by_id"],
            ["app_user.id"],
            name=op.f("fk_history_import_imported_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_import")),
    )
    with op.batch_alter_table("history_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_import_file_sha256"), ["file_sha256"], unique=False
        )

    op.create_table(
        "opportunity_outcome",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("final_price", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=True),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "outcome IN ('won', 'lost', 'cancelled')", name=op.f("ck_opportunity_outcome_outcome")
        ),
        sa.CheckConstraint(
            "final_price IS NULL OR final_price >= 0",
            name=op.f("ck_opportunity_outcome_price_nonnegative"),
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_opportunity_outcome_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["app_user.id"],
            name=op.f("fk_opportunity_outcome_recorded_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["estimate_revision.id"],
            name=op.f("fk_opportunity_outcome_revision_id_estimate_revision"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["simulation_run.id"],
            name=op.f("fk_opportunity_outcome_run_id_simulation_run"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity_outcome")),
    )
    with op.batch_alter_table("opportunity_outcome", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_opportunity_outcome_opportunity_id"), ["opportunity_id"], unique=True
        )

    op.create_table(
        "history_project",
        *_stamps(),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("import_id", sa.Integer(), nullable=True),
        sa.Column("opportunity_id", sa.Integer(), nullable=True),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("estimator", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("estimated_days", sa.Float(), nullable=True),
        sa.Column("actual_days", sa.Float(), nullable=True),
        sa.Column("raw_p50_days", sa.Float(), nullable=True),
        sa.Column("raw_p80_days", sa.Float(), nullable=True),
        sa.Column("raw_p90_days", sa.Float(), nullable=True),
        sa.Column("finished_on", sa.Date(), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "estimated_days IS NULL OR estimated_days > 0",
            name=op.f("ck_history_project_estimate_positive"),
        ),
        sa.CheckConstraint(
            "actual_days IS NULL OR actual_days > 0",
            name=op.f("ck_history_project_actual_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["import_id"],
            ["history_import.id"],
            name=op.f("fk_history_project_import_id_history_import"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_history_project_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_project")),
        sa.UniqueConstraint("opportunity_id", name=op.f("uq_history_project_opportunity_id")),
    )
    with op.batch_alter_table("history_project", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_project_finished_on"), ["finished_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_history_project_import_id"), ["import_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_history_project_reference"), ["reference"], unique=False
        )

    op.create_table(
        "history_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("phase", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("estimator", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("estimated_days", sa.Float(), nullable=False),
        sa.Column("actual_days", sa.Float(), nullable=False),
        sa.Column("performed_on", sa.Date(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("estimated_days > 0", name=op.f("ck_history_task_estimate_positive")),
        sa.CheckConstraint("actual_days > 0", name=op.f("ck_history_task_actual_positive")),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["history_project.id"],
            name=op.f("fk_history_task_project_id_history_project"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_history_task")),
    )
    with op.batch_alter_table("history_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_history_task_project_id"), ["project_id"], unique=False
        )

    with op.batch_alter_table("estimate_revision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "calibration",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="off",
            )
        )
        batch_op.add_column(
            sa.Column(
                "calibration_estimator",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "price_basis",
                sqlmodel.sql.sqltypes.AutoString(length=20),
                nullable=False,
                server_default="raw",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("estimate_revision", schema=None) as batch_op:
        batch_op.drop_column("price_basis")
        batch_op.drop_column("calibration_estimator")
        batch_op.drop_column("calibration")

    with op.batch_alter_table("history_task", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_task_project_id"))
    op.drop_table("history_task")

    with op.batch_alter_table("history_project", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_project_reference"))
        batch_op.drop_index(batch_op.f("ix_history_project_import_id"))
        batch_op.drop_index(batch_op.f("ix_history_project_finished_on"))
    op.drop_table("history_project")

    with op.batch_alter_table("opportunity_outcome", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_outcome_opportunity_id"))
    op.drop_table("opportunity_outcome")

    with op.batch_alter_table("history_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_history_import_file_sha256"))
    op.drop_table("history_import")
