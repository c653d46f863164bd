"""Bot API answerCallbackQuery: a pressed button's query answered once, in time."""

from __future__ import annotations

from bot.telegram.text_limits import utf16_len
from devkit.emulator.core import EmulatorCore
from devkit.emulator.errors import bad_request
from devkit.emulator.params import Params
from devkit.emulator.state import BotState, CallbackAnswer
from devkit.emulator.text import CALLBACK_ANSWER_LIMIT

_QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


class CallbackMethods(EmulatorCore):
    """answerCallbackQuery."""

    def _answer_callback_query(self, bot: BotState, params: Params) -> bool:
        query_id = params.text("callback_query_id") or ""
        query = bot.queries.get(query_id)
        if (
            query is None
            or query.answered
            or self.clock.now() - query.created > self.callback_query_ttl
        ):
            raise bad_request(_QUERY_INVALID)
        text = params.text("text")
        if text and utf16_len(text) > CALLBACK_ANSWER_LIMIT:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answered = True
        self.callback_answers.append(
            CallbackAnswer(
                query_id=query_id,
                user_id=query.user_id,
                chat_id=query.chat_id,
                message_id=query.message_id,
                data=query.data,
                text=text,
                show_alert=params.flag("show_alert"),
                url=params.text("url"),
                cache_time=params.integer("cache_time"),
                time=self.clock.now(),
            )
        )
        return True
