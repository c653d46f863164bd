"""One term for each thing: the glossary of the Kazakh and Russian texts citizens read.

The texts are the curated answers (domain.yml, each variant by its `language`
slot), the kk/ru values of content/menu.yml, canned.yml and resources.yml, the
msgstr of locales/{kk,ru}, and docs/*.md and README.md (English prose that may
quote Kazakh or Russian; they are checked for the variants that are wrong in
both languages). A variant is a regular expression over word stems, so that
every case ending is caught ("консультациялық орталы" catches "орталығына");
each concept lists correct phrases that must never be caught.

To add a concept: a `Concept` in GLOSSARY with its chosen terms, the variants
per language, and correct phrases (`correct`) including the chosen term in
several case forms. `test_the_glossary_does_not_catch_correct_text` keeps the
variants from catching them.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LANGUAGES = ("kk", "ru")
CONTENT_FILES = ("content/menu.yml", "content/canned.yml", "content/resources.yml")
DOCS_GLOBS = ("docs/*.md", "README.md")


class UnreadableTextError(Exception):
    """A source of texts does not have the shape the glossary reads."""


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


# --- the texts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """One user-visible text, in one language (None: docs, either language)."""

    path: str
    line: int
    lang: str | None
    where: str
    text: str
    # For texts spread over several source lines: (offset in text, line) pairs, sorted.
    lines: tuple[tuple[int, int], ...] = ()

    def line_at(self, offset: int) -> int:
        if not self.lines:
            return self.line
        index = bisect.bisect_right([start for start, _ in self.lines], offset) - 1
        return self.lines[max(index, 0)][1]


class _Source:
    def __init__(self, text: str) -> None:
        self.text = text
        self.starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offset(self, mark: yaml.Mark) -> int:
        return self.starts[mark.line] + mark.column

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self.starts, offset)


def _scalar_segment(
    source: _Source, path: str, lang: str, where: str, node: yaml.ScalarNode
) -> Segment:
    """The scalar's value, with the line of each of its source lines where it can tell."""
    start = source.offset(node.start_mark)
    end = source.offset(node.end_mark)
    raw = source.text[start:end]
    value = str(node.value)
    lines: list[tuple[int, int]] = []
    # Map each word of the value to its place in the source (folded and literal
    # scalars keep their words; only the whitespace between them changes).
    cursor = 0
    for word in re.finditer(r"\S+", value):
        found = raw.find(word.group(), cursor)
        if found < 0:
            lines = []
            break
        cursor = found + len(word.group())
        line = source.line_of(start + found)
        if not lines or lines[-1][1] != line:
            lines.append((word.start(), line))
    return Segment(path, source.line_of(start), lang, where, value, tuple(lines))


def _yaml_root(root: Path, name: str) -> tuple[_Source, yaml.Node]:
    text = (root / name).read_text(encoding="utf-8")
    loader: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(
        yaml, "CSafeLoader", yaml.SafeLoader
    )
    node = yaml.compose(text, Loader=loader)
    if node is None:
        raise UnreadableTextError(f"{name} is empty")
    return _Source(text), node


def _mapping_get(node: yaml.Node, key: str) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode) and k.value == key:
                return v  # type: ignore[no-any-return]
    return None


def _domain_segments(root: Path) -> Iterator[Segment]:
    source, node = _yaml_root(root, "domain.yml")
    responses = _mapping_get(node, "responses")
    if not isinstance(responses, yaml.MappingNode):
        raise UnreadableTextError("domain.yml has no responses")
    for name_node, variants in responses.value:
        if not isinstance(variants, yaml.SequenceNode):
            raise UnreadableTextError(f"domain.yml: {name_node.value} is not a list of variants")
        for variant in variants.value:
            lang = _variant_language(variant)
            text = _mapping_get(variant, "text")
            if lang is None or not isinstance(text, yaml.ScalarNode):
                continue
            yield _scalar_segment(source, "domain.yml", lang, str(name_node.value), text)


def _variant_language(variant: yaml.Node) -> str | None:
    conditions = _mapping_get(variant, "condition")
    if not isinstance(conditions, yaml.SequenceNode):
        return None
    for condition in conditions.value:
        name = _mapping_get(condition, "name")
        value = _mapping_get(condition, "value")
        if (
            isinstance(name, yaml.ScalarNode)
            and name.value == "language"
            and isinstance(value, yaml.ScalarNode)
            and value.value in LANGUAGES
        ):
            return str(value.value)
    return None


def _content_segments(root: Path, name: str) -> Iterator[Segment]:
    """Every kk/ru value of a content file, wherever it is."""
    source, node = _yaml_root(root, name)

    def walk(node: yaml.Node, where: str) -> Iterator[Segment]:
        if isinstance(node, yaml.MappingNode):
            label = where
            ident = _mapping_get(node, "id") or _mapping_get(node, "intent")
            if isinstance(ident, yaml.ScalarNode):
                label = f"{where}[{ident.value}]"
            for key, value in node.value:
                key_name = str(key.value)
                if key_name in LANGUAGES and isinstance(value, yaml.ScalarNode):
                    yield _scalar_segment(source, name, key_name, f"{label}.{key_name}", value)
                else:
                    yield from walk(value, f"{label}.{key_name}" if label else key_name)
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                yield from walk(item, where)

    yield from walk(node, "")


_PO_STRING = re.compile(r'"((?:[^"\\]|\\.)*)"')
_PO_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _po_unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _PO_ESCAPES.get(m.group(1), m.group(1)), text)


@dataclass
class _PoField:
    keyword: str
    line: int
    chunks: list[tuple[str, int]] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(chunk for chunk, _ in self.chunks)

    def lines(self) -> tuple[tuple[int, int], ...]:
        out: list[tuple[int, int]] = []
        offset = 0
        for chunk, line in self.chunks:
            out.append((offset, line))
            offset += len(chunk)
        return tuple(out)


def _po_entries(path: Path) -> list[list[_PoField]]:
    entries: list[list[_PoField]] = []
    current: list[_PoField] = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            if current and not stripped:
                entries.append(current)
                current = []
            continue
        if stripped.startswith('"'):
            match = _PO_STRING.match(stripped)
            if not match:
                raise UnreadableTextError(f"{path}:{number}: unexpected line")
            if not current:
                raise UnreadableTextError(f"{path}:{number}: a string outside an entry")
            current[-1].chunks.append((_po_unescape(match.group(1)), number))
            continue
        keyword, _, rest = stripped.partition(" ")
        if keyword == "msgid" and current and any(f.keyword.startswith("msgstr") for f in current):
            entries.append(current)
            current = []
        match = _PO_STRING.match(rest.strip())
        if not match:
            raise UnreadableTextError(f"{path}:{number}: unexpected line")
        current.append(_PoField(keyword, number, [(_po_unescape(match.group(1)), number)]))
    if current:
        entries.append(current)
    return entries


def _po_messages(root: Path, lang: str) -> list[tuple[str, _PoField]]:
    """(msgid, msgstr field) of every translated message of a locale."""
    path = root / "locales" / lang / "LC_MESSAGES" / "messages.po"
    out: list[tuple[str, _PoField]] = []
    for entry in _po_entries(path):
        msgid = next((f.text for f in entry if f.keyword == "msgid"), None)
        if not msgid:  # the header
            continue
        out.extend((msgid, f) for f in entry if f.keyword.startswith("msgstr"))
    return out


def _po_segments(root: Path, lang: str) -> Iterator[Segment]:
    path = f"locales/{lang}/LC_MESSAGES/messages.po"
    for msgid, msgstr in _po_messages(root, lang):
        where = f"msgid {msgid[:60]!r}" + ("" if msgstr.keyword == "msgstr" else msgstr.keyword)
        yield Segment(path, msgstr.line, lang, where, msgstr.text, msgstr.lines())


def _docs_segments(root: Path) -> Iterator[Segment]:
    for pattern in DOCS_GLOBS:
        for path in sorted(root.glob(pattern)):
            name = path.relative_to(root).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                yield Segment(name, number, None, "", line)


def segments(root: Path) -> list[Segment]:
    """Every user-visible Kazakh and Russian text under `root` (missing files are skipped)."""
    out = list(_domain_segments(root)) if (root / "domain.yml").exists() else []
    for name in CONTENT_FILES:
        if (root / name).exists():
            out.extend(_content_segments(root, name))
    for lang in LANGUAGES:
        if (root / "locales" / lang / "LC_MESSAGES" / "messages.po").exists():
            out.extend(_po_segments(root, lang))
    out.extend(_docs_segments(root))
    return out


@functools.lru_cache(maxsize=4)
def _segments_cached(root: Path) -> tuple[Segment, ...]:
    return tuple(segments(root))


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
    for segment in _segments_cached(root) if texts is None else texts:
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
    for segment in _segments_cached(root):
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
    messages = {msgid: msgstr.text for msgid, msgstr in _po_messages(root, lang)}
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
