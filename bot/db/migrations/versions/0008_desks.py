"""Desks: which desk (staff group) a case is in, when it was announced to the
fallback desk, and which desks a staff member belongs to.

A case with no desk_id is in the fallback desk (rows from before desks); a
staff member with no staff_desks rows belongs to every desk.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision: str | None = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("desk_id", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("fallback_announced_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_index("ix_cases_desk_topic", "cases", ["desk_id", "topic_id"])
    op.create_table(
        "staff_desks",
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("desk_id", sa.String(32), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("staff_desks")
    op.drop_index("ix_cases_desk_topic", table_name="cases")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("fallback_announced_at")
        batch.drop_column("desk_id")
