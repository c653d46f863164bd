"""Retention: what the privacy notice says is deleted after N days, is.

Past the limit (MESSAGE_LOG_DAYS, the figure the notice shows):
- the routing log of citizens' messages (topic, kept text) is deleted;
- feedback votes are deleted;
- a case closed that long ago loses its link to the citizen (citizen and chat
  ids) and the copies of its messages, as on /forget; its topic in the staff
  group is returned for the case desk to delete. What stays is anonymous:
  route, priority, times, outcome and rating, for the supervisors' figures.

The citizen's own settings (language, region, consent) stay until /forget.
Nothing here imports aiogram.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.repositories import FeedbackRepository, MessageLogRepository
from bot.db.repositories.cases import CaseRepository, RelayRepository


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
    messages = await MessageLogRepository(session).delete_older_than(cutoff)
    votes = await FeedbackRepository(session).delete_older_than(cutoff)
    expired = await CaseRepository(session).detach_closed_before(cutoff)
    await RelayRepository(session).delete_for_cases([case_id for case_id, _ in expired])
    await session.commit()
    return Purge(
        messages=messages,
        votes=votes,
        cases=len(expired),
        topics=tuple((case_id, int(topic)) for case_id, topic in expired if topic is not None),
    )
