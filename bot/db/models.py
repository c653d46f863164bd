"""Database models, portable between SQLite and PostgreSQL (generic types only)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.db.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    pass


class Citizen(Base):
    """A person who writes to the bot. Only what the service needs is kept."""

    __tablename__ = "citizens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    language: Mapped[str | None] = mapped_column(String(2), default=None)
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # When a regional answer asked for the region; it is asked once, not after each.
    region_asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MessageLog(Base):
    """How one message was routed. The text is kept only when the NLU was unsure,
    so that editors can review it; it is deleted with the citizen or after the
    retention period."""

    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True, default=None
    )
    lang: Mapped[str] = mapped_column(String(2))
    intent: Mapped[str | None] = mapped_column(String(64), default=None)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    route: Mapped[str] = mapped_column(String(16))
    text: Mapped[str | None] = mapped_column(Text, default=None)
    model: Mapped[str | None] = mapped_column(String(128), default=None)
    nlu_available: Mapped[bool] = mapped_column(Boolean, default=True)
    # The citizen's region when the message came (for the supervisors' figures).
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    # The safety net raised the route above what the NLU said (or alone, NLU down).
    safety_raised: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class FeedbackVote(Base):
    """A citizen's 👍 or 👎 on one answer."""

    __tablename__ = "feedback_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="CASCADE"), index=True, default=None
    )
    message_log_id: Mapped[int | None] = mapped_column(
        ForeignKey("message_log.id", ondelete="SET NULL"), default=None
    )
    intent: Mapped[str] = mapped_column(String(64))
    lang: Mapped[str] = mapped_column(String(2))
    helpful: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class Staff(Base):
    """A counselor, supervisor or admin of the staff group."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    telegram_id: Mapped[int] = mapped_column(BigInteger, unique=True, index=True)
    role: Mapped[str] = mapped_column(String(16))
    # The name citizens see ("Айгерім"), never the Telegram name.
    display_name: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StaffDesk(Base):
    """A desk a staff member belongs to. None listed: every desk."""

    __tablename__ = "staff_desks"

    staff_id: Mapped[int] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), primary_key=True
    )
    desk_id: Mapped[str] = mapped_column(String(32), primary_key=True)


class Case(Base):
    """A conversation between a citizen and a counselor. Counselors know it only
    by its number; the citizen link is removed when the citizen uses /forget."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    citizen_id: Mapped[int | None] = mapped_column(
        ForeignKey("citizens.id", ondelete="SET NULL"), index=True, default=None
    )
    # The citizen's private chat; cleared on /forget together with citizen_id.
    chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    lang: Mapped[str] = mapped_column(String(2))
    region: Mapped[str | None] = mapped_column(String(32), default=None)
    route: Mapped[str] = mapped_column(String(16))
    intent: Mapped[str | None] = mapped_column(String(64), default=None)
    # 0 urgent (crisis), 1 escalate, 2 request: lower is served first.
    priority: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16), index=True)
    holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), default=None
    )
    topic_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    card_message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_citizen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_staff_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)
    # How it opened: request, offer (a counselor offered under an answer),
    # escalate (a sensitive message with nothing curated to say), crisis.
    # None for cases opened before it was recorded.
    opened_via: Mapped[str | None] = mapped_column(String(16), default=None)
    # The first Take (taken_at is the latest one: a transfer or release resets it).
    first_taken_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # The counselor's first message or one-tap reply to the citizen.
    first_reply_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # How many times the case was announced again because nobody took it.
    reannounced: Mapped[int] = mapped_column(Integer, default=0)
    # The desk (staff group) it is in, an id of content/desks.yml; None: the fallback desk.
    desk_id: Mapped[str | None] = mapped_column(String(32), default=None)
    # When it was announced to the fallback desk (once: out of hours or past its SLA).
    fallback_announced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (Index("ix_cases_desk_topic", "desk_id", "topic_id"),)


class RelayedMessage(Base):
    """Which message in the topic is the copy of which message in the citizen's
    chat, so that edits and replies land in the right place."""

    __tablename__ = "relayed_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    # "in": citizen -> topic; "out": counselor -> citizen.
    direction: Mapped[str] = mapped_column(String(3))
    citizen_message_id: Mapped[int] = mapped_column(BigInteger)
    topic_message_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AuditEntry(Base):
    """Who of the staff did what to which case, and when."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), default=None
    )
    action: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), default=None
    )
    detail: Mapped[str | None] = mapped_column(String(256), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class InboxUpdate(Base):
    """A Telegram update accepted durably before Telegram is told it arrived.

    The payload (which holds the citizen's text) is dropped once the update has
    been handled; the id stays a day, so a redelivery of it is recognised and
    skipped. An update not yet handled when the process stopped or died is
    handled after the restart.
    """

    __tablename__ = "inbox_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    payload: Mapped[str | None] = mapped_column(Text, default=None)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who is handling it, since when (a lease: another process may take it over later).
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    # "handled", "undecodable" or "failed" (the handler raised; logged, not retried).
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)
    # The conversation it belongs to (bot.telegram.ordering.chat_key), while unhandled:
    # replicas handle one conversation's updates one at a time, in update_id order.
    chat_key: Mapped[str | None] = mapped_column(String(64), default=None)

    __table_args__ = (Index("ix_inbox_updates_chat_key", "chat_key", "update_id"),)
