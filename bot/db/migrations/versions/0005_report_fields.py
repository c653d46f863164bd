"""What the supervisors' reports need that was not recorded: how a case
opened, its first Take and first reply, its re-announcements; a logged
message's region and whether the safety net raised its route.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision: str | None = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("opened_via", sa.String(16), nullable=True))
        batch.add_column(sa.Column("first_taken_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("first_reply_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reannounced", sa.Integer(), nullable=False, server_default="0"))
    # Cases held now were taken at least once: their latest Take is the best
    # figure there is for the first one.
    op.execute("UPDATE cases SET first_taken_at = taken_at WHERE taken_at IS NOT NULL")
    with op.batch_alter_table("message_log") as batch:
        batch.add_column(sa.Column("region", sa.String(32), nullable=True))
        batch.add_column(
            sa.Column("safety_raised", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_cases_opened_at", "cases", ["opened_at"])
    op.create_index("ix_feedback_votes_created_at", "feedback_votes", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_feedback_votes_created_at", table_name="feedback_votes")
    op.drop_index("ix_cases_opened_at", table_name="cases")
    with op.batch_alter_table("message_log") as batch:
        batch.drop_column("safety_raised")
        batch.drop_column("region")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("reannounced")
        batch.drop_column("first_reply_at")
        batch.drop_column("first_taken_at")
        batch.drop_column("opened_via")
