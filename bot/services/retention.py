"""Retention: what the privacy notice says is deleted after N days, is.

Past the limit (MESSAGE_LOG_DAYS, the figure the notice shows):
- the routing log of citizens' messages (topic, kept text) is deleted;
- feedback votes are deleted;
- a case closed that long ago loses its link to the citizen (citizen and chat
  ids) and the copies of its messages; its topic in the staff group is
  returned for deletion, as on /forget. What stays is anonymous: route,
  priority, times, outcome and rating, for the supervisors' figures.

The citizen's own settings (language, region, consent) stay until /forget.
Nothing here imports aiogram: the topics are deleted by the case desk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Case, FeedbackVote, MessageLog, RelayedMessage
from bot.services.cases import CaseStatus


@dataclass(frozen=True, slots=True)
class Purge:
    """What one pass deleted, and the topics left for the desk to delete."""

    messages: int
    votes: int
    cases: int
    topics: tuple[tuple[int, int], ...]  # (case id, topic id)


async def purge(session: AsyncSession, *, now: datetime, days: int) -> Purge:
    """Delete or anonymise everything older than `days` at `now`."""
    cutoff = now - timedelta(days=days)
    messages = await session.execute(delete(MessageLog).where(MessageLog.created_at < cutoff))
    votes = await session.execute(delete(FeedbackVote).where(FeedbackVote.created_at < cutoff))
    result = await session.execute(
        select(Case.id, Case.topic_id)
        .where(
            Case.status == CaseStatus.CLOSED.value,
            Case.closed_at.is_not(None),
            Case.closed_at < cutoff,
            or_(Case.citizen_id.is_not(None), Case.chat_id.is_not(None)),
        )
        .order_by(Case.id)
    )
    expired = [(int(case_id), topic_id) for case_id, topic_id in result.all()]
    case_ids: Sequence[int] = [case_id for case_id, _ in expired]
    if case_ids:
        await session.execute(
            update(Case).where(Case.id.in_(case_ids)).values(citizen_id=None, chat_id=None)
        )
        await session.execute(delete(RelayedMessage).where(RelayedMessage.case_id.in_(case_ids)))
    await session.commit()
    return Purge(
        messages=_count(messages),
        votes=_count(votes),
        cases=len(expired),
        topics=tuple((case_id, int(topic)) for case_id, topic in expired if topic is not None),
    )


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
