"""Staff, cases, relayed messages and the audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels = None
depends_on = None


def _ts(name: str, *, nullable: bool = True) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(64), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_staff_telegram_id", "staff", ["telegram_id"], unique=True)
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "citizen_id",
            sa.Integer(),
            sa.ForeignKey("citizens.id", ondelete="SET NULL"),
            nullable=True,
        ),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("region", sa.String(32), nullable=True),
        sa.Column("route", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(64), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column(
            "holder_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("topic_id", sa.BigInteger(), nullable=True),
        sa.Column("card_message_id", sa.BigInteger(), nullable=True),
        _ts("opened_at", nullable=False),
        _ts("taken_at"),
        _ts("closed_at"),
        _ts("last_citizen_at", nullable=False),
        _ts("last_staff_at"),
        _ts("announced_at"),
        _ts("reminded_at"),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("rating", sa.Integer(), nullable=True),
    )
    op.create_index("ix_cases_citizen_id", "cases", ["citizen_id"])
    op.create_index("ix_cases_status", "cases", ["status"])
    op.create_table(
        "relayed_messages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("direction", sa.String(3), nullable=False),
        sa.Column("citizen_message_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_message_id", sa.BigInteger(), nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_relayed_messages_case_id", "relayed_messages", ["case_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "staff_id", sa.Integer(), sa.ForeignKey("staff.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column(
            "case_id", sa.Integer(), sa.ForeignKey("cases.id", ondelete="SET NULL"), nullable=True
        ),
        sa.Column("detail", sa.String(256), nullable=True),
        _ts("created_at", nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("relayed_messages")
    op.drop_table("cases")
    op.drop_table("staff")
