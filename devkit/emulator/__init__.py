"""A local Telegram Bot API emulator for tests, benchmarks and the sandbox chat.

`TelegramEmulator` is the server and the users around the bot; `RateLimits`
sets Telegram's flood limits; `SentMessage`, `ApiCall` and `CallbackAnswer`
are the records a test reads. Not shipped with the bot.
"""

from devkit.emulator.limits import RateLimits
from devkit.emulator.state import ApiCall, CallbackAnswer, SentMessage
from devkit.emulator.telegram import TelegramEmulator

__all__ = ["ApiCall", "CallbackAnswer", "RateLimits", "SentMessage", "TelegramEmulator"]
