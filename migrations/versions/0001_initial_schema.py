"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 02:40:55.887399
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "catalog",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog")),
    )
    with op.batch_alter_table("catalog", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalog_code"), ["code"], unique=True)

    op.create_table(
        "customer",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("industry", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("contact_name", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("contact_email", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("contact_phone", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_name"), ["name"], unique=False)

    op.create_table(
        "rate_card",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_card")),
        sa.UniqueConstraint("code", "version", name="uq_rate_card_code_version"),
    )
    with op.batch_alter_table("rate_card", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rate_card_code"), ["code"], unique=False)

    op.create_table(
        "role",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role")),
    )
    with op.batch_alter_table("role", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_code"), ["code"], unique=True)

    op.create_table(
        "catalog_version",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["catalog_version.id"],
            name=op.f("fk_catalog_version_based_on_id_catalog_version"),
        ),
        sa.ForeignKeyConstraint(
            ["catalog_id"], ["catalog.id"], name=op.f("fk_catalog_version_catalog_id_catalog")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_version")),
        sa.UniqueConstraint("catalog_id", "number", name="uq_catalog_version_number"),
    )
    with op.batch_alter_table("catalog_version", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_version_catalog_id"), ["catalog_id"], unique=False
        )

    op.create_table(
        "opportunity",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("bid_number", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("bid_deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_opportunity_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_opportunity")),
    )
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_opportunity_bid_number"), ["bid_number"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_opportunity_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "rate_card_entry",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rate_card_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("cost_day_rate", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("sell_day_rate", sa.Numeric(precision=16, scale=2), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("cost_day_rate >= 0", name=op.f("ck_rate_card_entry_cost_nonnegative")),
        sa.CheckConstraint("sell_day_rate >= 0", name=op.f("ck_rate_card_entry_sell_nonnegative")),
        sa.ForeignKeyConstraint(
            ["rate_card_id"],
            ["rate_card.id"],
            name=op.f("fk_rate_card_entry_rate_card_id_rate_card"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["role.id"], name=op.f("fk_rate_card_entry_role_id_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rate_card_entry")),
        sa.UniqueConstraint("rate_card_id", "role_id", name="uq_rate_card_entry_role"),
    )
    with op.batch_alter_table("rate_card_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rate_card_entry_rate_card_id"), ["rate_card_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_rate_card_entry_role_id"), ["role_id"], unique=False)

    op.create_table(
        "estimate",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_estimate_opportunity_id_opportunity"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate")),
    )
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_estimate_opportunity_id"), ["opportunity_id"], unique=False
        )

    op.create_table(
        "work_item",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("distribution", sa.String(length=20), nullable=False),
        sa.Column("percent_of", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_version_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["catalog_version_id"],
            ["catalog_version.id"],
            name=op.f("fk_work_item_catalog_version_id_catalog_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_item")),
        sa.UniqueConstraint("catalog_version_id", "code", name="uq_work_item_version_code"),
    )
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_item_catalog_version_id"), ["catalog_version_id"], unique=False
        )

    op.create_table(
        "estimate_revision",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("estimate_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("based_on_id", sa.Integer(), nullable=True),
        sa.Column("catalog_version_id", sa.Integer(), nullable=False),
        sa.Column("rate_card_id", sa.Integer(), nullable=False),
        sa.Column("confidence_level", sa.Float(), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("sampling", sa.String(length=20), nullable=False),
        sa.Column("ranges_are", sa.String(length=20), nullable=False),
        sa.Column("pert_lambda", sa.Float(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("target_effort_days", sa.Float(), nullable=True),
        sa.Column("target_budget", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("target_date", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("frozen_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "confidence_level > 0 AND confidence_level < 1",
            name=op.f("ck_estimate_revision_confidence"),
        ),
        sa.CheckConstraint(
            "iterations >= 1000 AND iterations <= 10000000",
            name=op.f("ck_estimate_revision_iterations_range"),
        ),
        sa.CheckConstraint("pert_lambda > 0", name=op.f("ck_estimate_revision_pert_lambda")),
        sa.ForeignKeyConstraint(
            ["based_on_id"],
            ["estimate_revision.id"],
            name=op.f("fk_estimate_revision_based_on_id_estimate_revision"),
        ),
        sa.ForeignKeyConstraint(
            ["catalog_version_id"],
            ["catalog_version.id"],
            name=op.f("fk_estimate_revision_catalog_version_id_catalog_version"),
        ),
        sa.ForeignKeyConstraint(
            ["estimate_id"], ["estimate.id"], name=op.f("fk_estimate_revision_estimate_id_estimate")
        ),
        sa.ForeignKeyConstraint(
            ["rate_card_id"],
            ["rate_card.id"],
            name=op.f("fk_estimate_revision_rate_card_id_rate_card"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate_revision")),
        sa.UniqueConstraint("estimate_id", "number", name="uq_estimate_revision_number"),
    )
    with op.batch_alter_table("estimate_revision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_estimate_revision_catalog_version_id"),
            ["catalog_version_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_estimate_revision_estimate_id"), ["estimate_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_estimate_revision_rate_card_id"), ["rate_card_id"], unique=False
        )

    op.create_table(
        "work_item_estimate",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("optimistic", sa.Float(), nullable=False),
        sa.Column("most_likely", sa.Float(), nullable=False),
        sa.Column("pessimistic", sa.Float(), nullable=False),
        sa.CheckConstraint(
            "optimistic >= 0 AND optimistic <= most_likely AND most_likely <= pessimistic",
            name=op.f("ck_work_item_estimate_order"),
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["role.id"], name=op.f("fk_work_item_estimate_role_id_role")
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_item.id"],
            name=op.f("fk_work_item_estimate_work_item_id_work_item"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_item_estimate")),
        sa.UniqueConstraint("work_item_id", "role_id", name="uq_work_item_estimate_role"),
    )
    with op.batch_alter_table("work_item_estimate", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_work_item_estimate_role_id"), ["role_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_work_item_estimate_work_item_id"), ["work_item_id"], unique=False
        )

    op.create_table(
        "estimate_line",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name_zh", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("name_en", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description_zh", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        sa.Column("phase", sa.String(length=20), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("distribution", sa.String(length=20), nullable=False),
        sa.Column("percent_of", sa.JSON(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("source_catalog_version_id", sa.Integer(), nullable=True),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("complexity_factor", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "complexity_factor > 0", name=op.f("ck_estimate_line_complexity_positive")
        ),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_estimate_line_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["estimate_revision.id"],
            name=op.f("fk_estimate_line_revision_id_estimate_revision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_catalog_version_id"],
            ["catalog_version.id"],
            name=op.f("fk_estimate_line_source_catalog_version_id_catalog_version"),
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_item.id"],
            name=op.f("fk_estimate_line_work_item_id_work_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate_line")),
    )
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_estimate_line_revision_id"), ["revision_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_estimate_line_source_catalog_version_id"),
            ["source_catalog_version_id"],
            unique=False,
        )

    op.create_table(
        "risk",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("probability", sa.Float(), nullable=False),
        sa.Column("impact_days_optimistic", sa.Float(), nullable=True),
        sa.Column("impact_days_most_likely", sa.Float(), nullable=True),
        sa.Column("impact_days_pessimistic", sa.Float(), nullable=True),
        sa.Column("impact_money_optimistic", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("impact_money_most_likely", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("impact_money_pessimistic", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("affected_role_id", sa.Integer(), nullable=True),
        sa.Column("affected_phase", sa.String(length=20), nullable=True),
        sa.Column("mitigation", sa.Text(), nullable=False),
        sa.Column("mitigation_cost", sa.Numeric(precision=16, scale=2), nullable=True),
        sa.Column("post_mitigation_probability", sa.Float(), nullable=True),
        sa.Column("post_mitigation_impact_scale", sa.Float(), nullable=True),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "post_mitigation_impact_scale IS NULL OR post_mitigation_impact_scale >= 0",
            name=op.f("ck_risk_post_scale"),
        ),
        sa.CheckConstraint(
            "post_mitigation_probability IS NULL OR (post_mitigation_probability >= 0 AND post_mitigation_probability <= 1)",
            name=op.f("ck_risk_post_probability"),
        ),
        sa.CheckConstraint(
            "probability >= 0 AND probability <= 1", name=op.f("ck_risk_probability")
        ),
        sa.ForeignKeyConstraint(
            ["affected_role_id"], ["role.id"], name=op.f("fk_risk_affected_role_id_role")
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["estimate_revision.id"],
            name=op.f("fk_risk_revision_id_estimate_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_risk")),
    )
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_risk_revision_id"), ["revision_id"], unique=False)

    op.create_table(
        "simulation_run",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("engine_version", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("seed", sa.Integer(), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("sampling", sa.String(length=20), nullable=False),
        sa.Column("input_snapshot", sa.JSON(), nullable=False),
        sa.Column("input_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["estimate_revision.id"],
            name=op.f("fk_simulation_run_revision_id_estimate_revision"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_simulation_run")),
    )
    with op.batch_alter_table("simulation_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_simulation_run_revision_id"), ["revision_id"], unique=False
        )

    op.create_table(
        "staffing",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("fte", sa.Float(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.CheckConstraint("fte > 0", name=op.f("ck_staffing_fte_positive")),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["estimate_revision.id"],
            name=op.f("fk_staffing_revision_id_estimate_revision"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["role_id"], ["role.id"], name=op.f("fk_staffing_role_id_role")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staffing")),
        sa.UniqueConstraint("revision_id", "role_id", name="uq_staffing_role"),
    )
    with op.batch_alter_table("staffing", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staffing_revision_id"), ["revision_id"], unique=False)

    op.create_table(
        "statement",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["estimate_revision.id"],
            name=op.f("fk_statement_revision_id_estimate_revision"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
    )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_revision_id"), ["revision_id"], unique=False)

    op.create_table(
        "estimate_line_role",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("role_id", sa.Integer(), nullable=False),
        sa.Column("optimistic", sa.Float(), nullable=False),
        sa.Column("most_likely", sa.Float(), nullable=False),
        sa.Column("pessimistic", sa.Float(), nullable=False),
        sa.Column("override_optimistic", sa.Float(), nullable=True),
        sa.Column("override_most_likely", sa.Float(), nullable=True),
        sa.Column("override_pessimistic", sa.Float(), nullable=True),
        sa.CheckConstraint(
            "(override_optimistic IS NULL AND override_most_likely IS NULL AND override_pessimistic IS NULL) OR (override_optimistic >= 0 AND override_optimistic <= override_most_likely AND override_most_likely <= override_pessimistic)",
            name=op.f("ck_estimate_line_role_override_order"),
        ),
        sa.CheckConstraint(
            "optimistic >= 0 AND optimistic <= most_likely AND most_likely <= pessimistic",
            name=op.f("ck_estimate_line_role_order"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["estimate_line.id"],
            name=op.f("fk_estimate_line_role_line_id_estimate_line"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["role.id"], name=op.f("fk_estimate_line_role_role_id_role")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_estimate_line_role")),
        sa.UniqueConstraint("line_id", "role_id", name="uq_estimate_line_role"),
    )
    with op.batch_alter_table("estimate_line_role", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_estimate_line_role_line_id"), ["line_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_estimate_line_role_role_id"), ["role_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("estimate_line_role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_estimate_line_role_role_id"))
        batch_op.drop_index(batch_op.f("ix_estimate_line_role_line_id"))

    op.drop_table("estimate_line_role")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_revision_id"))

    op.drop_table("statement")
    with op.batch_alter_table("staffing", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staffing_revision_id"))

    op.drop_table("staffing")
    with op.batch_alter_table("simulation_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_simulation_run_revision_id"))

    op.drop_table("simulation_run")
    with op.batch_alter_table("risk", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_risk_revision_id"))

    op.drop_table("risk")
    with op.batch_alter_table("estimate_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_estimate_line_source_catalog_version_id"))
        batch_op.drop_index(batch_op.f("ix_estimate_line_revision_id"))

    op.drop_table("estimate_line")
    with op.batch_alter_table("work_item_estimate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_item_estimate_work_item_id"))
        batch_op.drop_index(batch_op.f("ix_work_item_estimate_role_id"))

    op.drop_table("work_item_estimate")
    with op.batch_alter_table("estimate_revision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_estimate_revision_rate_card_id"))
        batch_op.drop_index(batch_op.f("ix_estimate_revision_estimate_id"))
        batch_op.drop_index(batch_op.f("ix_estimate_revision_catalog_version_id"))

    op.drop_table("estimate_revision")
    with op.batch_alter_table("work_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_work_item_catalog_version_id"))

    op.drop_table("work_item")
    with op.batch_alter_table("estimate", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_estimate_opportunity_id"))

    op.drop_table("estimate")
    with op.batch_alter_table("rate_card_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_card_entry_role_id"))
        batch_op.drop_index(batch_op.f("ix_rate_card_entry_rate_card_id"))

    op.drop_table("rate_card_entry")
    with op.batch_alter_table("opportunity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_opportunity_customer_id"))
        batch_op.drop_index(batch_op.f("ix_opportunity_bid_number"))

    op.drop_table("opportunity")
    with op.batch_alter_table("catalog_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_version_catalog_id"))

    op.drop_table("catalog_version")
    with op.batch_alter_table("role", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_code"))

    op.drop_table("role")
    with op.batch_alter_table("rate_card", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rate_card_code"))

    op.drop_table("rate_card")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_name"))

    op.drop_table("customer")
    with op.batch_alter_table("catalog", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_code"))

    op.drop_table("catalog")
