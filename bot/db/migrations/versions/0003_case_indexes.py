"""Indexes for the case desk: one open case per citizen, lookups by topic and message.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels = None
depends_on = None

_OPEN = sa.text("status != 'closed'")


def upgrade() -> None:
    # A partial unique index: the database itself refuses a second open case
    # for one citizen, even when two messages open one at the same moment.
    op.create_index(
        "ux_cases_open_citizen",
        "cases",
        ["citizen_id"],
        unique=True,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )
    op.create_index("ix_cases_topic_id", "cases", ["topic_id"])
    op.create_index(
        "ix_relayed_messages_topic_message_id", "relayed_messages", ["topic_message_id"]
    )
    op.create_index(
        "ix_relayed_messages_citizen_message",
        "relayed_messages",
        ["case_id", "citizen_message_id"],
    )
    op.create_index("ix_audit_log_case_id", "audit_log", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_audit_log_case_id", table_name="audit_log")
    op.drop_index("ix_relayed_messages_citizen_message", table_name="relayed_messages")
    op.drop_index("ix_relayed_messages_topic_message_id", table_name="relayed_messages")
    op.drop_index("ix_cases_topic_id", table_name="cases")
    op.drop_index("ux_cases_open_citizen", table_name="cases")
