"""The inbox knows each update's conversation, so replicas handle a chat's updates
in order (bot.telegram.polling with REDIS_URL).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision: str | None = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("inbox_updates") as batch:
        batch.add_column(sa.Column("chat_key", sa.String(64), nullable=True))
    op.create_index("ix_inbox_updates_chat_key", "inbox_updates", ["chat_key", "update_id"])


def downgrade() -> None:
    op.drop_index("ix_inbox_updates_chat_key", table_name="inbox_updates")
    with op.batch_alter_table("inbox_updates") as batch:
        batch.drop_column("chat_key")
