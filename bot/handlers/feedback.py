"""👍 / 👎 under answers."""

from __future__ import annotations

from aiogram.types import CallbackQuery
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db.models import Citizen
from bot.handlers.registry import Handlers
from bot.services.feedback import FeedbackService
from bot.ui import citizen_texts
from bot.ui.callbacks import Vote

router = Handlers(name="feedback")


@router.callback_query(Vote.filter())
async def vote(
    query: CallbackQuery, callback_data: Vote, session: AsyncSession, citizen: Citizen | None
) -> None:
    recorded = citizen is not None and await FeedbackService(session).vote(
        citizen, callback_data.log, helpful=callback_data.helpful
    )
    if recorded:
        await query.answer(_("Thank you for your feedback!"))
    else:
        await query.answer(citizen_texts.stale_button())
