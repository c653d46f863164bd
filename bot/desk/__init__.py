"""The case desk: the Telegram side of cases (the staff group's topics and
cards, the relay, announcements). `CaseDesk` is the one entry point."""

from bot.desk.desk import CaseDesk

__all__ = ["CaseDesk"]
