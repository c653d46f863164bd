"""The editors' safety lexicons, read, checked and compiled for the safety check.

Editors keep one YAML lexicon per situation in `content/safety/` (self-harm,
violence, travel to a conflict zone, abuse, recruitment, ...). Each says which
route and intent the situation has, and lists:

- `patterns`: words that must all occur within `window` words of each other,
  in any order ("билет* сири*"); a pattern ending in `~N` has its own window;
- `phrases`: words that must occur one after another ("лучше бы я умер");
- `exclude`: phrases whose words this file's patterns and phrases ignore
  ("умираю со смеху"), so that a benign idiom does not count, while a
  dangerous sentence next to it still does;
- `unless`: phrases that cancel a match when they occur within a few words
  of it ("іссапар*": a business trip to Iraq is not a journey to war), while
  a match farther away in the same message still counts.

A word ending in `*` is a prefix, so one stem covers Kazakh and Russian case
endings; `a|b` means either word; `@name` stands for a list of words defined
once under `words:` (places, verbs of leaving, relatives...). Entries are
folded with the same `normalize()` as the NLU's input, so an entry written
once in ordinary spelling matches Cyrillic without the special letters, Latin
letters and misspellings alike. When several entries match, the most serious
route wins, then the entry with more words (the more specific one).

This module reads the files and compiles every entry to slots of normalised
terms (`Lexicons`); `bot.nlp.safety.SafetyCheck` matches messages against
them. Every error an editor can make is a `LexiconError` naming the file and
the entry.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.domain import Route
from bot.nlp.normalize import normalize

MIN_PREFIX = 3
# A stem ending in a doubled letter folds to a shorter one; below this it is too broad.
MIN_DOUBLED_STEM = 5
MAX_WINDOW = 30
DEFAULT_WINDOW = 8
_ROUTES = {Route.CRISIS, Route.ESCALATE}
_KEYS = {
    "situation",
    "route",
    "intent",
    "description",
    "window",
    "words",
    "patterns",
    "phrases",
    "exclude",
    "unless",
}


class LexiconError(ValueError):
    """A lexicon file an editor wrote cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Term:
    text: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class Entry:
    situation: int
    slots: tuple[tuple[int, ...], ...]  # per word: the ids of its alternative terms
    ordered: bool  # a phrase: consecutive words in order
    window: int
    raw: str
    source: str


@dataclass(frozen=True, slots=True)
class Situation:
    name: str
    route: Route
    intent: str
    source: str
    order: int


@dataclass(frozen=True, slots=True)
class Lexicons:
    """Every lexicon file of a folder, compiled: what `SafetyCheck` matches with."""

    situations: tuple[Situation, ...]
    entries: tuple[Entry, ...]  # patterns and phrases
    excludes: tuple[Entry, ...]
    unless: tuple[Entry, ...]
    terms: tuple[Term, ...]


def load_lexicons(directory: Path, intents: Collection[str] | None = None) -> Lexicons:
    """Read and compile every `*.yml` lexicon in `directory`; `intents`: the known ones."""
    files = sorted(Path(directory).glob("*.yml"))
    if not files:
        raise LexiconError(f"{directory}: no *.yml safety lexicons")
    builder = _Builder(intents)
    for path in files:
        builder.add_file(path)
    return builder.build()


class _Builder:
    """Reads and checks lexicon files; every error names the file and the entry."""

    def __init__(self, intents: Collection[str] | None) -> None:
        self._intents = intents
        self._situations: list[Situation] = []
        self._entries: list[Entry] = []
        self._excludes: list[Entry] = []
        self._unless: list[Entry] = []
        self._terms: list[Term] = []
        self._term_ids: dict[Term, int] = {}
        self._groups: dict[str, list[str]] = {}

    def build(self) -> Lexicons:
        return Lexicons(
            tuple(self._situations),
            tuple(self._entries),
            tuple(self._excludes),
            tuple(self._unless),
            tuple(self._terms),
        )

    def add_file(self, path: Path) -> None:
        name = path.name
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise LexiconError(f"{name}: not valid YAML: {exc}") from exc
        if not isinstance(raw, dict):
            raise LexiconError(f"{name}: expected a mapping with situation, route, intent, ...")
        unknown = sorted(set(raw) - _KEYS)
        if unknown:
            raise LexiconError(
                f"{name}: unknown key(s) {', '.join(map(str, unknown))}; "
                f"allowed: {', '.join(sorted(_KEYS))}"
            )
        window = raw.get("window", DEFAULT_WINDOW)
        if isinstance(window, bool) or not isinstance(window, int) or not 1 <= window <= MAX_WINDOW:
            raise LexiconError(f"{name}: window must be a whole number from 1 to {MAX_WINDOW}")
        situation = self._situation(name, raw)
        self._groups = _word_groups(name, raw.get("words"))
        index = len(self._situations)
        self._situations.append(situation)
        if not raw.get("patterns") and not raw.get("phrases"):
            raise LexiconError(f"{name}: no patterns and no phrases")
        for key, ordered, target in (
            ("patterns", False, self._entries),
            ("phrases", True, self._entries),
            ("exclude", True, self._excludes),
            ("unless", True, self._unless),
        ):
            seen: set[tuple[tuple[int, ...], ...]] = set()
            for number, item in enumerate(_entries(name, raw, key)):
                source = f"{name}: {key}[{number}]"
                where = f"{source} {item!r}"
                words, own_window = _own_window(where, item)
                if own_window is not None and ordered:
                    raise LexiconError(f"{where}: `~N` is for patterns; a phrase has no gaps")
                slots = self._compile(where, words)
                entry_window = window if own_window is None else own_window
                if not ordered and len(slots) > entry_window:
                    raise LexiconError(
                        f"{where}: {len(slots)} words cannot fit in a window of {entry_window}"
                    )
                if slots in seen:
                    raise LexiconError(f"{where}: the same entry appears twice")
                seen.add(slots)
                target.append(Entry(index, slots, ordered, entry_window, item, source))

    def _situation(self, name: str, raw: dict[str, Any]) -> Situation:
        for key in ("situation", "route", "intent"):
            if not isinstance(raw.get(key), str) or not raw[key].strip():
                raise LexiconError(f"{name}: `{key}` is missing or not a text")
        situation, intent = raw["situation"].strip(), raw["intent"].strip()
        if any(s.name == situation for s in self._situations):
            raise LexiconError(
                f"{name}: situation {situation!r} is already defined in another file"
            )
        route = next((r for r in _ROUTES if r.value == raw["route"].strip()), None)
        if route is None:
            raise LexiconError(f"{name}: route must be crisis or escalate, not {raw['route']!r}")
        if self._intents is not None and intent not in self._intents:
            raise LexiconError(f"{name}: intent {intent!r} is not in the taxonomy")
        return Situation(situation, route, intent, name, len(self._situations))

    def _compile(self, where: str, item: str) -> tuple[tuple[int, ...], ...]:
        slots: list[tuple[int, ...]] = []
        for word in item.split():
            alternatives = [_terms(where, alt) for alt in self._expand(where, word)]
            if len(alternatives) == 1:
                # A hyphenated word ("өз-өзіне") folds to several words: keep them as several.
                slots.extend((self._term_id(t),) for t in alternatives[0])
                continue
            if any(len(alt) != 1 for alt in alternatives):
                raise LexiconError(f"{where}: {word!r}: alternatives must be single words")
            slots.append(tuple(dict.fromkeys(self._term_id(alt[0]) for alt in alternatives)))
        return tuple(slots)

    def _expand(self, where: str, word: str) -> list[str]:
        """The alternatives of `word`, with `@name` replaced by the words of that group."""
        out: list[str] = []
        for alt in word.split("|"):
            if alt.startswith("@"):
                group = self._groups.get(alt[1:])
                if group is None:
                    known = ", ".join(sorted(self._groups)) or "none"
                    raise LexiconError(f"{where}: unknown word group {alt!r} (defined: {known})")
                out.extend(group)
            else:
                out.append(alt)
        return out

    def _term_id(self, term: Term) -> int:
        term_id = self._term_ids.get(term)
        if term_id is None:
            term_id = self._term_ids[term] = len(self._terms)
            self._terms.append(term)
        return term_id


def _word_groups(name: str, raw: object) -> dict[str, list[str]]:
    """`words:` - named lists of alternative words, each a list or a `a|b|c` text."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise LexiconError(f"{name}: `words` must map group names to lists of words")
    groups: dict[str, list[str]] = {}
    for group, items in raw.items():
        where = f"{name}: words.{group}"
        if not isinstance(group, str) or not group.isidentifier():
            raise LexiconError(f"{where}: a group name is letters, digits and _ only")
        texts = items if isinstance(items, list) else [items]
        words: list[str] = []
        for item in texts:
            if not isinstance(item, str) or not item.strip():
                raise LexiconError(f"{where}: expected words, not {item!r}")
            for word in item.replace("|", " ").split():
                if word.startswith("@"):
                    raise LexiconError(f"{where}: {word!r}: a group cannot use another group")
                if len(_terms(where, word)) != 1:
                    raise LexiconError(f"{where}: {word!r} folds to several words; split it")
                words.append(word)
        if not words:
            raise LexiconError(f"{where}: empty")
        groups[group] = words
    return groups


def _entries(name: str, raw: dict[str, Any], key: str) -> Iterable[str]:
    items = raw.get(key) or []
    if not isinstance(items, list):
        raise LexiconError(f"{name}: `{key}` must be a list of texts")
    for number, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise LexiconError(f"{name}: {key}[{number}] must be a non-empty text, not {item!r}")
        yield item


def _own_window(where: str, item: str) -> tuple[str, int | None]:
    """Split a trailing `~N` (this pattern's own window) off an entry."""
    words = item.split()
    if not words[-1].startswith("~"):
        return item, None
    number = words[-1][1:]
    if not number.isdigit() or not 1 <= int(number) <= MAX_WINDOW or len(words) < 2:
        raise LexiconError(f"{where}: `~N` must end a pattern, with N from 1 to {MAX_WINDOW}")
    return " ".join(words[:-1]), int(number)


def _terms(where: str, word: str) -> list[Term]:
    """One written word (maybe ending in `*`) as the normalised terms it stands for."""
    prefix = word.endswith("*")
    body = word[:-1] if prefix else word
    if "*" in body:
        raise LexiconError(f"{where}: {word!r}: `*` may only end a word")
    if not body:
        raise LexiconError(f"{where}: {word!r}: an empty word (a stray `|` or `*`?)")
    folded = normalize(body).split()
    if not folded:
        raise LexiconError(f"{where}: {word!r} has no letters or digits")
    # normalize() folds doubled letters, so "перее*" would become "пере*": too broad.
    doubled = len(body) > 1 and body[-1].casefold() == body[-2].casefold()
    if prefix and doubled and len(folded[-1]) < MIN_DOUBLED_STEM:
        raise LexiconError(
            f"{where}: {word!r}: normalisation folds the doubled letter at the end of a stem, "
            f"so it would match every word starting with {folded[-1]!r}; write {folded[-1]}* "
            f"if that is meant, or a longer stem"
        )
    if prefix and len(folded[-1]) < MIN_PREFIX:
        raise LexiconError(
            f"{where}: {word!r}: a prefix needs at least {MIN_PREFIX} letters after "
            f"normalisation (it folds to {folded[-1]!r}); it would match too many words"
        )
    return [Term(text, prefix and i == len(folded) - 1) for i, text in enumerate(folded)]
