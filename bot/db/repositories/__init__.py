"""Repositories: queries over one session. They never commit; services do."""

from bot.db.repositories.citizens import CitizenRepository
from bot.db.repositories.feedback import FeedbackRepository
from bot.db.repositories.message_log import MessageLogRepository

__all__ = ["CitizenRepository", "FeedbackRepository", "MessageLogRepository"]
