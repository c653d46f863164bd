"""The Bot API emulator, driven by a real aiogram Bot over HTTP.

Each check is something the bot's end-to-end tests rely on: the wire format
aiogram expects, Telegram's rejections with the right exception types, flood
limits with `retry_after`, forum topics, copies of media, callback answers.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramRetryAfter,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonCommands,
    ReplyParameters,
)

from devkit.emulator import RateLimits, TelegramEmulator

TOKEN = "123456:emulator-test-token"
USER = 1001
STRANGER = 1002
GROUP = -1001234567890


def _bot(emulator: TelegramEmulator, token: str = TOKEN) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(emulator.base_url))
    return Bot(token, session=session)


def _keyboard(*buttons: InlineKeyboardButton) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[button] for button in buttons])


def _populate(emulator: TelegramEmulator) -> None:
    emulator.add_bot(TOKEN, username="kenes_test_bot", first_name="Kenes")
    emulator.add_user(USER, "Aigerim", username="aigerim", language_code="kk")
    emulator.add_user(STRANGER, "Nurlan")
    emulator.add_group(GROUP, "Counselors", members=[USER])


@pytest.fixture
async def emulator() -> AsyncIterator[TelegramEmulator]:
    async with TelegramEmulator(rate_limits=RateLimits.unlimited()) as running:
        _populate(running)
        yield running


@pytest.fixture
async def bot(emulator: TelegramEmulator) -> AsyncIterator[Bot]:
    async with _bot(emulator) as client:
        yield client


async def test_get_me_and_unauthorized_token(emulator: TelegramEmulator, bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (123456, "kenes_test_bot", True)
    async with _bot(emulator, "999:unknown") as stranger:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    assert emulator.errors[-1].status == 401


async def test_wire_formats_and_unknown_method(emulator: TelegramEmulator) -> None:
    emulator.send_text(USER, "hello")
    base = f"{emulator.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{base}/sendMessage", json={"chat_id": USER, "text": "json"}) as r:
            assert r.status == 200
            assert (await r.json())["result"]["text"] == "json"
        form = {"chat_id": str(USER), "text": "form"}
        async with http.post(f"{base}/sendMessage", data=form) as r:
            assert r.status == 200
        async with http.get(f"{base}/sendMessage", params={"chat_id": USER, "text": "q"}) as r:
            assert r.status == 200
        async with http.post(f"{base}/noSuchMethod") as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert [record.text for record in emulator.messages_to(USER)] == ["json", "form", "q"]


async def test_long_polling_returns_an_update_promptly(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    started = loop.time()
    polling = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    assert not polling.done()
    emulator.send_text(USER, "/start payload")
    updates = await asyncio.wait_for(polling, 2)
    assert loop.time() - started < 1.5
    message = updates[0].message
    assert message is not None
    assert message.text == "/start payload"
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].length) == ("bot_command", 6)
    assert message.chat.type == "private"
    assert await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0) == []

    # allowed_updates filters what is delivered.
    sent = await bot.send_message(
        USER, "pick", reply_markup=_keyboard(InlineKeyboardButton(text="a", callback_data="a"))
    )
    emulator.press_button(USER, sent.message_id, "a")
    assert await bot.get_updates(timeout=0, allowed_updates=["message"]) == []


async def test_wait_quiet_waits_while_the_bot_sends(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.send_text(USER, "hello")
    loop = asyncio.get_running_loop()

    async def trickle() -> None:
        for text in ("one", "two", "three"):
            await asyncio.sleep(0.15)
            await bot.send_message(USER, text)

    sending = asyncio.create_task(trickle())
    started = loop.time()
    arrived = await emulator.wait_quiet(USER, quiet=0.3)
    await sending
    # Each send within the quiet period started it again: all three are seen.
    assert [record.text for record in arrived] == ["one", "two", "three"]
    assert loop.time() - started >= 0.75
    assert await emulator.wait_quiet(STRANGER, quiet=0.1) == []
    assert await emulator.wait_quiet(USER, quiet=0.1, since=len(emulator.sent)) == []

    async def chatter() -> None:
        while True:
            await asyncio.sleep(0.05)
            await bot.send_message(USER, "again")

    busy = asyncio.create_task(chatter())
    try:
        with pytest.raises(TimeoutError, match=r"not quiet for 0\.3s within 0\.5s"):
            await emulator.wait_quiet(USER, quiet=0.3, timeout=0.5)
    finally:
        busy.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await busy


async def test_a_second_poll_terminates_the_first(bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    second = asyncio.create_task(bot.get_updates(timeout=0))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 2)
    assert await second == []


async def test_send_message_round_trip_with_inline_keyboard(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.send_text(USER, "/start")
    markup = _keyboard(
        InlineKeyboardButton(text="Yes", callback_data="answer:yes"),
        InlineKeyboardButton(text="Site", url="https://www.gov.kz"),
    )
    message = await bot.send_message(
        USER, "<b>Сәлем</b> &amp; welcome", parse_mode="HTML", reply_markup=markup
    )
    assert message.text == "Сәлем & welcome"
    assert message.entities is not None
    assert (message.entities[0].type, message.entities[0].length) == ("bold", 5)
    assert message.reply_markup is not None
    assert message.reply_markup.model_dump() == markup.model_dump()

    [record] = await emulator.wait_for(USER)
    assert record.method == "sendMessage"
    assert record.text == "Сәлем & welcome"
    assert record.raw_text == "<b>Сәлем</b> &amp; welcome"
    assert record.parse_mode == "HTML"
    assert record.button("Yes")["callback_data"] == "answer:yes"

    pending = await bot.get_updates(timeout=0)
    query_id = emulator.press_button(USER, message.message_id, "answer:yes")
    [update] = await bot.get_updates(offset=pending[-1].update_id + 1, timeout=1)
    assert update.callback_query is not None
    assert update.callback_query.data == "answer:yes"
    assert update.callback_query.message is not None
    assert update.callback_query.message.message_id == message.message_id
    assert await bot.answer_callback_query(query_id, text="Қабылданды", show_alert=True)
    answer = emulator.callback_answers[-1]
    assert (answer.query_id, answer.text, answer.show_alert) == (query_id, "Қабылданды", True)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)

    forged = emulator.press_button(USER, message.message_id, "admin:delete_everything")
    with pytest.raises(TelegramBadRequest, match="MESSAGE_TOO_LONG"):
        await bot.answer_callback_query(forged, text="x" * 201)
    emulator.advance_time(15 * 60 + 1)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(forged)


async def test_forbidden_when_the_user_never_wrote_or_blocked_the_bot(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    with pytest.raises(TelegramForbiddenError, match="can't initiate conversation"):
        await bot.send_message(STRANGER, "hi")
    emulator.send_text(STRANGER, "hi")
    await bot.send_message(STRANGER, "hello")
    emulator.block_bot(STRANGER)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await bot.send_message(STRANGER, "still there?")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "who?")


def _button(**fields: Any) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text="b", **fields)]])


def _rejected() -> list[tuple[str, dict[str, Any], str]]:
    """(case, sendMessage arguments, the description Telegram answers with)."""
    html = {"parse_mode": "HTML"}
    many = InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=str(i), callback_data=str(i))] for i in range(101)
        ]
    )
    return [
        ("empty", {"text": ""}, "message text is empty"),
        ("blank", {"text": " \n "}, "message text is empty"),
        ("empty after parsing", {"text": "<b></b>", **html}, "message text is empty"),
        ("too long", {"text": "я" * 4097}, "message is too long"),
        ("too long in UTF-16", {"text": "😀" * 2049}, "message is too long"),
        ("data too long", {"reply_markup": _button(callback_data="ә" * 33)}, "BUTTON_DATA_INVALID"),
        ("data empty", {"reply_markup": _button(callback_data="")}, "BUTTON_DATA_INVALID"),
        ("no action", {"reply_markup": _button()}, "Text buttons are unallowed"),
        (
            "two actions",
            {"reply_markup": _button(callback_data="x", url="https://a.kz")},
            "exactly one",
        ),
        ("bad url", {"reply_markup": _button(url="javascript:alert(1)")}, "BUTTON_URL_INVALID"),
        ("ftp url", {"reply_markup": _button(url="ftp://files.kz/x")}, "BUTTON_URL_INVALID"),
        ("101 buttons", {"reply_markup": many}, "reply markup is too long"),
        ("unknown tag", {"text": "<div>x</div>", **html}, 'Unsupported start tag "div"'),
        ("bare <", {"text": "1 < 2", **html}, "can't parse entities"),
        ("bare &", {"text": "AT&T", **html}, "can't parse entities"),
        ("crossed tags", {"text": "<b><i>x</b></i>", **html}, "Unmatched end tag"),
        ("unclosed tag", {"text": "<b>x", **html}, "Can't find end tag"),
        ("stray end tag", {"text": "x</b>", **html}, "Unexpected end tag"),
        ("span class", {"text": "<span>x</span>", **html}, "tg-spoiler"),
        ("unquoted url", {"text": "<a href=a/b>x</a>", **html}, "name token"),
        ("markdown v2", {"text": "Hello.", "parse_mode": "MarkdownV2"}, "is reserved"),
        ("unknown chat", {"chat_id": 424242}, "chat not found"),
        (
            "unknown thread",
            {"chat_id": GROUP, "message_thread_id": 777},
            "message thread not found",
        ),
        ("reply to nothing", {"reply_to_message_id": 999}, "message to be replied not found"),
    ]


async def test_rejections_raise_telegram_bad_request(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.send_text(USER, "hi")
    wrong: list[str] = []
    for case, fields, description in _rejected():
        arguments: dict[str, Any] = {"chat_id": USER, "text": "ok"} | fields
        try:
            await bot.send_message(**arguments)
        except TelegramBadRequest as error:
            if description not in error.message:
                wrong.append(f"{case}: {error.message}")
        else:
            wrong.append(f"{case}: accepted")
    assert wrong == []
    assert {call.status for call in emulator.errors} == {400}
    assert emulator.sent == []


async def test_valid_formatting_passes(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.send_text(USER, "hi")
    html = (
        "<b>b</b> <strong>s</strong> <i>i</i> <u>u</u> <s>s</s> <tg-spoiler>x</tg-spoiler> "
        '<span class="tg-spoiler">y</span> <a href="https://www.gov.kz/?a=1&amp;b=2">link</a> '
        '<code>c</code> <pre><code class="language-python">print()</code></pre> '
        "<blockquote expandable>q</blockquote> &lt;&gt;&quot;&#33;&#x41;"
    )
    message = await bot.send_message(USER, html, parse_mode="HTML")
    assert message.text is not None
    assert message.text.endswith('<>"!A')
    types = [entity.type for entity in message.entities or []]
    assert types == [
        "bold",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "spoiler",
        "text_link",
        "code",
        "pre",
        "expandable_blockquote",
    ]
    # 4096 UTF-16 units after parsing is the limit, markup not counted.
    await bot.send_message(USER, "<b>" + "😀" * 2048 + "</b>", parse_mode="HTML")
    await bot.send_message(USER, "*bold* and \\. escaped", parse_mode="MarkdownV2")
    assert emulator.sent[-1].text == "bold and . escaped"


# The cases below come from the Bot API documentation, not from bot/telegram_html.py
# (which the emulator parses with, so nothing else checks it): the "Formatting options"
# section, HTML style (https://core.telegram.org/bots/api#formatting-options): the
# supported tags, the entity type each gives (MessageEntity), "Only the tags mentioned
# above are currently supported", every <, > and & not part of a tag or an entity must
# be escaped, all numerical entities and the named &lt; &gt; &amp; &quot; are supported;
# sendMessage (https://core.telegram.org/bots/api#sendmessage): "1-4096 characters
# after entities parsing", where Telegram counts in UTF-16 code units, as entities'
# offsets and lengths are given (https://core.telegram.org/api/entities#entity-length),
# so a character outside the BMP (an emoji) counts 2.
_DOCUMENTED_TAGS = [
    ("<b>x</b>", "bold"),
    ("<strong>x</strong>", "bold"),
    ("<i>x</i>", "italic"),
    ("<em>x</em>", "italic"),
    ("<u>x</u>", "underline"),
    ("<ins>x</ins>", "underline"),
    ("<s>x</s>", "strikethrough"),
    ("<strike>x</strike>", "strikethrough"),
    ("<del>x</del>", "strikethrough"),
    ('<span class="tg-spoiler">x</span>', "spoiler"),
    ("<tg-spoiler>x</tg-spoiler>", "spoiler"),
    ('<a href="http://www.example.com/">x</a>', "text_link"),
    ("<code>x</code>", "code"),
    ("<pre>x</pre>", "pre"),
    ("<blockquote>x</blockquote>", "blockquote"),
    ("<blockquote expandable>x</blockquote>", "expandable_blockquote"),
]
_DOCUMENTED_ENTITIES = [
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&amp;", "&"),
    ("&quot;", '"'),
    ("&#33;", "!"),
    ("&#x41;", "A"),
]
_DOCUMENTED_REJECTIONS = [
    ("an unsupported tag", "<div>x</div>"),
    ("an unsupported tag", "<h1>x</h1>"),
    ("an unclosed tag: a < that is no tag", "<b x"),
    ("a bare <", "1 < 2"),
    ("a bare &", "AT&T"),
]


async def test_html_as_the_bot_api_documents_it(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.send_text(USER, "hi")
    wrong: list[str] = []
    for html, kind in _DOCUMENTED_TAGS:
        message = await bot.send_message(USER, html, parse_mode="HTML")
        got = [(e.type, e.offset, e.length) for e in message.entities or []]
        if message.text != "x" or got != [(kind, 0, 1)]:
            wrong.append(f"{html}: {message.text!r} {got}")
    pre = await bot.send_message(
        USER, '<pre><code class="language-python">x</code></pre>', parse_mode="HTML"
    )
    assert [(e.type, e.language) for e in pre.entities or []] == [("pre", "python")]
    for entity, char in _DOCUMENTED_ENTITIES:
        message = await bot.send_message(USER, f"a{entity}b", parse_mode="HTML")
        if message.text != f"a{char}b":
            wrong.append(f"{entity}: {message.text!r}")
    for case, html in _DOCUMENTED_REJECTIONS:
        with contextlib.suppress(TelegramBadRequest):
            await bot.send_message(USER, html, parse_mode="HTML")
            wrong.append(f"{case} ({html}): accepted")
    assert wrong == []
    # Offsets count UTF-16 code units: the emoji before the bold text counts 2.
    message = await bot.send_message(USER, "😀<b>x</b>", parse_mode="HTML")
    assert [(e.type, e.offset, e.length) for e in message.entities or []] == [("bold", 2, 1)]


async def test_the_length_limit_in_utf16_code_units(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.send_text(USER, "hi")
    for text in ("a" * 4096, "😀" * 2048, "😀" * 2047 + "ab"):
        await bot.send_message(USER, text)
    assert [len(m.text or "") for m in emulator.sent] == [4096, 2048, 2049]
    for text in ("a" * 4097, "😀" * 2048 + "a", "😀" * 2049):
        with pytest.raises(TelegramBadRequest, match="message is too long"):
            await bot.send_message(USER, text)
    # Counted after entities parsing: the tags do not count.
    await bot.send_message(USER, "<b>" + "a" * 4096 + "</b>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER, "<b>" + "a" * 4097 + "</b>", parse_mode="HTML")


async def test_edits(emulator: TelegramEmulator, bot: Bot) -> None:
    emulator.send_text(USER, "hi")
    markup = _keyboard(InlineKeyboardButton(text="go", callback_data="go"))
    message = await bot.send_message(USER, "one", reply_markup=markup)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text(
            text="one", chat_id=USER, message_id=message.message_id, reply_markup=markup
        )
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text(text="x", chat_id=USER, message_id=9999)
    # An edit without reply_markup drops the keyboard, as on Telegram.
    await bot.edit_message_text(text="two", chat_id=USER, message_id=message.message_id)
    stored = emulator.message(USER, message.message_id)
    assert stored is not None
    assert (stored["text"], "reply_markup" in stored) == ("two", False)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=USER, message_id=message.message_id)
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=message.message_id, reply_markup=markup
    )
    assert [record.method for record in emulator.messages_to(USER)] == [
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
    ]
    assert await bot.delete_message(USER, message.message_id)
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER, message.message_id)
    edited = emulator.edit_text(USER, 1, "hi again")
    [update] = [u for u in await bot.get_updates(timeout=0) if u.edited_message]
    assert update.edited_message is not None
    assert update.edited_message.text == edited["text"]


async def test_flood_limits_answer_429_with_retry_after() -> None:
    limits = RateLimits(private_burst=3, private_per_second=1.0, group_burst=2, global_burst=None)
    async with TelegramEmulator(rate_limits=limits) as emulator:
        _populate(emulator)
        emulator.send_text(USER, "hi")
        async with _bot(emulator) as bot:
            for number in range(3):
                await bot.send_message(USER, f"burst {number}")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(USER, "one too many")
            assert caught.value.retry_after == 1
            assert emulator.errors[-1].description == "Too Many Requests: retry after 1"
            # Chat actions are not messages and do not count.
            await bot.send_chat_action(USER, "typing")
            emulator.advance_time(1.0)
            await bot.send_message(USER, "after waiting")

            await bot.send_message(GROUP, "g1")
            await bot.send_message(GROUP, "g2")
            with pytest.raises(TelegramRetryAfter) as caught:
                await bot.send_message(GROUP, "g3")
            assert caught.value.retry_after == 3  # 20 per minute: one every 3 s
    assert [call.status for call in emulator.errors] == [429, 429]
    assert emulator.errors[0].params["text"] == "one too many"


async def test_global_limit_and_time_scale() -> None:
    limits = RateLimits(private_burst=None, global_burst=2, global_per_second=1.0, time_scale=20)
    async with TelegramEmulator(rate_limits=limits) as emulator:
        _populate(emulator)
        emulator.send_text(USER, "hi")
        emulator.send_text(STRANGER, "hi")
        async with _bot(emulator) as bot:
            await bot.send_message(USER, "1")
            await bot.send_message(STRANGER, "2")
            with pytest.raises(TelegramRetryAfter):
                await bot.send_message(USER, "3")
            await asyncio.sleep(0.06)  # 1.2 emulated seconds
            await bot.send_message(USER, "3")


async def test_forum_topics_and_threads(emulator: TelegramEmulator, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP, "Case #1: Aigerim")
    thread = topic.message_thread_id
    message = await bot.send_message(GROUP, "new case", message_thread_id=thread)
    assert (message.message_thread_id, message.is_topic_message) == (thread, True)
    assert message.reply_to_message is not None
    assert message.reply_to_message.forum_topic_created is not None
    assert [record.text for record in emulator.messages_to(GROUP, thread)] == ["new case"]

    staff = emulator.send_text(
        USER, "answer", chat_id=GROUP, reply_to_message_id=message.message_id
    )
    assert staff["message_thread_id"] == thread

    await bot.close_forum_topic(GROUP, thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_CLOSED"):
        await bot.send_message(GROUP, "closed", message_thread_id=thread)
    with pytest.raises(TelegramBadRequest, match="TOPIC_NOT_MODIFIED"):
        await bot.close_forum_topic(GROUP, thread)
    await bot.reopen_forum_topic(GROUP, thread)
    await bot.edit_forum_topic(GROUP, thread, name="Case #1 (done)")
    assert emulator.forum_topics(GROUP)[thread]["name"] == "Case #1 (done)"
    await bot.delete_forum_topic(GROUP, thread)
    with pytest.raises(TelegramBadRequest, match="message thread not found"):
        await bot.send_message(GROUP, "gone", message_thread_id=thread)

    emulator.send_text(USER, "hi")
    with pytest.raises(TelegramBadRequest, match="not a forum"):
        await bot.create_forum_topic(USER, "nope")
    member = await bot.get_chat_member(GROUP, 123456)
    assert member.status == "administrator"
    assert (await bot.get_chat_member(GROUP, USER)).status == "member"
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.is_forum) == ("supergroup", True)


async def test_copy_message_of_media(emulator: TelegramEmulator, bot: Bot) -> None:
    topic = await bot.create_forum_topic(GROUP, "Case #2")
    photo = emulator.send_media(USER, "photo", caption="look")
    voice = emulator.send_media(USER, "voice")
    copied = await bot.copy_message(
        GROUP, USER, photo["message_id"], message_thread_id=topic.message_thread_id
    )
    [record] = emulator.messages_to(GROUP, topic.message_thread_id)
    assert record.message_id == copied.message_id
    assert (record.method, record.media_kind, record.text) == ("copyMessage", "photo", "look")
    assert record.file_id == photo["photo"][-1]["file_id"]
    assert record.source_message_id == photo["message_id"]

    await bot.copy_message(
        USER, USER, voice["message_id"], caption="<i>voice</i>", parse_mode="HTML"
    )
    assert (emulator.sent[-1].media_kind, emulator.sent[-1].text) == ("voice", "voice")
    # An outgoing message can be copied too.
    await bot.copy_message(
        GROUP, GROUP, copied.message_id, message_thread_id=topic.message_thread_id
    )
    with pytest.raises(TelegramBadRequest, match="message to copy not found"):
        await bot.copy_message(GROUP, USER, 9999)

    forwarded = await bot.forward_message(GROUP, USER, voice["message_id"])
    assert forwarded.voice is not None
    assert forwarded.forward_origin is not None

    with pytest.raises(TelegramBadRequest, match="type of file mismatch"):
        await bot.send_photo(USER, voice["voice"]["file_id"])
    with pytest.raises(TelegramBadRequest, match="wrong file identifier"):
        await bot.send_photo(USER, "not-a-file-id")
    uploaded = await bot.send_document(
        USER, BufferedInputFile(b"%PDF-1.4 test", filename="guide.pdf")
    )
    assert uploaded.document is not None
    assert uploaded.document.file_name == "guide.pdf"
    file = await bot.get_file(uploaded.document.file_id)
    assert file.file_path is not None
    content = await bot.download_file(file.file_path)
    assert content is not None
    assert content.read() == b"%PDF-1.4 test"
    sent = await bot.send_photo(
        USER,
        photo["photo"][-1]["file_id"],
        caption="again",
        reply_parameters=ReplyParameters(message_id=photo["message_id"]),
    )
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == photo["message_id"]
    with pytest.raises(TelegramBadRequest, match="caption is too long"):
        await bot.send_photo(USER, photo["photo"][-1]["file_id"], caption="c" * 1025)


async def test_incoming_media_kinds_parse_as_aiogram_messages(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    kinds = [
        "sticker",
        "photo",
        "voice",
        "video",
        "video_note",
        "audio",
        "document",
        "animation",
        "location",
        "contact",
        "poll",
        "dice",
    ]
    for kind in kinds:
        emulator.send_media(USER, kind)
    updates = await bot.get_updates(timeout=0)
    assert [update.message.content_type for update in updates if update.message] == kinds


async def test_wait_for_times_out_with_a_useful_message(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    emulator.send_text(USER, "hi")
    await bot.send_message(USER, "first reply")
    with pytest.raises(TimeoutError, match="first reply"):
        await emulator.wait_for(USER, count=2, timeout=0.2)
    # The first reply was not consumed by the failed wait.
    [record] = await emulator.wait_for(USER, timeout=0.2)
    assert record.text == "first reply"
    later = asyncio.create_task(emulator.wait_for(lambda r: r.text == "late", timeout=2))
    await asyncio.sleep(0.05)
    await bot.send_message(USER, "late")
    assert [r.text for r in await later] == ["late"]
    assert [call.method for call in emulator.requests].count("sendMessage") == 2
    emulator.clear()
    assert (emulator.sent, emulator.requests) == ([], [])


async def test_every_other_method_returns_what_aiogram_expects(
    emulator: TelegramEmulator, bot: Bot
) -> None:
    commands = [BotCommand(command="menu", description="Мәзір")]
    assert await bot.set_my_commands(commands, language_code="kk")
    stored = await bot.get_my_commands(language_code="kk")
    assert [command.model_dump() for command in stored] == [commands[0].model_dump()]
    assert emulator.bot_commands("kk") == [{"command": "menu", "description": "Мәзір"}]
    assert await bot.delete_my_commands(language_code="kk")
    assert await bot.get_my_commands(language_code="kk") == []
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad Command", description="x")])
    assert await bot.set_chat_menu_button(menu_button=MenuButtonCommands())
    assert (await bot.get_chat_menu_button()).type == "commands"

    with pytest.raises(TelegramBadRequest, match="HTTPS URL must be provided"):
        await bot.set_webhook("http://example.kz/hook")
    assert await bot.set_webhook("https://example.kz/hook")
    assert (await bot.get_webhook_info()).url == "https://example.kz/hook"
    with pytest.raises(TelegramConflictError):
        await bot.get_updates()
    assert await bot.delete_webhook(drop_pending_updates=True)
    assert (await bot.get_webhook_info()).url == ""

    emulator.send_text(USER, "hi")
    assert await bot.send_chat_action(USER, "typing")
    with pytest.raises(TelegramBadRequest, match="wrong parameter action"):
        await bot.send_chat_action(USER, "dancing")
    sticker = emulator.send_media(USER, "sticker")
    assert (await bot.send_sticker(USER, sticker["sticker"]["file_id"])).sticker is not None
    assert (await bot.send_location(USER, 43.238949, 76.889709)).location is not None
    assert (await bot.send_contact(USER, "+77270000000", "Center")).contact is not None
    assert (await bot.send_dice(USER)).dice is not None
    assert (await bot.send_poll(USER, "Пайдалы ма?", ["Иә", "Жоқ"])).poll is not None
    assert [record.media_kind for record in emulator.sent] == [
        "sticker",
        "location",
        "contact",
        "dice",
        "poll",
    ]
    chat = await bot.get_chat(USER)
    assert (chat.type, chat.first_name) == ("private", "Aigerim")
    assert (await bot.get_chat_member(USER, USER)).status == "member"
    assert await bot.leave_chat(GROUP)
    with pytest.raises(TelegramForbiddenError, match="not a member"):
        await bot.send_message(GROUP, "anyone?")
    assert await bot.log_out()
    assert await bot.close()
