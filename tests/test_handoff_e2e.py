"""End to end: citizens and counselors through the Bot API emulator, the real
bot long polling it, a fake NLU.

The staff group is a forum; counselors (Айгерім and Иван), a supervisor, an
admin and an outsider are its members. Citizens write in Kazakh and Russian.
Each test checks what reached whom, and that Telegram rejected nothing.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from bot.config import WEEKDAYS, Settings
from bot.db.engine import create_engine, session_factory
from bot.db.models import AuditEntry, Case
from bot.services.staff import StaffService
from devkit.emulator import RateLimits, SentMessage, TelegramEmulator
from tests.fakes import DEFAULT_RULES, KeywordNLU
from tests.harness import BOT_ID, BOT_TOKEN, Harness, button, buttons

GROUP = -1001234567890
AIGERIM, IVAN, SUPERVISOR, ADMIN, OUTSIDER = 2001, 2002, 2003, 2004, 2999
KK_CITIZEN, RU_CITIZEN, RU_CITIZEN_2, KK_CITIZEN_2 = 1001, 1002, 1003, 1004
STAFF = {
    AIGERIM: ("counselor", "Айгерім"),
    IVAN: ("counselor", "Иван"),
    SUPERVISOR: ("supervisor", "Сауле"),
    ADMIN: ("admin", "Admin"),
}
# Telegram names that must never reach the staff group.
CITIZENS = {
    KK_CITIZEN: "Dana Secretname",
    RU_CITIZEN: "Pyotr Hiddenov",
    RU_CITIZEN_2: "Olga Privatova",
    KK_CITIZEN_2: "Nurlan Unseen",
}
ALWAYS_OPEN = {"office_days": ",".join(WEEKDAYS), "office_hours_start": "00:00"}
ALWAYS_OPEN |= {"office_hours_end": "00:00"}


def closed_until_tomorrow() -> dict[str, str]:
    """Office hours that make now closed: only tomorrow is a working day, 09-18."""
    tomorrow = datetime.now(ZoneInfo("Asia/Almaty")) + timedelta(days=1)
    days = WEEKDAYS[tomorrow.weekday()]
    return {"office_days": days, "office_hours_start": "09:00", "office_hours_end": "18:00"}


EXTRA_RULES = {"живым человеком": "request_human", "адаммен сөйлескім": "request_human"}


class Desk:
    """The harness plus the staff group: helpers for the case desk's tests."""

    def __init__(self, harness: Harness) -> None:
        self.h = harness
        self.emulator: TelegramEmulator = harness.emulator

    async def until(
        self,
        check: Callable[[], Any],
        timeout: float = 10.0,  # noqa: ASYNC109 - a poll deadline whose TimeoutError says what was awaited
        what: str = "condition",
    ) -> Any:
        return await self.h.until(check, timeout, what, trace=self.trace)

    def trace(self) -> list[str]:
        return [
            f"{m.method} {m.chat_id}/{m.message_thread_id}: {(m.text or m.media_kind or '')[:60]}"
            for m in self.emulator.sent[-15:]
        ]

    async def choose(self, user: int, lang: str) -> None:
        [prompt] = await self.h.say(user, "/start")
        label = "Қазақша" if lang == "kk" else "Русский"
        [notice] = await self.h.press(user, prompt, button(prompt, label)["callback_data"])
        ok = "Түсіндім" if lang == "kk" else "Понятно"
        # The button goes (an edit of the notice), then the welcome and the menu.
        await self.h.press(user, notice, button(notice, ok)["callback_data"], count=2)

    async def open_case(
        self, user: int, lang: str, text: str = "/human", *, again: bool = False
    ) -> int:
        """The citizen (`again`: one who has used the bot before) asks for a
        person; returns the new topic's thread id."""
        before = set(self.emulator.forum_topics(GROUP))
        if not again:
            await self.choose(user, lang)
            await self.h.say(user, "закон о религии" if lang == "ru" else "дін туралы заң")
        await self.h.say(user, text)
        return int(
            await self.until(
                lambda: next(iter(set(self.emulator.forum_topics(GROUP)) - before), None),
                what="a new topic",
            )
        )

    def topic(self, thread: int) -> list[SentMessage]:
        return self.emulator.messages_to(GROUP, thread)

    def card(self, thread: int) -> SentMessage:
        return next(m for m in self.topic(thread) if m.method == "sendMessage" and m.buttons)

    def press(self, user: int, message_id: int | None, data: str, *, chat_id: int = GROUP) -> str:
        assert message_id is not None
        return self.emulator.press_button(user, message_id, data, chat_id=chat_id)

    async def answer(self, query_id: str) -> Any:
        return await self.until(
            lambda: next(
                (a for a in self.emulator.callback_answers if a.query_id == query_id), None
            ),
            what=f"the answer to {query_id}",
        )

    async def take(self, user: int, thread: int, citizen: int | None = None) -> Any:
        """Press Take; with `citizen`, also wait until they are told who joined."""
        card = self.card(thread)
        told = len(self.to_citizen(citizen)) if citizen else 0
        answer = await self.answer(
            self.press(user, card.message_id, card.button("Взять")["callback_data"])
        )
        if citizen is not None:
            await self.until(
                lambda: len(self.to_citizen(citizen)) > told, what="the joined message"
            )
        return answer

    async def picker(self, thread: int, prompt: str) -> SentMessage:
        found: SentMessage = await self.until(
            lambda: next(
                (
                    m
                    for m in reversed(self.topic(thread))
                    if m.text
                    and prompt in m.text
                    and (GROUP, m.message_id) not in self.emulator.deleted
                ),
                None,
            ),
            what=prompt,
        )
        return found

    def to_citizen(self, user: int, since: int = 0) -> list[SentMessage]:
        return self.emulator.messages_to(user)[since:]

    def write(self, user: int, thread: int, text: str, **kwargs: Any) -> dict[str, Any]:
        return self.emulator.send_text(
            user, text, chat_id=GROUP, message_thread_id=thread, **kwargs
        )

    async def case(self, **where: Any) -> Case:
        engine = create_engine(self.h.settings.database_url)
        try:
            async with session_factory(engine)() as session:
                query = select(Case)
                for key, value in where.items():
                    query = query.where(getattr(Case, key) == value)
                found = (await session.scalars(query.order_by(Case.id))).first()
                assert found is not None
                return found
        finally:
            await engine.dispose()

    async def audit(self) -> list[str]:
        engine = create_engine(self.h.settings.database_url)
        try:
            async with session_factory(engine)() as session:
                entries = await session.scalars(select(AuditEntry).order_by(AuditEntry.id))
                return [entry.action for entry in entries]
        finally:
            await engine.dispose()

    def assert_anonymous(self) -> None:
        for record in self.emulator.messages_to(GROUP):
            shown = f"{record.text or ''} {record.raw_text or ''}"
            for user_id, name in CITIZENS.items():
                assert str(user_id) not in shown
                for part in name.split():
                    assert part not in shown
        for topic in self.emulator.forum_topics(GROUP).values():
            assert not any(part in topic["name"] for n in CITIZENS.values() for part in n.split())


@contextlib.asynccontextmanager
async def desk_bot(settings: Settings, **overrides: Any) -> AsyncIterator[Desk]:
    engine = create_engine(settings.database_url)
    async with session_factory(engine)() as session:
        staff = StaffService(session)
        for telegram_id, (role, name) in STAFF.items():
            await staff.add(telegram_id, role, name)
    await engine.dispose()
    emulator = TelegramEmulator(rate_limits=RateLimits.unlimited())
    async with emulator:
        emulator.add_bot(BOT_TOKEN, bot_id=BOT_ID, username="kenes_test_bot", first_name="Kenes")
        for user_id, name in CITIZENS.items():
            first, last = name.split()
            emulator.add_user(user_id, first, last_name=last, username=f"{first.lower()}_tg")
        for user_id, (_, name) in STAFF.items():
            emulator.add_user(user_id, f"Tg{name}", username=f"staff{user_id}")
        emulator.add_user(OUTSIDER, "Stranger")
        emulator.add_group(
            GROUP,
            "Kenes counselors",
            members=[AIGERIM, IVAN, SUPERVISOR, OUTSIDER],
            administrators=[ADMIN],
        )
        values: dict[str, Any] = {
            "bot_token": SecretStr(BOT_TOKEN),
            "telegram_api_base": emulator.base_url,
            "staff_chat_id": GROUP,
            "case_jobs_interval_seconds": 0.1,
            "rate_limit_scale": 1000.0,
            "case_inactivity_minutes": 60.0,
            **ALWAYS_OPEN,
            **overrides,
        }
        local = Settings.model_validate({**settings.model_dump(), **values})
        harness = Harness(emulator, local, KeywordNLU({**DEFAULT_RULES, **EXTRA_RULES}))
        await harness.start()
        try:
            yield Desk(harness)
            rejected = [(e.method, e.description) for e in emulator.errors]
            assert not rejected, rejected
        finally:
            await harness.stop()


@pytest.fixture
async def desk(settings: Settings, migrated_engine: object) -> AsyncIterator[Desk]:
    async with desk_bot(settings) as running:
        yield running


def _first_replies() -> float:
    """Cases whose first counselor reply /metrics has counted (the bot runs in this process)."""
    from prometheus_client import REGISTRY

    value = REGISTRY.get_sample_value("kenes_first_reply_seconds_count", {"priority": "request"})
    return value or 0.0


async def test_request_opens_anonymous_case_with_topic_and_card(desk: Desk) -> None:
    thread = await desk.open_case(KK_CITIZEN, "kk")
    told = desk.to_citizen(KK_CITIZEN)[-1]
    assert "кеңесшіге жібердім" in (told.text or "")
    assert "шамамен" in (told.text or "")  # the estimated wait
    name = desk.emulator.forum_topics(GROUP)[thread]["name"]
    assert name == "#0001 · kk · просит специалиста"
    card = desk.card(thread)
    assert "Обращение #0001" in (card.text or "")
    assert "Язык: Қазақша" in (card.text or "")
    assert "Тема: просит специалиста" in (card.text or "")
    assert "request_human" not in (card.text or "")
    assert "ниет" not in (card.text or "")
    assert [b["text"] for b in card.buttons] == ["✋ Взять", "↪️ Передать", "✅ Закрыть"]
    conversation = [m for m in desk.topic(thread) if "Разговор до обращения" in (m.text or "")]
    assert "дін туралы заң" in (conversation[0].text or "")
    # A second request finds the open case instead of opening another.
    [again] = await desk.h.say(KK_CITIZEN, "/human")
    assert "кеңесшіні күтіп тұр" in (again.text or "")
    assert len(desk.emulator.forum_topics(GROUP)) == 1
    desk.assert_anonymous()


async def test_two_counselors_press_take_at_once(desk: Desk) -> None:
    thread = await desk.open_case(RU_CITIZEN, "ru")
    card = desk.card(thread)
    data = card.button("Взять")["callback_data"]
    first = desk.press(AIGERIM, card.message_id, data)
    second = desk.press(IVAN, card.message_id, data)
    answers = [await desk.answer(first), await desk.answer(second)]
    texts = sorted(a.text or "" for a in answers)
    assert texts[0] == "Обращение за вами."
    assert texts[1].startswith("Это обращение уже ведёт ")
    winner = AIGERIM if answers[0].text == "Обращение за вами." else IVAN
    held = await desk.case(id=1)
    assert held.status == "active"
    joined = await desk.until(
        lambda: [m for m in desk.to_citizen(RU_CITIZEN) if "Консультант " in (m.text or "")],
        what="the joined message",
    )
    await desk.emulator.wait_quiet()
    assert len([m for m in desk.to_citizen(RU_CITIZEN) if "теперь с вами" in (m.text or "")]) == 1
    assert STAFF[winner][1] in (joined[0].text or "")
    assert "Tg" not in (joined[0].text or "")  # the chosen name, not the Telegram one
    assert (await desk.audit()).count("take") == 1
    assert "Статус: ведёт" in (desk.emulator.message(GROUP, card.message_id or 0) or {}).get(
        "text", ""
    )


async def test_relay_every_kind_both_ways_with_edits_replies_and_notes(desk: Desk) -> None:
    thread = await desk.open_case(RU_CITIZEN, "ru")
    await desk.take(AIGERIM, thread, RU_CITIZEN)
    base_topic = len(desk.topic(thread))
    kinds = ["photo", "voice", "video", "document", "sticker", "location"]
    sent_in = [desk.emulator.send_text(RU_CITIZEN, "У меня вопрос о сыне")]
    for kind in kinds:
        caption = "подпись" if kind in ("photo", "video", "document", "voice") else None
        sent_in.append(desk.emulator.send_media(RU_CITIZEN, kind, caption=caption))
    copies = await desk.until(
        lambda: (
            c
            if len(c := [m for m in desk.topic(thread)[base_topic:] if m.method == "copyMessage"])
            >= 7
            else None
        ),
        what="seven copies in the topic",
    )
    assert [c.source_message_id for c in copies] == [m["message_id"] for m in sent_in]
    assert [c.media_kind for c in copies[1:]] == kinds
    assert copies[0].text == "У меня вопрос о сыне"

    # The counselor answers with every kind too; the first answer is measured once.
    replies_before = _first_replies()
    base_citizen = len(desk.to_citizen(RU_CITIZEN))
    sent_out = [desk.write(AIGERIM, thread, "Здравствуйте, я вас слушаю.")]
    for kind in kinds:
        sent_out.append(
            desk.emulator.send_media(AIGERIM, kind, chat_id=GROUP, message_thread_id=thread)
        )
    out = await desk.until(
        lambda: c if len(c := desk.to_citizen(RU_CITIZEN, base_citizen)) >= 7 else None,
        what="seven copies to the citizen",
    )
    assert [m.method for m in out] == ["copyMessage"] * 7
    assert [m.source_message_id for m in out] == [m["message_id"] for m in sent_out]
    assert _first_replies() == replies_before + 1

    # Internal notes stay in the topic.
    desk.write(AIGERIM, thread, "!похоже на вербовку, уточнить")
    desk.write(AIGERIM, thread, "/note связаться с центром")
    desk.emulator.send_media(
        AIGERIM, "photo", chat_id=GROUP, message_thread_id=thread, caption="!скриншот"
    )

    # Replies land in their place, both ways.
    counselor_copy = out[0]
    reply_in = desk.emulator.send_text(
        RU_CITIZEN, "Спасибо!", reply_to_message_id=counselor_copy.message_id
    )
    reply_copy = await desk.until(
        lambda: next(
            (m for m in desk.topic(thread) if m.source_message_id == reply_in["message_id"]), None
        ),
        what="the reply's copy",
    )
    assert reply_copy.reply_to_message_id == sent_out[0]["message_id"]
    reply_out = desk.write(AIGERIM, thread, "Пожалуйста.", reply_to_message_id=copies[0].message_id)
    reply_back = await desk.until(
        lambda: next(
            (
                m
                for m in desk.to_citizen(RU_CITIZEN)
                if m.source_message_id == reply_out["message_id"]
            ),
            None,
        ),
        what="the counselor's reply",
    )
    assert reply_back.reply_to_message_id == sent_in[0]["message_id"]

    # Edits follow to the copies.
    desk.emulator.edit_text(RU_CITIZEN, sent_in[0]["message_id"], "У меня вопрос о дочери")
    await desk.until(
        lambda: (
            (desk.emulator.message(GROUP, copies[0].message_id) or {}).get("text")
            == "У меня вопрос о дочери"
        ),
        what="the edited copy in the topic",
    )
    desk.emulator.edit_text(AIGERIM, sent_out[0]["message_id"], "Здравствуйте!", chat_id=GROUP)
    await desk.until(
        lambda: (
            (desk.emulator.message(RU_CITIZEN, out[0].message_id) or {}).get("text")
            == "Здравствуйте!"
        ),
        what="the edited copy for the citizen",
    )
    # Иван does not hold the case: his message stays in the topic.
    before = len(desk.to_citizen(RU_CITIZEN))
    desk.write(IVAN, thread, "Можно я тоже?")
    await desk.until(
        lambda: any("Не отправлено" in (m.text or "") for m in desk.topic(thread)),
        what="the refusal to Иван",
    )
    await desk.emulator.wait_quiet()
    arrived = [m.text or m.media_kind for m in desk.to_citizen(RU_CITIZEN, before)]
    assert arrived == []
    everything = " ".join(m.text or "" for m in desk.to_citizen(RU_CITIZEN))
    assert "вербовку" not in everything
    assert "связаться" not in everything
    assert "скриншот" not in everything
    assert (await desk.audit()).count("note") == 3


async def test_transfer_close_and_rating(desk: Desk) -> None:
    thread = await desk.open_case(KK_CITIZEN, "kk")
    await desk.take(AIGERIM, thread, KK_CITIZEN)
    card = desk.card(thread)
    await desk.answer(
        desk.press(AIGERIM, card.message_id, card.button("Передать")["callback_data"])
    )
    picker = await desk.picker(thread, "Кому передать")
    assert [b["text"] for b in picker.buttons][:3] == ["Иван", "Сауле", "Admin"]
    await desk.answer(
        desk.press(AIGERIM, picker.message_id, picker.button("Иван")["callback_data"])
    )
    await desk.until(
        lambda: any(
            "кеңесші Иван жалғастырады" in (m.text or "") for m in desk.to_citizen(KK_CITIZEN)
        ),
        what="the citizen told about Иван",
    )
    assert (await desk.case(id=1)).holder_id is not None
    # Now only Иван's words reach the citizen.
    base = len(desk.to_citizen(KK_CITIZEN))
    mine = desk.write(IVAN, thread, "Сәлеметсіз бе!")
    desk.write(AIGERIM, thread, "Мен әлі осындамын")
    await desk.until(lambda: len(desk.to_citizen(KK_CITIZEN, base)) >= 1)
    await desk.emulator.wait_quiet()
    assert [m.source_message_id for m in desk.to_citizen(KK_CITIZEN, base)] == [mine["message_id"]]
    # The supervisor returns it to the queue; Айгерім takes it again and closes it.
    card = desk.card(thread)
    await desk.answer(
        desk.press(SUPERVISOR, card.message_id, card.button("Передать")["callback_data"])
    )
    picker = await desk.picker(thread, "Кому передать")
    await desk.answer(
        desk.press(
            SUPERVISOR, picker.message_id, picker.button("Вернуть в очередь")["callback_data"]
        )
    )
    await desk.until(
        lambda: any(
            "басқа кеңесші қосылады" in (m.text or "") for m in desk.to_citizen(KK_CITIZEN)
        ),
        what="the citizen told about the queue",
    )
    assert (await desk.take(AIGERIM, thread, KK_CITIZEN)).text == "Обращение за вами."
    card = desk.card(thread)
    await desk.answer(desk.press(AIGERIM, card.message_id, card.button("Закрыть")["callback_data"]))
    picker = await desk.picker(thread, "С каким итогом")
    assert len(picker.buttons) == 6
    await desk.answer(
        desk.press(AIGERIM, picker.message_id, picker.button("очную")["callback_data"])
    )
    rating = await desk.until(
        lambda: next(
            (m for m in desk.to_citizen(KK_CITIZEN) if m.buttons and "5-ке" in (m.text or "")), None
        ),
        what="the rating prompt",
    )
    # One row of five short buttons: it fits a phone screen.
    assert [len(row) for row in (rating.reply_markup or {})["inline_keyboard"]] == [5]
    assert all(len(b["text"]) <= 3 for b in rating.buttons)
    closed = [
        m for m in desk.to_citizen(KK_CITIZEN) if "Кеңесшімен әңгіме аяқталды" in (m.text or "")
    ]
    assert closed
    answer = await desk.answer(
        desk.press(
            KK_CITIZEN, rating.message_id, rating.buttons[3]["callback_data"], chat_id=KK_CITIZEN
        )
    )
    assert answer.text == "Бағаңызға рахмет!"
    case = await desk.case(id=1)
    assert (case.status, case.outcome, case.rating) == ("closed", "in_person", 4)
    topic = desk.emulator.forum_topics(GROUP)[thread]
    assert (topic["name"], topic["is_closed"]) == ("#0001 · kk · закрыто", True)
    audit = await desk.audit()
    for action in ("take", "transfer", "release", "close", "reply"):
        assert action in audit
    # After closing, the citizen talks to the bot again.
    [reply] = await desk.h.say(KK_CITIZEN, "дін туралы заң")
    assert "483-IV" in (reply.text or "")


async def test_restart_in_the_middle_of_a_case(desk: Desk) -> None:
    thread = await desk.open_case(RU_CITIZEN, "ru")
    await desk.take(IVAN, thread, RU_CITIZEN)
    await desk.h.stop()
    words = ["первое", "второе", "третье"]
    sent = [desk.emulator.send_text(RU_CITIZEN, word) for word in words]
    answer = desk.write(IVAN, thread, "Я на связи")
    await desk.h.start()
    copies = await desk.until(
        lambda: (
            c
            if len(
                c := [
                    m
                    for m in desk.topic(thread)
                    if m.source_message_id in {s["message_id"] for s in sent}
                ]
            )
            == 3
            else None
        ),
        what="the messages sent while the bot was down",
    )
    assert [c.text for c in copies] == words  # in their order
    await desk.until(
        lambda: any(
            m.source_message_id == answer["message_id"] for m in desk.to_citizen(RU_CITIZEN)
        ),
        what="the counselor's message sent while the bot was down",
    )
    case = await desk.case(id=1)
    assert case.status == "active"  # still held by Иван
    later = desk.write(IVAN, thread, "Продолжаем")
    await desk.until(
        lambda: any(m.source_message_id == later["message_id"] for m in desk.to_citizen(RU_CITIZEN))
    )


async def test_outsiders_and_forged_buttons_are_refused(desk: Desk) -> None:
    thread = await desk.open_case(RU_CITIZEN_2, "ru")
    card = desk.card(thread)
    refusal = await desk.answer(
        desk.press(OUTSIDER, card.message_id, card.button("Взять")["callback_data"])
    )
    assert refusal.text == "Это могут делать только консультанты этой группы."
    assert refusal.show_alert
    base = len(desk.to_citizen(RU_CITIZEN_2))
    desk.write(OUTSIDER, thread, "Привет, дай номер")
    desk.emulator.send_media(OUTSIDER, "photo", chat_id=GROUP, message_thread_id=thread)
    await desk.until(
        lambda: sum("только консультанты" in (m.text or "") for m in desk.topic(thread)) >= 2,
        what="the refusals in the topic",
    )
    # The citizen forges staff buttons in the private chat.
    [menu] = await desk.h.say(RU_CITIZEN_2, "/menu")
    for data in ("cs:take:1", "ct:1:1", "cc:1:answered", "cd:1:r:sos", "rt:1:5"):
        answer = await desk.answer(
            desk.press(RU_CITIZEN_2, menu.message_id, data, chat_id=RU_CITIZEN_2)
        )
        assert answer.text == "Эта кнопка больше не действует. Откройте /menu."
    # Staff with forged data get a polite answer too.
    odd = await desk.answer(desk.press(AIGERIM, card.message_id, "cc:1:bogus"))
    assert odd.text == "Эта кнопка больше не действует."
    await desk.emulator.wait_quiet()
    assert [m.text for m in desk.to_citizen(RU_CITIZEN_2, base) if m.method == "copyMessage"] == []
    case = await desk.case(id=1)
    assert (case.status, case.holder_id) == ("waiting", None)
    # A counselor cannot manage the staff; the admin can.
    [no] = await desk.h.say(AIGERIM, "/staff list", chat_id=GROUP)
    assert "только администраторы" in (no.text or "")
    [added] = await desk.h.say(ADMIN, f"/staff add {OUTSIDER} counselor Ержан", chat_id=GROUP)
    assert "Ержан теперь в команде: консультант" in (added.text or "")
    taken = await desk.take(OUTSIDER, thread)
    assert taken.text == "Обращение за вами."


def _general_notes(desk: Desk, phrase: str) -> list[SentMessage]:
    """The bot's messages in the staff group's General topic that contain `phrase`."""
    return [
        m
        for m in desk.emulator.messages_to(GROUP)
        if m.message_thread_id is None and phrase in (m.text or "")
    ]


async def _close(desk: Desk, staff: int, thread: int, outcome: str) -> None:
    card = desk.card(thread)
    await desk.answer(desk.press(staff, card.message_id, card.button("Закрыть")["callback_data"]))
    picker = await desk.picker(thread, "С каким итогом")
    await desk.answer(desk.press(staff, picker.message_id, picker.button(outcome)["callback_data"]))
    await desk.until(
        lambda: desk.emulator.forum_topics(GROUP)[thread]["is_closed"], what="the closed topic"
    )


async def test_forget_deletes_the_citizens_topics(desk: Desk) -> None:
    # An earlier case, closed by the counselor, then an open one with a relayed message.
    first = await desk.open_case(KK_CITIZEN_2, "kk")
    await desk.take(AIGERIM, first, KK_CITIZEN_2)
    await _close(desk, AIGERIM, first, "очную")
    await desk.until(
        lambda: any("5-ке" in (m.text or "") for m in desk.to_citizen(KK_CITIZEN_2)),
        what="the rating prompt",
    )
    second = await desk.open_case(KK_CITIZEN_2, "kk", again=True)
    await desk.take(AIGERIM, second, KK_CITIZEN_2)
    desk.emulator.send_text(KK_CITIZEN_2, "менің ұлым туралы бір нәрсе айтқым келеді")
    copy = await desk.until(
        lambda: next((m for m in desk.topic(second) if "ұлым туралы" in (m.text or "")), None),
        what="the relayed message",
    )
    kept = {m.message_id for m in desk.topic(first) + desk.topic(second) if m.message_id}
    copies = [i for i in kept if desk.emulator.message(GROUP, i) is not None]
    [confirm] = await desk.h.say(KK_CITIZEN_2, "/forget")
    assert "кеңесшілермен хат алмасуыңыз" in (confirm.text or "")
    replies = await desk.h.press(
        KK_CITIZEN_2, confirm, button(confirm, "Иә")["callback_data"], count=2
    )
    assert "Кеңесшімен әңгімеңіз жабылды" in (replies[0].text or "")
    assert "деректеріңіз жойылды" in (replies[1].text or "")
    # Both topics are gone with every copy of the citizen's words; General says so.
    topics = desk.emulator.forum_topics(GROUP)
    assert first not in topics
    assert second not in topics
    assert copy.message_id in copies
    assert [i for i in copies if desk.emulator.message(GROUP, i) is not None] == []
    [note] = _general_notes(desk, "удалил свои данные")
    assert "#0001, #0002" in (note.text or "")
    for number in (1, 2):
        case = await desk.case(id=number)
        assert (case.citizen_id, case.chat_id, case.topic_id, case.card_message_id) == (
            None,
            None,
            None,
            None,
        )
    assert (await desk.case(id=2)).outcome == "withdrawn"
    assert (await desk.case(id=1)).outcome != "withdrawn"
    desk.assert_anonymous()


async def test_forget_when_the_bot_cannot_delete_topics(desk: Desk) -> None:
    thread = await desk.open_case(KK_CITIZEN_2, "kk")
    desk.emulator.revoke_bot_right(GROUP, "can_delete_messages")
    [confirm] = await desk.h.say(KK_CITIZEN_2, "/forget")
    await desk.h.press(KK_CITIZEN_2, confirm, button(confirm, "Иә")["callback_data"], count=2)
    # The topic stays, closed and marked, with a note asking staff to delete it.
    topic = desk.emulator.forum_topics(GROUP)[thread]
    assert (topic["name"], topic["is_closed"]) == ("#0001 · kk · отозвано", True)
    notes = [m.text or "" for m in desk.topic(thread)]
    assert any("не смог удалить эту тему" in n for n in notes)
    assert any("отозвал обращение" in n for n in notes)
    assert _general_notes(desk, "удалил свои данные") == []
    refused = [(e.method, e.description) for e in desk.emulator.errors]
    assert refused == [("deleteForumTopic", "Bad Request: CHAT_ADMIN_REQUIRED")]
    desk.emulator.errors.clear()
    case = await desk.case(id=1)
    assert (case.status, case.outcome, case.citizen_id, case.topic_id) == (
        "closed",
        "withdrawn",
        None,
        thread,
    )


async def test_forget_after_staff_deleted_the_topic(desk: Desk) -> None:
    thread = await desk.open_case(RU_CITIZEN, "ru")
    desk.emulator.delete_topic(GROUP, thread)
    posted = len(desk.emulator.messages_to(GROUP))
    [confirm] = await desk.h.say(RU_CITIZEN, "/forget")
    yes = button(confirm, "Да")["callback_data"]
    replies = await desk.h.press(RU_CITIZEN, confirm, yes, count=2)
    assert "удалены" in (replies[1].text or "")
    refused = [(e.method, e.description) for e in desk.emulator.errors]
    assert refused == [("deleteForumTopic", "Bad Request: TOPIC_ID_INVALID")]
    desk.emulator.errors.clear()
    case = await desk.case(id=1)
    assert (case.outcome, case.topic_id, case.citizen_id) == ("withdrawn", None, None)
    # The topic is gone already: no note to it, none to General.
    assert desk.emulator.messages_to(GROUP)[posted:] == []


async def test_crisis_opens_an_urgent_case_with_the_numbers_first(desk: Desk) -> None:
    await desk.choose(RU_CITIZEN, "ru")
    numbers, answer, opened = await desk.h.say(RU_CITIZEN, "я больше жить не хочу", count=3)
    assert "112" in (numbers.text or "")
    assert (numbers.text or "").index("112") < (numbers.text or "").index("150")
    assert "срочное" in (opened.text or "")
    # The answer promises nothing the desk's message does not say, and carries
    # no rating, no menu: the case itself is the way to a person.
    assert answer.text
    assert "в пути" not in answer.text
    assert "как можно скорее" not in answer.text
    assert not buttons(answer)
    assert "Обычно консультант отвечает" in (opened.text or "")
    [thread] = desk.emulator.forum_topics(GROUP)
    assert desk.emulator.forum_topics(GROUP)[thread]["name"] == "#0001 · ru · срочно"
    assert "срочно" in (desk.card(thread).text or "")
    # Another citizen's plain request, then a crisis message inside that case.
    other = await desk.open_case(KK_CITIZEN, "kk")
    assert desk.emulator.forum_topics(GROUP)[other]["name"].endswith("· просит специалиста")
    base = len(desk.to_citizen(KK_CITIZEN))
    desk.emulator.send_text(KK_CITIZEN, "жить не хочу больше")
    shown = await desk.until(lambda: desk.to_citizen(KK_CITIZEN, base), what="the numbers")
    assert "112" in (shown[0].text or "")
    await desk.until(
        lambda: desk.emulator.forum_topics(GROUP)[other]["name"].endswith("· срочно"),
        what="the case raised to urgent",
    )
    await desk.until(
        lambda: any("похоже на кризис" in (m.text or "") for m in desk.topic(other)),
        what="the crisis note",
    )
    relayed = [m for m in desk.topic(other) if m.text == "жить не хочу больше"]
    assert relayed  # the message itself reached the counselors too
    # /queue lists both, the urgent ones first.
    desk.emulator.send_text(AIGERIM, "/queue", chat_id=GROUP)
    queue = await desk.until(
        lambda: next(
            (m for m in desk.emulator.messages_to(GROUP) if "Ждут консультанта" in (m.text or "")),
            None,
        ),
        what="the queue",
    )
    assert (queue.text or "").index("#0001") < (queue.text or "").index("#0002")


async def test_resources_and_canned_replies_in_the_citizens_language(desk: Desk) -> None:
    thread = await desk.open_case(KK_CITIZEN, "kk")
    await desk.take(IVAN, thread, KK_CITIZEN)
    base = len(desk.to_citizen(KK_CITIZEN))
    desk.write(IVAN, thread, "/resources")
    offer = await desk.picker(thread, "Выберите, что отправить гражданину")
    await desk.answer(
        desk.press(IVAN, offer.message_id, offer.button("Экстренные")["callback_data"])
    )
    card = await desk.until(lambda: desk.to_citizen(KK_CITIZEN, base), what="the resource card")
    assert "112" in (card[0].text or "")
    desk.write(IVAN, thread, "/canned")
    canned = await desk.picker(thread, "Готовые ответы")
    await desk.answer(
        desk.press(IVAN, canned.message_id, canned.button("Приветствие")["callback_data"])
    )
    greeting = await desk.until(
        lambda: [m for m in desk.to_citizen(KK_CITIZEN, base) if "кеңесшісімін" in (m.text or "")],
        what="the canned greeting in Kazakh",
    )
    assert greeting
    await desk.until(
        lambda: sum("Отправлено гражданину" in (m.text or "") for m in desk.topic(thread)) == 2,
        what="both sendings recorded in the topic",
    )
    # /mycases lists it for Иван.
    [mine] = await desk.h.say(IVAN, "/mycases", chat_id=GROUP)
    assert "#0001" in (mine.text or "")


async def test_reannounce_remind_and_auto_close(
    settings: Settings, migrated_engine: object
) -> None:
    async with desk_bot(
        settings,
        reannounce_urgent_minutes=0.01,
        reannounce_request_minutes=0.01,
        case_inactivity_minutes=0.02,
    ) as desk:
        await desk.choose(RU_CITIZEN, "ru")
        await desk.h.say(RU_CITIZEN, "я больше жить не хочу", count=3)
        await desk.choose(RU_CITIZEN_2, "ru")
        await desk.h.say(RU_CITIZEN_2, "/human")
        general = await desk.until(
            lambda: [
                m
                for m in desk.emulator.messages_to(GROUP)
                if m.message_thread_id is None and "Консультанта ждут 2 обращения" in (m.text or "")
            ],
            what="the announcement with two waiting",
        )
        assert "#0001" in (general[0].text or "")
        [thread, _] = sorted(desk.emulator.forum_topics(GROUP))
        await desk.take(AIGERIM, thread, RU_CITIZEN)
        desk.write(AIGERIM, thread, "Вы здесь?")
        reminder = await desk.until(
            lambda: [m for m in desk.to_citizen(RU_CITIZEN) if "Вы ещё здесь?" in (m.text or "")],
            what="the reminder",
        )
        assert reminder
        await desk.until(
            lambda: any("разговор закрыт" in (m.text or "") for m in desk.to_citizen(RU_CITIZEN)),
            what="the automatic close",
        )
        # No rating prompt after a close for no response.
        await desk.emulator.wait_quiet()
        assert not any("5 (отлично)" in (m.text or "") for m in desk.to_citizen(RU_CITIZEN))
        case = await desk.case(id=1)
        assert (case.status, case.outcome) == ("closed", "no_response")
        assert any("не ответил после напоминания" in (m.text or "") for m in desk.topic(thread))


async def test_outside_office_hours_the_case_still_opens(
    settings: Settings, migrated_engine: object
) -> None:
    async with desk_bot(settings, **closed_until_tomorrow()) as desk:
        await desk.choose(RU_CITIZEN, "ru")
        [told] = await desk.h.say(RU_CITIZEN, "/human")
        assert "Сейчас консультанты не работают" in (told.text or "")
        assert "завтра в 09:00" in (told.text or "")
        assert len(desk.emulator.forum_topics(GROUP)) == 1


@pytest.mark.parametrize(
    ("user", "lang", "text", "closed", "until"),
    [
        (
            RU_CITIZEN,
            "ru",
            "я больше жить не хочу",
            "Сейчас консультанты не работают",
            "До тех пор",
        ),
        (KK_CITIZEN, "kk", "өлгім келеді", "Қазір кеңесшілердің жұмыс уақыты емес", "Оған дейін"),
    ],
)
async def test_a_crisis_outside_office_hours_says_when_and_whom_to_call(
    settings: Settings,
    migrated_engine: object,
    user: int,
    lang: str,
    text: str,
    closed: str,
    until: str,
) -> None:
    async with desk_bot(settings, **closed_until_tomorrow()) as desk:
        await desk.choose(user, lang)
        numbers, answer, opened = await desk.h.say(user, text, count=3)
        assert "112" in (numbers.text or "")
        assert "келе жатыр" not in (answer.text or "")
        assert "в пути" not in (answer.text or "")
        assert not buttons(answer)
        told = opened.text or ""
        assert closed in told
        assert until in told
        assert "112" in told
        assert "09:00" in told


async def test_accepting_the_offer_after_an_escalate_answer(desk: Desk) -> None:
    await desk.choose(RU_CITIZEN_2, "ru")
    [answer] = await desk.h.say(RU_CITIZEN_2, "брат попал в секту")
    # Under an escalate answer: one way to a person, no rating, no menu.
    assert [b["text"] for b in buttons(answer)] == ["💬 Поговорить со специалистом"]
    assert "полезен" not in (answer.text or "")
    offer = button(answer, "специалист")
    [told] = await desk.h.press(RU_CITIZEN_2, answer, offer["callback_data"])
    assert "Я передал ваш разговор консультанту" in (told.text or "")
    [thread] = desk.emulator.forum_topics(GROUP)
    assert desk.emulator.forum_topics(GROUP)[thread]["name"] == "#0001 · ru · деликатная тема"
    card = desk.card(thread)
    assert "Близкий попал в подозрительную группу" in (card.text or "")
    assert "relative_in_group" not in (card.text or "")
    assert "деликатная тема" in (card.text or "")
    conversation = next(m for m in desk.topic(thread) if "Разговор до обращения" in (m.text or ""))
    assert "брат попал в секту" in (conversation.text or "")

    # Asking for a person in words opens a case at once, without the answer.
    await desk.choose(KK_CITIZEN, "kk")
    [opened] = await desk.h.say(KK_CITIZEN, "тірі адаммен сөйлескім келеді")
    assert "кеңесшіге жібердім" in (opened.text or "")
    topics = desk.emulator.forum_topics(GROUP)
    assert sorted(t["name"] for t in topics.values())[1] == "#0002 · kk · просит специалиста"


async def test_with_a_desk_fallback_and_answers_offer_a_person(desk: Desk) -> None:
    await desk.choose(RU_CITIZEN_2, "ru")
    [reply] = await desk.h.say(RU_CITIZEN_2, "ыыы непонятное что-то")
    assert "поговорить со специалистом" in (reply.text or "")
    assert "💬 Поговорить со специалистом" in [b["text"] for b in buttons(reply)]
    [thanks] = await desk.h.say(RU_CITIZEN_2, "спасибо")
    assert "Если захотите поговорить со специалистом" in (thanks.text or "")
