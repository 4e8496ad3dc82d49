"""bid intake: requirement lists, requirements, matches, aliases, answer library

The uploaded workbook is kept byte for byte in ``requirement_list.content`` (bytea /
BLOB) so the answers can be written back into it; a draft list has no requirements yet.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 13:14:25.225743
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "answer_library_entry",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("keywords", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("text_zh", sa.Text(), nullable=False),
        sa.Column("text_en", sa.Text(), nullable=False),
        sa.Column("compliance", sa.String(length=20), nullable=True),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("last_reviewed_on", sa.Date(), nullable=True),
        sa.Column("usage_count", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["app_user.id"],
            name=op.f("fk_answer_library_entry_owner_id_app_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_answer_library_entry")),
    )
    op.create_table(
        "catalog_item_alias",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalog_id", sa.Integer(), nullable=False),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("text_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalog_id"],
            ["catalog.id"],
            name=op.f("fk_catalog_item_alias_catalog_id_catalog"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["app_user.id"],
            name=op.f("fk_catalog_item_alias_created_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalog_item_alias")),
        sa.UniqueConstraint("catalog_id", "item_code", "text_sha256", name="uq_catalog_item_alias"),
    )
    with op.batch_alter_table("catalog_item_alias", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_catalog_item_alias_catalog_id"), ["catalog_id"], unique=False
        )

    op.create_table(
        "mapping_memory",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("times_used", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["app_user.id"],
            name=op.f("fk_mapping_memory_confirmed_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mapping_memory")),
    )
    with op.batch_alter_table("mapping_memory", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_mapping_memory_fingerprint"), ["fingerprint"], unique=True
        )

    op.create_table(
        "requirement_list",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("opportunity_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("file_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("fingerprint", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("mapping", sa.JSON(), nullable=False),
        sa.Column("mapping_remembered", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"],
            ["app_user.id"],
            name=op.f("fk_requirement_list_confirmed_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            ["opportunity.id"],
            name=op.f("fk_requirement_list_opportunity_id_opportunity"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["app_user.id"],
            name=op.f("fk_requirement_list_uploaded_by_id_app_user"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_list")),
    )
    with op.batch_alter_table("requirement_list", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_requirement_list_file_sha256"), ["file_sha256"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_requirement_list_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_requirement_list_opportunity_id"), ["opportunity_id"], unique=False
        )

    op.create_table(
        "requirement",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("sheet", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("section", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("priority", sqlmodel.sql.sqltypes.AutoString(length=50), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("scored", sa.Boolean(), nullable=False),
        sa.Column("existing_answer", sa.Text(), nullable=False),
        sa.Column("compliance", sa.String(length=20), nullable=True),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("reference", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("deviation_note", sa.Text(), nullable=False),
        sa.Column("needs_manual_estimate", sa.Boolean(), nullable=False),
        sa.Column("answer_entry_id", sa.Integer(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answer_entry_id"],
            ["answer_library_entry.id"],
            name=op.f("fk_requirement_answer_entry_id_answer_library_entry"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["app_user.id"], name=op.f("fk_requirement_answered_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["requirement_list.id"],
            name=op.f("fk_requirement_list_id_requirement_list"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement")),
        sa.UniqueConstraint("list_id", "sheet", "row", name="uq_requirement_cell"),
    )
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requirement_list_id"), ["list_id"], unique=False)

    op.create_table(
        "requirement_match",
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("requirement_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=20), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=True),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("item_code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("quantity", sa.Float(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_requirement_match_quantity_positive")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["app_user.id"],
            name=op.f("fk_requirement_match_decided_by_id_app_user"),
        ),
        sa.ForeignKeyConstraint(
            ["line_id"],
            ["estimate_line.id"],
            name=op.f("fk_requirement_match_line_id_estimate_line"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["requirement_id"],
            ["requirement.id"],
            name=op.f("fk_requirement_match_requirement_id_requirement"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"],
            ["work_item.id"],
            name=op.f("fk_requirement_match_work_item_id_work_item"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_requirement_match")),
        sa.UniqueConstraint("requirement_id", "item_code", name="uq_requirement_match_item"),
    )
    with op.batch_alter_table("requirement_match", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_requirement_match_line_id"), ["line_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_requirement_match_requirement_id"), ["requirement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("requirement_match", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_match_requirement_id"))
        batch_op.drop_index(batch_op.f("ix_requirement_match_line_id"))

    op.drop_table("requirement_match")
    with op.batch_alter_table("requirement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_list_id"))

    op.drop_table("requirement")
    with op.batch_alter_table("requirement_list", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_requirement_list_opportunity_id"))
        batch_op.drop_index(batch_op.f("ix_requirement_list_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_requirement_list_file_sha256"))

    op.drop_table("requirement_list")
    with op.batch_alter_table("mapping_memory", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mapping_memory_fingerprint"))

    op.drop_table("mapping_memory")
    with op.batch_alter_table("catalog_item_alias", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalog_item_alias_catalog_id"))

    op.drop_table("catalog_item_alias")
    op.drop_table("answer_library_entry")
