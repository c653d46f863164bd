"""Curated content as the bot loads it: answers, resources, regions, menu."""

from __future__ import annotations

import pytest
from aiogram.utils.i18n import I18n

from bot.config import PROJECT_ROOT
from bot.content.answers import OFFERS_A_SPECIALIST, Answer
from bot.content.library import ContentLibrary
from bot.domain import Route
from bot.ui import citizen_texts, keyboards, shared_texts


@pytest.fixture(scope="module")
def content() -> ContentLibrary:
    return ContentLibrary.load(PROJECT_ROOT / "content", PROJECT_ROOT / "domain.yml")


def test_every_answerable_intent_has_both_languages(content: ContentLibrary) -> None:
    routes = (Route.FAQ, Route.ESCALATE, Route.CRISIS)
    for route in routes:
        for intent in content.taxonomy.names(route):
            assert content.answers.has(intent), intent


def test_answers_reference_known_resources(content: ContentLibrary) -> None:
    for answer in content.answers.answers.values():
        for resource in answer.resources:
            assert resource in content.resources.national, (answer.intent, resource)


def test_emergency_numbers_are_the_taxonomys(content: ContentLibrary) -> None:
    numbers = [n.number for n in content.resources.emergency_numbers]
    assert numbers == ["112", "102", "103", "150", "111"]
    for number in content.resources.emergency_numbers:
        assert number.label["kk"]
        assert number.label["ru"]


def test_no_unverified_contact_is_presented_as_verified(content: ContentLibrary) -> None:
    for resource in content.resources.national.values():
        assert not resource.verified  # until an editor confirms it
    for region in content.resources.regions.values():
        for office in (region.department, region.advisory_center):
            # Nothing invented: unknown contacts stay empty.
            assert office.phone is None or not office.verified or office.phone


@pytest.mark.parametrize(
    ("text", "region_id"),
    [
        ("Атырау", "atyrau"),
        ("Атырауда дін басқармасы қайда", "atyrau"),
        ("Атыраудағы кеңсе", "atyrau"),
        ("atyrau office", "atyrau"),
        ("в Алматы где центр", "almaty"),
        ("Алма-Ата", "almaty"),
        ("almaty", "almaty"),
        ("Алматы облысы", "almaty_region"),
        ("в Алматинской области", "almaty_region"),
        ("в Караганде", "karaganda"),
        ("Қарағандыдағы орталық", "karaganda"),
        ("Өскеменде", "east_kazakhstan"),
        ("в Усть-Каменогорске", "east_kazakhstan"),
        ("Шымкентте", "shymkent"),
        ("Нур-Султан", "astana"),
        ("Семей", "abai"),
    ],
)
def test_region_recognised(content: ContentLibrary, text: str, region_id: str) -> None:
    region = content.resources.find_region(text)
    assert region is not None, text
    assert region.id == region_id


@pytest.mark.parametrize("text", ["где мечеть", "сын ушёл в секту", "мешіт қайда"])
def test_no_region_invented(content: ContentLibrary, text: str) -> None:
    assert content.resources.find_region(text) is None


def test_all_twenty_regions(content: ContentLibrary) -> None:
    assert len(content.resources.regions) == 20


def test_help_category_starts_with_the_emergency_numbers(content: ContentLibrary) -> None:
    help_category = content.menu.categories[0]
    assert help_category.title["kk"].startswith("🆘")
    first = help_category.questions[0]
    assert first.show == "emergency_numbers"
    assert not first.intent
    assert "нөмір" in first.label["kk"]
    assert "номер" in first.label["ru"]


def test_emergency_order_follows_the_crisis(content: ContentLibrary) -> None:
    def order(situation: str | None) -> list[str]:
        return [n.number for n in content.resources.emergency_for(situation)]

    every = order(None)
    assert every == [n.number for n in content.resources.emergency_numbers]
    self_harm = order("crisis_self_harm")
    assert self_harm[:3] == ["112", "103", "150"]
    assert self_harm.index("102") > self_harm.index("150")
    violence = order("crisis_violence_threat")
    assert violence[:2] == ["112", "102"]
    # Every number is still shown, each once, whatever the situation.
    for situation in ("crisis_self_harm", "crisis_abuse", "no_such_intent"):
        assert sorted(order(situation)) == sorted(every)


def test_menu_opens_answers(content: ContentLibrary) -> None:
    for category in content.menu.categories:
        for question in category.questions:
            if question.show:
                continue
            assert content.answers.has(question.intent), question.intent
            for lang in ("kk", "ru"):
                assert 0 < len(question.label[lang]) <= 60


def test_answers_that_offer_a_specialist_carry_the_button(content: ContentLibrary) -> None:
    i18n = I18n(path=PROJECT_ROOT / "locales", default_locale="ru", domain="messages")
    offering = [a for a in content.answers.answers.values() if a.specialist]
    assert {a.intent for a in offering} >= {"book_consultation", "theology_question"}
    for answer in offering:
        with i18n.context(), i18n.use_locale(answer.lang):
            keyboard = keyboards.answer_keyboard(answer, content, None, log_id=1, counselors=True)
        labels = [b.text for row in keyboard.inline_keyboard for b in row]
        expected = "💬 Маманмен сөйлесу" if answer.lang == "kk" else "💬 Поговорить со специалистом"
        assert labels.count(expected) == 1, (answer.intent, labels)
    plain = content.answers.get("law_religious_activity", "ru")
    assert plain is not None
    assert not plain.specialist
    with i18n.context(), i18n.use_locale("ru"):
        keyboard = keyboards.answer_keyboard(plain, content, None, log_id=1, counselors=True)
    assert "💬 Поговорить со специалистом" not in [
        b.text for r in keyboard.inline_keyboard for b in r
    ]


def test_a_region_without_contacts_says_so_once_and_offers_a_person(
    content: ContentLibrary,
) -> None:
    i18n = I18n(path=PROJECT_ROOT / "locales", default_locale="ru", domain="messages")
    answer = content.answers.get("contact_department", "ru")
    region = content.resources.regions["almaty"]
    assert answer is not None
    assert shared_texts.contacts_missing(region)
    with i18n.context(), i18n.use_locale("ru"):
        text = citizen_texts.answer_text(answer, content, region, counselors=True)
        keyboard = keyboards.answer_keyboard(answer, content, region, log_id=1, counselors=True)
    assert text.count("пока нет в справочнике") == 1
    assert text.count("ещё не подтверждено редактором") == 1
    assert "показаны ниже" not in text
    labels = [b.text for row in keyboard.inline_keyboard for b in row]
    assert "💬 Поговорить со специалистом" in labels
    # Without a staff group nobody can reply here: no offer, no button.
    with i18n.context(), i18n.use_locale("ru"):
        alone = citizen_texts.answer_text(answer, content, region, counselors=False)
        keyboard = keyboards.answer_keyboard(answer, content, region, log_id=1, counselors=False)
    assert alone.count("пока нет в справочнике") == 1
    assert "специалист" not in alone.lower()
    assert "💬 Поговорить со специалистом" not in [
        b.text for row in keyboard.inline_keyboard for b in row
    ]


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_without_a_staff_group_no_answer_offers_a_specialist_here(
    content: ContentLibrary, lang: str
) -> None:
    """The sentences offering a counselor in this chat are left out when none can reply;
    the rest of the answer stays."""
    i18n = I18n(path=PROJECT_ROOT / "locales", default_locale="ru", domain="messages")
    offering = [
        a
        for a in content.answers.answers.values()
        if a.lang == lang and OFFERS_A_SPECIALIST.search(a.text)
    ]
    assert len(offering) >= 8
    for answer in offering:
        with i18n.context(), i18n.use_locale(lang):
            alone = citizen_texts.answer_text(
                answer, content, None, counselors=False, feedback=False
            )
            with_desk = citizen_texts.answer_text(
                answer, content, None, counselors=True, feedback=False
            )
        assert not OFFERS_A_SPECIALIST.search(alone), (answer.intent, alone)
        assert OFFERS_A_SPECIALIST.search(with_desk), answer.intent
        assert len(alone) >= len(with_desk) // 3, answer.intent
    personal = content.answers.get("personal_doubts", lang)
    assert personal is not None
    first = personal.text.split(". ")[0]
    assert personal.text_for(counselors=False).startswith(first)


def test_text_for_drops_only_the_offering_sentences() -> None:
    answer = Answer(
        intent="x",
        lang="ru",
        text="<b>Заголовок</b>\nПервое. Специалист поговорит с вами в этом чате. Третье!\n"
        "Совсем другое.",
    )
    assert answer.text_for(counselors=True) == answer.text
    assert answer.text_for(counselors=False) == "<b>Заголовок</b>\nПервое. Третье!\nСовсем другое."
