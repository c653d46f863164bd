"""Callback data of inline buttons. Each packs to well under Telegram's 64 bytes;
anything that does not unpack (forged or outdated) falls to a polite catch-all."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class LanguageChoice(CallbackData, prefix="lang"):
    code: str
    # True when offered after the citizen kept writing in the other language.
    switch: bool = False


class AcceptNotice(CallbackData, prefix="ok"):
    """ "I understand" under the privacy notice: the citizen's consent."""


class MenuOpen(CallbackData, prefix="m"):
    category: str = ""


class Topic(CallbackData, prefix="t"):
    intent: str


class Vote(CallbackData, prefix="fb"):
    log: int
    helpful: bool


class RegionChoice(CallbackData, prefix="rg"):
    region: str
    # The intent to answer once the region is known; empty for /resources.
    intent: str = ""


class ForgetConfirm(CallbackData, prefix="fg"):
    confirmed: bool


class TalkToPerson(CallbackData, prefix="h"):
    intent: str = ""


class Emergency(CallbackData, prefix="sos"):
    """Show the emergency numbers, in the order of this kind of crisis."""

    situation: str = ""


# --- cases (staff group and the citizen's rating) ---------------------------


class CaseAction(CallbackData, prefix="cs"):
    """A button on a case card or a picker: take, transfer, close, cancel."""

    action: str
    case: int


class CaseTransfer(CallbackData, prefix="ct"):
    case: int
    # The staff member's id; 0 puts the case back in the queue.
    to: int


class CaseClose(CallbackData, prefix="cc"):
    case: int
    outcome: str


class CaseSend(CallbackData, prefix="cd"):
    """Send a resource card ("r") or a canned reply ("c") to the citizen."""

    case: int
    kind: str
    key: str


class CaseRating(CallbackData, prefix="rt"):
    case: int
    score: int
