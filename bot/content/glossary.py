"""One term for each thing: the glossary of the Kazakh and Russian texts citizens read.

The texts are those `bot.content.citizen_texts` reads: the curated answers,
the kk/ru values of the content files, the interface strings, and the docs
(English prose that may quote Kazakh or Russian; they are checked for the
variants that are wrong in both languages). A variant is a regular expression
over word stems, so that every case ending is caught ("консультациялық
орталы" catches "орталығына"); each concept lists correct phrases that must
never be caught.

To add a concept: a `Concept` in GLOSSARY with its chosen terms, the variants
per language, and correct phrases (`correct`) including the chosen term in
several case forms. `test_the_glossary_does_not_catch_correct_text` keeps the
variants from catching them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.citizen_texts import (
    LANGUAGES,
    Segment,
    po_messages,
    segments,
    segments_cached,
)


@dataclass(frozen=True)
class Variant:
    """A wording that must not appear. Case-insensitive unless `case_sensitive`."""

    pattern: str
    why: str = ""
    case_sensitive: bool = False
    # A match is forgiven when the 80 characters around it match this (a legitimate use).
    unless: str = ""

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern, 0 if self.case_sensitive else re.IGNORECASE)

    @functools.cached_property
    def unless_regex(self) -> re.Pattern[str] | None:
        return re.compile(self.unless, re.IGNORECASE) if self.unless else None

    def finditer(self, text: str) -> Iterator[re.Match[str]]:
        for match in self.regex.finditer(text):
            if self.unless_regex is not None:
                window = text[max(0, match.start() - 40) : match.end() + 40]
                if self.unless_regex.search(window):
                    continue
            yield match


@dataclass(frozen=True)
class Concept:
    key: str
    what: str
    # The chosen term per language (None where the concept has no term of its own there).
    term: Mapping[str, str | None]
    variants: Mapping[str, tuple[Variant, ...]]
    # Correct phrases, per language, that no variant of that language may catch.
    correct: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# A label-shaped position: the start of a text, or after an emoji, a dash, a bullet or a
# full stop (not after a word: "сенімді адаммен сөйлесіңіз" is prose, not the button).
_LABEL = r"(?:(?<![\w\s,])\s*)"

TALK_LABEL = {"kk": "Маманмен сөйлесу", "ru": "Поговорить со специалистом"}

GLOSSARY: tuple[Concept, ...] = (
    Concept(
        key="service_name",
        what="the service's name",
        term={"kk": "Kenes", "ru": "Kenes"},
        variants={
            "kk": (
                Variant(
                    r"[«\"“„]\s*Ке[ңн]ес\s*[»\"”“]", "the name in Cyrillic", case_sensitive=True
                ),
                Variant(r"\bКе[ңн]ес\s+бот", "the name in Cyrillic", case_sensitive=True),
                Variant(r"\bКенес\b", "the name in Cyrillic without ң", case_sensitive=True),
                Variant(
                    r"\bKe[ñńňņ]es\b|\bKENES\b",
                    "the name with another Latin spelling",
                    case_sensitive=True,
                ),
            ),
            "ru": (
                Variant(r"\bКе[ңнН]ес\b", "the name in Cyrillic", case_sensitive=True),
                Variant(
                    r"\bKe[ñńňņ]es\b|\bKENES\b",
                    "the name with another Latin spelling",
                    case_sensitive=True,
                ),
            ),
        },
        correct={
            "kk": (
                "Мен — Kenes, дін мәселелері бойынша анықтама беретін ботпын.",
                "Мен — Kenes боты.",
                "• Kenes тіліңізді сақтайды.",
                "<b>Кеңес беру орталығы</b>",
                "Кеңес беру орталығында теологтар кеңес береді.",
                "Кеңесшілер бұл чатта әзірге жауап бере алмайды.",
                "Кеңес керек болса, жазыңыз.",
            ),
            "ru": (
                "Я — Kenes, справочный бот по вопросам религии.",
                "Я — бот Kenes, справочная служба.",
                "• Kenes хранит ваш язык.",
            ),
        },
    ),
    Concept(
        key="advisory_center",
        what="the advisory center",
        term={"kk": "кеңес беру орталығы", "ru": "консультационный центр"},
        variants={
            "kk": (
                Variant(r"консультаци\w*\s+орталы", "a calque of the Russian name"),
                Variant(r"консультатив\w*\s+орталы", "a calque of the Russian name"),
                Variant(r"\bкеңес\s+орталы", "'кеңес беру орталығы' is the name"),
                Variant(r"\bкеңес\s+беретін\s+орталы", "'кеңес беру орталығы' is the name"),
                Variant(r"\bкеңесу\s+орталы", "'кеңес беру орталығы' is the name"),
                Variant(r"\bкенес\s+беру\s+орталы", "misspelt (ң)"),
                Variant(r"консультацион\w*\s+центр", "Russian in a Kazakh text"),
            ),
            "ru": (
                Variant(r"консультативн\w*\s+центр", "'консультационный центр' is the name"),
                Variant(r"консультационн\w*\s+пункт", "'консультационный центр' is the name"),
                Variant(r"\bконсультпункт", "'консультационный центр' is the name"),
                Variant(r"\bцентр\w*\s+консультаци", "'консультационный центр' is the name"),
                Variant(r"кеңес\s+беру\s+орталы", "Kazakh in a Russian text"),
            ),
        },
        correct={
            "kk": (
                "Кеңес беру орталығы",
                "кеңес беру орталығына хабарласыңыз",
                "кеңес беру орталығында қабылдайды",
                "дін істері басқармасы мен кеңес беру орталықтары",
                "дін істері басқармасының кеңес беру орталығында",
                "Астана қаласының дін мәселелері бойынша кеңес беру орталығы",
                "Отбасы, әйелдер және балалар құқықтары жөніндегі байланыс орталығы",
                "eGov бірыңғай байланыс орталығы 1414",
                "Өңіріңіздегі орталықтың мекенжайы",
            ),
            "ru": (
                "Консультационный центр",
                "в консультационном центре",
                "с консультационным центром вашего региона",
                "справочная служба консультационного центра по делам религий",
                "Контакт-центр по вопросам семьи",
                "направлен на очную консультацию",
            ),
        },
    ),
    Concept(
        key="recruiter",
        what="a recruiter",
        term={"kk": "азғырушы", "ru": "вербовщик"},
        variants={
            "kk": (
                Variant(
                    r"үгіт\w*ш[іы]", "'үгіттеуші'/'үгітші' is an agitator, the term is 'азғырушы'"
                ),
                Variant(r"\bжалдаушы", "'жалдаушы' is an employer, the term is 'азғырушы'"),
                Variant(r"рекрут", "the term is 'азғырушы'"),
                Variant(r"вербов", "Russian in a Kazakh text"),
                Variant(r"\bазгыруш", "misspelt (ғ)"),
            ),
            "ru": (
                Variant(r"рекрут[её]р", "the term is 'вербовщик'"),
                Variant(r"вербовальщик", "the term is 'вербовщик'"),
                Variant(r"азғыруш", "Kazakh in a Russian text"),
            ),
        },
        correct={
            "kk": (
                "азғырушы",
                "Интернеттегі азғырушылар",
                "Интернеттегі азғырушылардың тәсілдері",
                "Азғырушылар көбіне:",
                "азғырушыларға жауап бермеңіз",
                "Мені топқа тартып жатыр",
                "үгіт-насихат",
            ),
            "ru": (
                "вербовщик",
                "Как действуют вербовщики в интернете",
                "приёмы вербовщиков",
                "Меня вербуют в группу",
                "Как вербуют в интернете",
            ),
        },
    ),
    Concept(
        key="command",
        what="a bot command (/help, /menu...)",
        term={"kk": "пәрмен", "ru": "команда"},
        variants={
            "kk": (
                Variant(r"\bкоманд\w*", "Russian in a Kazakh text"),
                Variant(
                    r"\bбұйры[қғ]\w*",
                    "'бұйрық' is an order",
                    # an order of a ministry, cited in a law text, is legitimate
                    unless=r"министр|бекіт|№|заң",
                ),
                Variant(r"\bпармен\w*", "misspelt (ә)"),
            ),
            "ru": (
                Variant(r"\bкомманд\w*", "misspelt"),
                Variant(r"\bпәрмен\w*", "Kazakh in a Russian text"),
            ),
        },
        correct={
            "kk": (
                "пәрмен",
                "/forget пәрмені бот сіз туралы сақтаған барлық мәліметті жояды.",
                "/human пәрменін қолданыңыз.",
                "Мұндай пәрменді білмеймін.",
                "пәрмендерді пайдаланыңыз",
                "/note пәрменімен басталатын хабарлама",
                "Белгісіз пәрмен.",
                "Министрдің 2023 жылғы бұйрығымен бекітілген.",
            ),
            "ru": (
                "команда",
                "воспользуйтесь командами:",
                "воспользуйтесь командой /human.",
                "Неизвестная команда.",
                "до команды /forget",
                "{name} теперь в команде: {role}.",
            ),
        },
    ),
    Concept(
        key="thanks",
        what="thanks",
        term={"kk": "рахмет", "ru": "спасибо"},
        variants={
            "kk": (
                Variant(r"\bрақмет\w*", "spelt 'рахмет'"),
                Variant(r"\bракмет\w*", "spelt 'рахмет'"),
                Variant(r"\bрахмат\w*", "spelt 'рахмет'"),
                Variant(r"\bрахмед\w*", "spelt 'рахмет'"),
            ),
            "ru": (Variant(r"\bра[хқк]мет\w*", "Kazakh in a Russian text"),),
        },
        correct={
            "kk": (
                "рахмет",
                "Рахмет.",
                "Сізге де рахмет!",
                "Жазғаныңызға рахмет.",
                "Пікіріңізге рахмет!",
                "Рахмет, бірақ орналасқан жеріңіз маған керек емес.",
                "рахметімді айтамын",
            ),
            "ru": ("Спасибо.", "Спасибо за отзыв!", "Спасибо, что написали."),
        },
    ),
    Concept(
        key="talk_button",
        what="the talk-to-a-person button (and /human)",
        term=TALK_LABEL,
        variants={
            "kk": (
                Variant(
                    _LABEL[:-1] + r"|\b(?:немесе|не|және|я)\s+)адаммен\s+сөйлес\w*",
                    "the button is 'Маманмен сөйлесу'",
                ),
                Variant(r"\bтірі\s+адам\w*\s+сөйлес", "the button is 'Маманмен сөйлесу'"),
                Variant(_LABEL + r"кеңесшімен\s+сөйлесу\b", "the button is 'Маманмен сөйлесу'"),
                Variant(_LABEL + r"кеңесшіге\s+жазу\b", "the button is 'Маманмен сөйлесу'"),
            ),
            "ru": (
                Variant(
                    r"(?:поговори|связать)\w*\s+с\s+(?:живым\s+)?человеком(?!,?\s+(?:котор|кому))",
                    "the button is 'Поговорить со специалистом'",
                ),
                Variant(
                    _LABEL + r"поговорить\s+с\s+консультантом",
                    "the button is 'Поговорить со специалистом'",
                ),
                Variant(
                    _LABEL + r"написать\s+(?:консультанту|человеку)",
                    "the button is 'Поговорить со специалистом'",
                ),
            ),
        },
        correct={
            "kk": (
                "💬 Маманмен сөйлесу",
                "Маманмен сөйлесу",
                "/human — маманмен сөйлесу",
                "сұрағыңызды басқаша жазып көріңіз немесе маманмен сөйлесіңіз.",
                "Маманмен сөйлескіңіз келсе, теолог не психолог сізбен сөйлеседі.",
                "Сіз қазір кеңесшімен сөйлесіп жатырсыз.",
                "• Кеңесшімен сөйлескен әңгімеңіз сақталады.",
                "Кеңесшімен әңгіме аяқталды.",
                "Мүмкін болса, сенімді адаммен сөйлесіңіз.",
                "жақын адаммен сөйлескен дұрыс",
                "сізді кеңесшімен байланыстырамын",
            ),
            "ru": (
                "💬 Поговорить со специалистом",
                "Поговорить со специалистом",
                "/human — поговорить со специалистом",
                "или поговорите со специалистом.",
                "Вы уже разговариваете с консультантом.",
                "Можно поговорить с консультантом здесь.",
                "поговорите с человеком, которому доверяете",
                "побудьте рядом с человеком, которому доверяете",
                "я соединю вас с консультантом",
            ),
        },
    ),
)

# The msgids of the talk-to-a-person button and the /human description (bot/ui/keyboards.py,
# bot/app.py), and the msgstr each must have.
TALK_MSGIDS = {
    "💬 Talk to a person": "💬 {label}",
    "💬 Talk to a counselor": "💬 {label}",
    "Talk to a person": "{label}",
}


# --- the checks ----------------------------------------------------------------------


def _correct_phrases(concept: Concept, lang: str) -> list[str]:
    term = concept.term.get(lang)
    return ([term] if term else []) + list(concept.correct.get(lang, ()))


def docs_variants(concept: Concept) -> list[tuple[str, Variant]]:
    """The variants wrong in both languages: those that catch no correct phrase of the other."""
    out = []
    for lang in LANGUAGES:
        others = [
            p for other in LANGUAGES if other != lang for p in _correct_phrases(concept, other)
        ]
        for variant in concept.variants.get(lang, ()):
            if not any(next(variant.finditer(p), None) for p in others):
                out.append((lang, variant))
    return out


def offences(concept: Concept, root: Path, texts: Sequence[Segment] | None = None) -> list[str]:
    """'file:line [lang] where: «fragment» (why; use ...)' for every variant found."""
    found = []
    doc_variants = docs_variants(concept)
    for segment in segments_cached(root) if texts is None else texts:
        if segment.lang is None:
            checks = doc_variants
        else:
            checks = [(segment.lang, v) for v in concept.variants.get(segment.lang, ())]
        for lang, variant in checks:
            for match in variant.finditer(segment.text):
                term = concept.term.get(lang)
                found.append(
                    f"{segment.path}:{segment.line_at(match.start())} [{segment.lang or lang}] "
                    f"{segment.where}: {match.group().strip()!r} "
                    f"({variant.why}; {concept.what}: {term!r})"
                )
    return found


def unused_terms(concept: Concept, root: Path) -> list[str]:
    """The chosen terms no text of their language uses (a term nobody uses is a typo)."""
    texts: dict[str, str] = dict.fromkeys(LANGUAGES, "")
    for segment in segments_cached(root):
        if segment.lang is not None:
            texts[segment.lang] += "\n" + segment.text.lower()
    return [
        f"{lang}: {term!r}"
        for lang in LANGUAGES
        if (term := concept.term.get(lang)) and term.lower() not in texts[lang]
    ]


def talk_button_problems(lang: str, root: Path) -> list[str]:
    """Each talk-to-a-person msgid must have the one label, and /human its description."""
    label = TALK_LABEL[lang]
    messages = {msgid: msgstr.text for msgid, msgstr in po_messages(root, lang)}
    present = [msgid for msgid in TALK_MSGIDS if msgid in messages]
    if not present:
        return ["no talk-to-a-person msgid in the catalog"]
    problems = [
        f"msgid {msgid!r}: msgstr {messages[msgid]!r}, the label is {label!r}"
        for msgid in present
        if messages[msgid] != TALK_MSGIDS[msgid].format(label=label)
    ]
    human = f"/human — {label[0].lower()}{label[1:]}"
    problems.extend(
        f"msgid {msgid[:40]!r}: the /human line must read {human!r}"
        for msgid, msgstr in messages.items()
        if "/human — " in msgid and human not in msgstr
    )
    return problems


def glossary_problems(root: Path) -> list[str]:
    """What `content validate` reports: every variant of a glossary term under `root`, and
    a talk-to-a-person button whose label differs (where the catalogs are there)."""
    texts = segments(root)
    problems = [found for concept in GLOSSARY for found in offences(concept, root, texts)]
    for lang in LANGUAGES:
        if (root / "locales" / lang / "LC_MESSAGES" / "messages.po").exists():
            problems.extend(
                f"locales/{lang}/LC_MESSAGES/messages.po [{lang}] {p}"
                for p in talk_button_problems(lang, root)
            )
    return problems
