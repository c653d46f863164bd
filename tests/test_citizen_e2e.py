"""End to end: the real bot polling the Bot API emulator, a fake NLU.

Each test plays a citizen through the emulator, as Telegram would deliver the
updates, and checks what the bot sent. The emulator rejects what Telegram
rejects (too long, bad HTML, oversized callback data), so every test also
checks that the bot made no rejected call.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select

from bot.config import Settings
from bot.db.engine import create_engine, session_factory
from bot.db.models import Citizen, FeedbackVote, MessageLog
from tests.fakes import KeywordNLU
from tests.harness import Harness, button, buttons, running_bot

KK_USER = 1001
RU_USER = 1002


@pytest.fixture
def nlu() -> KeywordNLU:
    return KeywordNLU()


@pytest.fixture
async def bot(
    settings: Settings, migrated_engine: object, nlu: KeywordNLU
) -> AsyncIterator[Harness]:
    async with running_bot(settings, nlu=nlu) as harness:
        yield harness
        assert not harness.emulator.errors, harness.emulator.errors


async def choose(bot: Harness, user: int, lang: str) -> None:
    [prompt] = await bot.say(user, "/start")
    assert "Тілді таңдаңыз" in prompt.text
    assert "Выберите язык" in prompt.text
    label = "Қазақша" if lang == "kk" else "Русский"
    [notice] = await bot.press(user, prompt, button(prompt, label)["callback_data"])
    ok = "Түсіндім" if lang == "kk" else "Понятно"
    # The button goes (an edit of the notice), then the welcome and the menu.
    await bot.press(user, notice, button(notice, ok)["callback_data"], count=2)


async def count(settings: Settings, model: type, **where: object) -> int:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            query = select(func.count()).select_from(model)
            for key, value in where.items():
                query = query.where(getattr(model, key) == value)
            return int(await session.scalar(query) or 0)
    finally:
        await engine.dispose()


async def test_start_language_privacy_menu_in_kazakh(bot: Harness) -> None:
    [prompt] = await bot.say(KK_USER, "/start")
    [notice] = await bot.press(KK_USER, prompt, button(prompt, "Қазақша")["callback_data"])
    assert "Жеке деректеріңіз туралы" in notice.text
    assert "/forget" in notice.text
    assert "90" in notice.text
    assert "билікке мәлімет беретін арна емес" in notice.text
    # Choosing the language is not consent; the notice's own button is.
    assert await count(bot.settings, Citizen, telegram_id=KK_USER, consent_at=None) == 1
    edited, welcome = await bot.press(
        KK_USER, notice, button(notice, "Түсіндім")["callback_data"], count=2
    )
    assert edited.is_edit
    assert not buttons(edited)
    assert await count(bot.settings, Citizen, telegram_id=KK_USER, consent_at=None) == 0
    assert "Kenes" in welcome.text
    labels = [b["text"] for b in buttons(welcome)]
    assert any("Маған көмек керек" in label for label in labels)
    assert any("Маманмен сөйлесу" in label for label in labels)


async def test_start_in_russian_and_language_stored(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    assert await count(bot.settings, Citizen, telegram_id=RU_USER, language="ru") == 1
    [reply] = await bot.say(RU_USER, "/help")
    assert "Что я умею" in reply.text
    assert "/human" in reply.text
    [notice] = await bot.say(RU_USER, "/privacy")
    assert "не канал, передающий сведения властям" in notice.text
    assert "донос" not in notice.text.lower()


async def test_faq_answer_with_sources_and_vote(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [answer] = await bot.say(RU_USER, "какой закон регулирует религию")
    assert "483-IV" in answer.text
    assert "Ответ был полезен?" in answer.text
    urls = [str(b["url"]) for b in buttons(answer) if b.get("url")]
    assert "https://adilet.zan.kz" in "".join(urls)
    up = button(answer, "👍")
    bot.emulator.press_button(RU_USER, answer.message_id, up["callback_data"])
    await bot.quiet(RU_USER, 0, 0.5)
    assert [a.text for a in bot.emulator.callback_answers][-1] == "Спасибо за отзыв!"
    assert await count(bot.settings, FeedbackVote, helpful=True) == 1


async def test_faq_answer_in_kazakh(bot: Harness) -> None:
    await choose(bot, KK_USER, "kk")
    [answer] = await bot.say(KK_USER, "дін туралы заң қандай")
    assert "483-IV" in answer.text
    assert "Жауап пайдалы болды ма?" in answer.text


async def test_fallback_offers_topics_and_no_person_without_a_desk(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [reply] = await bot.say(RU_USER, "ыыы непонятное что-то")
    assert "Не уверен" in reply.text
    labels = [b["text"] for b in buttons(reply)]
    assert len([b for b in buttons(reply) if b["callback_data"].startswith("t:")]) == 3
    # No staff group in this harness: neither the text nor a button offers a person.
    assert "специалист" not in reply.text
    assert not any("Поговорить со специалистом" in label for label in labels)
    [answer] = await bot.press(RU_USER, reply, buttons(reply)[0]["callback_data"])
    assert "Ответ был полезен?" in answer.text
    # The unclear text is kept for editors; the understood ones are not.
    assert await count(bot.settings, MessageLog, route="fallback") == 1


async def test_menu_categories_questions_answers(bot: Harness) -> None:
    await choose(bot, KK_USER, "kk")
    [menu] = await bot.say(KK_USER, "/menu")
    [category] = await bot.press(KK_USER, menu, button(menu, "Заң және құқықтар")["callback_data"])
    [answer] = await bot.press(
        KK_USER, category, button(category, "Дін туралы заң")["callback_data"]
    )
    assert "483-IV" in answer.text
    [back] = await bot.press(KK_USER, category, button(category, "Артқа")["callback_data"])
    assert "Тақырыпты таңдаңыз" in back.text


async def test_the_help_menu_starts_with_the_emergency_numbers(bot: Harness) -> None:
    await choose(bot, KK_USER, "kk")
    [menu] = await bot.say(KK_USER, "/menu")
    [category] = await bot.press(KK_USER, menu, button(menu, "Маған көмек керек")["callback_data"])
    first = buttons(category)[0]
    assert "Шұғыл көмек нөмірлері" in first["text"]
    [numbers] = await bot.press(KK_USER, category, first["callback_data"])
    assert "қоңырау шалыңыз" in numbers.text
    assert "112" in numbers.text
    assert "103" in numbers.text


async def test_crisis_gets_emergency_numbers_first(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    numbers, answer = await bot.say(RU_USER, "я больше жить не хочу", count=2)
    # Self-harm: 112, the ambulance and the helpline before the police.
    text = numbers.text
    assert text.index("112") < text.index("103") < text.index("150") < text.index("102")
    assert "111" in text
    # No staff group in this harness: nothing promises a counselor, no button
    # pretends to reach one, and nothing asks for a rating.
    assert "в пути" not in answer.text
    assert "как можно скорее" not in answer.text
    assert "пока не могут отвечать в этом чате" in answer.text
    assert "полезен" not in answer.text
    assert buttons(answer) == []


async def test_escalate_without_a_desk_says_where_people_are(bot: Harness) -> None:
    await choose(bot, KK_USER, "kk")
    [answer] = await bot.say(KK_USER, "ұлым сектаға кіріп кетті")
    assert "әзірге жауап бере алмайды" in answer.text
    assert "пайдалы болды ма" not in answer.text.lower()
    assert buttons(answer) == []
    # The curated answer stays, but not its offer of a counselor in this chat.
    assert "алшақтап бара жатқанын" in answer.text
    assert "осы чатта сізбен" not in answer.text


async def test_without_a_desk_faq_answers_offer_no_specialist_here(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [thanks] = await bot.say(RU_USER, "спасибо")
    assert thanks.text.startswith("Пожалуйста! Если будут ещё вопросы — пишите.")
    assert "специалист" not in thanks.text
    [menu] = await bot.say(RU_USER, "/menu")
    [category] = await bot.press(RU_USER, menu, buttons(menu)[0]["callback_data"])
    for entry in buttons(category)[:6]:
        if not entry["callback_data"].startswith("t:"):
            continue
        [answer] = await bot.press(RU_USER, category, entry["callback_data"])
        assert "здесь, в этом чате" not in answer.text
        assert "здесь, в чате" not in answer.text
        labels = [b["text"] for b in buttons(answer)]
        assert "💬 Поговорить со специалистом" not in labels


async def test_nlu_down_degrades_and_recovers(bot: Harness, nlu: KeywordNLU) -> None:
    await choose(bot, RU_USER, "ru")
    nlu.down = True
    [reply] = await bot.say(RU_USER, "какой закон о религии")
    assert "ограничены" in reply.text
    assert any("Меню" in b["text"] for b in buttons(reply))
    nlu.down = False
    [answer] = await bot.say(RU_USER, "какой закон о религии")
    assert "483-IV" in answer.text


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("sticker", "только текст"),
        ("photo", "только текст"),
        ("document", "только текст"),
        ("voice", "голосовые"),
        ("video_note", "голосовые"),
        ("location", "местоположение"),
    ],
)
async def test_non_text_gets_a_polite_reply(bot: Harness, kind: str, expected: str) -> None:
    await choose(bot, RU_USER, "ru")
    before = len(bot.emulator.messages_to(RU_USER))
    bot.emulator.send_media(RU_USER, kind)
    [reply] = await bot.replies(RU_USER, before)
    assert expected in reply.text


async def test_edited_message_gets_a_reply(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    before = len(bot.emulator.messages_to(RU_USER))
    incoming = bot.emulator.send_text(RU_USER, "какой закон")
    [first] = await bot.replies(RU_USER, before)
    before = len(bot.emulator.messages_to(RU_USER))
    bot.emulator.edit_text(RU_USER, incoming["message_id"], "какой закон о религии")
    [reply] = await bot.replies(RU_USER, before)
    assert "новым сообщением" in reply.text
    assert first.text


async def test_long_and_html_like_text_are_safe(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [reply] = await bot.say(RU_USER, "закон " + "а" * 3990)
    assert reply.text
    [reply] = await bot.say(RU_USER, "<script>alert('x')</script> & <b>закон</b> <i")
    assert reply.text  # answered; nothing of the input echoed as HTML


async def test_forged_button_data_is_refused_politely(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [menu] = await bot.say(RU_USER, "/menu")
    for data in ("fb:999999:1", "t:no_such_intent", "m:../../etc", "garbage", "rg:mars:"):
        bot.emulator.press_button(RU_USER, menu.message_id, data)
    await bot.quiet(RU_USER, 0, 0.8)
    answers = [a.text for a in bot.emulator.callback_answers[-5:]]
    assert answers.count("Эта кнопка больше не действует. Откройте /menu.") >= 4


async def test_unknown_command(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [reply] = await bot.say(RU_USER, "/launch_rockets")
    assert "/help" in reply.text


async def test_resources_asks_region_once_and_stores_it(bot: Harness) -> None:
    await choose(bot, KK_USER, "kk")
    [prompt] = await bot.say(KK_USER, "/resources")
    assert "Қай өңірдесіз" in prompt.text
    assert len(buttons(prompt)) == 20
    [card] = await bot.press(KK_USER, prompt, button(prompt, "Атырау")["callback_data"])
    assert "Атырау" in card.text
    assert "114" in card.text
    assert "редактор" in card.text  # unverified contacts are marked
    [again] = await bot.say(KK_USER, "/resources")
    assert "Атырау" in again.text  # not asked twice


async def test_the_region_question_is_asked_once(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    _answer, prompt = await bot.say(RU_USER, "управление по делам религий", count=2)
    assert "В каком вы регионе" in prompt.text
    rows = prompt.reply_markup["inline_keyboard"]
    assert sum(len(row) for row in rows) == 20
    for row in rows:  # one a row, or two short ones: they fit a phone screen
        assert len(row) == 1 or sum(len(b["text"]) for b in row) <= 24
    assert any(b["text"] == "Восточно-Казахстанская область" for row in rows for b in row)
    before = len(bot.emulator.messages_to(RU_USER))
    [again] = await bot.say(RU_USER, "как связаться с управлением по делам религий")
    assert again.text
    assert await bot.quiet(RU_USER, before + 1) == []  # no second question


async def test_regional_answer_uses_region_from_text(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    [answer] = await bot.say(RU_USER, "управление по делам религий в Атырау")
    assert "Атырау" in answer.text
    assert await count(bot.settings, Citizen, region="atyrau") == 1


async def test_offers_language_switch_after_two_messages(bot: Harness) -> None:
    await choose(bot, KK_USER, "kk")
    await bot.say(KK_USER, "здравствуйте подскажите пожалуйста")
    replies = await bot.say(KK_USER, "какой закон о религии действует в стране", count=2)
    offer = replies[-1]
    assert "Русский" in [b["text"] for b in buttons(offer)]
    [done] = await bot.press(KK_USER, offer, button(offer, "Русский")["callback_data"])
    assert "по-русски" in done.text
    assert await count(bot.settings, Citizen, telegram_id=KK_USER, language="ru") == 1


async def test_forget_deletes_after_confirmation(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    await bot.say(RU_USER, "какой закон")
    [confirm] = await bot.say(RU_USER, "/forget")
    [kept] = await bot.press(RU_USER, confirm, button(confirm, "Отмена")["callback_data"])
    assert "Ничего не удалено" in kept.text
    assert await count(bot.settings, Citizen, telegram_id=RU_USER) == 1
    [done] = await bot.press(RU_USER, confirm, button(confirm, "Да, удалить")["callback_data"])
    assert "удалены" in done.text
    assert await count(bot.settings, Citizen, telegram_id=RU_USER) == 0
    assert await count(bot.settings, MessageLog) == 0


async def test_shutdown_lets_updates_in_hand_finish(bot: Harness, nlu: KeywordNLU) -> None:
    await choose(bot, RU_USER, "ru")
    nlu.hold = asyncio.Event()
    before = len(bot.emulator.messages_to(RU_USER))
    calls = nlu.calls
    bot.emulator.send_text(RU_USER, "закон о религии")
    await bot.until(lambda: nlu.calls > calls, what="the update in hand")
    stopping = asyncio.create_task(bot.stop())
    await asyncio.sleep(0.3)
    assert not stopping.done()  # waiting for the handler, not cutting it off
    nlu.hold.set()
    await asyncio.wait_for(stopping, 10)
    [reply] = bot.emulator.messages_to(RU_USER)[before:]
    assert "483-IV" in (reply.text or "")


async def test_first_message_without_start_is_answered_then_language_asked(bot: Harness) -> None:
    answer, prompt = await bot.say(RU_USER, "какой закон о религии", count=2)
    assert "483-IV" in answer.text
    assert "Выберите язык" in prompt.text


async def test_flood_is_absorbed_within_limits(bot: Harness) -> None:
    await choose(bot, RU_USER, "ru")
    before = len(bot.emulator.messages_to(RU_USER))
    for i in range(25):
        bot.emulator.send_text(RU_USER, f"какой закон {i}")
    # Until 2 s pass without a send: twice the private chat's 1 s between sends.
    sent = await bot.quiet(RU_USER, before, 2.0)
    assert any("очень быстро" in m.text for m in sent), [(m.time, m.text[:20]) for m in sent]
    assert len(sent) < 25  # not one answer per flooded message

    # ...but every message was routed (and safety-checked), one after another.
    async def all_logged() -> bool:
        return await count(bot.settings, MessageLog) >= 25

    assert await bot.until(all_logged, timeout=10.0, what="25 messages in the message log")


async def test_logs_carry_no_text_names_or_ids(
    bot: Harness, caplog: pytest.LogCaptureFixture, nlu: KeywordNLU
) -> None:
    caplog.set_level("INFO")
    # An id no duration or counter in a log line could equal by chance.
    user = 734_091_157
    bot.emulator.add_user(user, "Zhanargul", username="zhanargul_k")
    await choose(bot, user, "ru")
    secret = "секретная фраза про закон"
    await bot.say(user, secret)
    nlu.down = True
    await bot.say(user, secret)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "секретная" not in logged
    assert str(user) not in logged
    assert "Zhanargul" not in logged
    assert "zhanargul_k" not in logged
