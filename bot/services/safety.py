"""The safety check: catches people in danger without the NLU server.

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

A danger signal may be spread over several short messages ("he bought a
ticket" ... "to Syria" ... "tomorrow"), so the citizen's previous messages are
matched together with the current one; such a match must use a word of the
current message, so one old message does not flag every later one.

Pure and fast: no aiogram, no database, no I/O after loading. The text of a
message is never logged here.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
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
# How many earlier messages are matched together with the current one; the
# caller decides how old they may be.
CONTEXT_MESSAGES = 4
# Earlier words kept beyond the largest window, for exclusions across the cut.
CONTEXT_MARGIN = 10
# An `unless` phrase cancels a match only this close to it (in words).
UNLESS_DISTANCE = 4
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
class SafetyVerdict:
    """Why the safety check raised a message. `pattern` is the editor's entry, never the text."""

    route: Route
    situation: str
    intent: str
    pattern: str
    source: str
    across_messages: bool = False


@dataclass(frozen=True, slots=True)
class _Term:
    text: str
    prefix: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    situation: int
    slots: tuple[tuple[int, ...], ...]  # per word: the ids of its alternative terms
    ordered: bool  # a phrase: consecutive words in order
    window: int
    raw: str
    source: str


@dataclass(frozen=True, slots=True)
class _Situation:
    name: str
    route: Route
    intent: str
    source: str
    order: int


@dataclass(frozen=True, slots=True)
class _Guards:
    """What a situation's `exclude` and `unless` entries found in one text."""

    masked: frozenset[int]  # positions the situation's entries ignore
    cancelling: tuple[int, ...]  # positions that cancel a match close to them


class SafetyCheck:
    """Matches messages against the compiled lexicons."""

    def __init__(
        self,
        situations: Sequence[_Situation],
        entries: Sequence[_Entry],
        excludes: Sequence[_Entry],
        unless: Sequence[_Entry],
        terms: Sequence[_Term],
    ) -> None:
        self._situations = tuple(situations)
        self._entries = tuple(entries)
        self._exact: dict[str, list[int]] = {}
        self._prefix: dict[str, list[int]] = {}
        for term_id, term in enumerate(terms):
            if term.prefix:
                self._prefix.setdefault(term.text, []).append(term_id)
                # normalize() folds "тс" to "ц", so "убит*" must also meet "убиться" -> "убиця".
                if term.text.endswith("т"):
                    self._prefix.setdefault(term.text[:-1] + "ц", []).append(term_id)
            else:
                self._exact.setdefault(term.text, []).append(term_id)
        self._max_prefix = max((len(k) for k in self._prefix), default=0)
        self._by_anchor: dict[int, list[int]] = {}
        for index, entry in enumerate(self._entries):
            for term_id in entry.slots[_anchor_slot(entry, terms)]:
                self._by_anchor.setdefault(term_id, []).append(index)
        self._excludes: dict[int, list[_Entry]] = {}
        for entry in excludes:
            self._excludes.setdefault(entry.situation, []).append(entry)
        self._unless: dict[int, list[_Entry]] = {}
        for entry in unless:
            self._unless.setdefault(entry.situation, []).append(entry)

    @classmethod
    def from_directory(cls, directory: Path, intents: Collection[str] | None = None) -> SafetyCheck:
        """Load every `*.yml` lexicon in `directory`; `intents`: the known intents, if given."""
        files = sorted(Path(directory).glob("*.yml"))
        if not files:
            raise LexiconError(f"{directory}: no *.yml safety lexicons")
        builder = _Builder(intents)
        for path in files:
            builder.add_file(path)
        return builder.build()

    @property
    def situations(self) -> list[str]:
        return [s.name for s in self._situations]

    def situations_by_intent(self) -> dict[str, str]:
        """intent -> the first situation that names it."""
        found: dict[str, str] = {}
        for situation in self._situations:
            found.setdefault(situation.intent, situation.name)
        return found

    def check(self, text: str, recent: Sequence[str] = ()) -> SafetyVerdict | None:
        """The most serious danger in `text`, alone or with `recent` (oldest first)."""
        tokens = normalize(text).split()
        best = self._best(tokens, boundary=0)
        across = False
        earlier = [tok for t in recent[-CONTEXT_MESSAGES:] for tok in normalize(t).split()]
        # A match must reach the current message and fits in a window, so older words
        # cannot take part (a margin keeps exclusions that straddle the cut).
        earlier = earlier[-(MAX_WINDOW + CONTEXT_MARGIN) :]
        if earlier and tokens:
            joined = self._best(earlier + tokens, boundary=len(earlier))
            if joined is not None and (best is None or self._key(joined) > self._key(best)):
                best, across = joined, True
        if best is None:
            return None
        entry = best
        situation = self._situations[entry.situation]
        return SafetyVerdict(
            route=situation.route,
            situation=situation.name,
            intent=situation.intent,
            pattern=entry.raw,
            source=entry.source,
            across_messages=across,
        )

    def _best(self, tokens: list[str], boundary: int) -> _Entry | None:
        """The most serious entry matching `tokens` with a match ending at or after `boundary`."""
        positions = self._term_positions(tokens)
        candidates: set[int] = set()
        for term_id in positions:
            candidates.update(self._by_anchor.get(term_id, ()))
        best: _Entry | None = None
        guards: dict[int, _Guards] = {}
        for index in sorted(candidates):
            entry = self._entries[index]
            if best is not None and self._key(entry) <= self._key(best):
                continue
            found = guards.get(entry.situation)
            if found is None:
                found = guards[entry.situation] = self._guards(entry.situation, positions)
            if _matches(entry, positions, found, boundary):
                best = entry
        return best

    def _key(self, entry: _Entry) -> tuple[int, int, int]:
        # More serious route first, then the more specific entry, then file order.
        situation = self._situations[entry.situation]
        return (situation.route.severity, len(entry.slots), -situation.order)

    def _term_positions(self, tokens: list[str]) -> dict[int, list[int]]:
        positions: dict[int, list[int]] = {}
        for pos, token in enumerate(tokens):
            found: list[int] = list(self._exact.get(token, ()))
            for end in range(MIN_PREFIX, min(len(token), self._max_prefix) + 1):
                found.extend(self._prefix.get(token[:end], ()))
            for term_id in found:
                spots = positions.setdefault(term_id, [])
                if not spots or spots[-1] != pos:
                    spots.append(pos)
        return positions

    def _guards(self, situation: int, positions: dict[int, list[int]]) -> _Guards:
        masked = _occurrences(self._excludes.get(situation, ()), positions)
        cancelling = _occurrences(self._unless.get(situation, ()), positions)
        return _Guards(frozenset(masked), tuple(sorted(cancelling)))


def _occurrences(phrases: Iterable[_Entry], positions: dict[int, list[int]]) -> set[int]:
    """The positions covered by occurrences of `phrases` (consecutive words)."""
    covered: set[int] = set()
    for entry in phrases:
        for start in _slot_positions(entry.slots[0], positions):
            span = range(start, start + len(entry.slots))
            if all(
                p in _slot_positions(slot, positions)
                for p, slot in zip(span, entry.slots, strict=True)
            ):
                covered.update(span)
    return covered


def _anchor_slot(entry: _Entry, terms: Sequence[_Term]) -> int:
    """The slot whose shortest term is longest: the rarest word to look an entry up by."""
    return max(
        range(len(entry.slots)),
        key=lambda i: min(
            len(terms[t].text) + (0 if terms[t].prefix else 2) for t in entry.slots[i]
        ),
    )


def _slot_positions(slot: tuple[int, ...], positions: dict[int, list[int]]) -> list[int]:
    if len(slot) == 1:
        return positions.get(slot[0], [])
    return sorted({p for term_id in slot for p in positions.get(term_id, ())})


def _matches(
    entry: _Entry,
    positions: dict[int, list[int]],
    guards: _Guards,
    boundary: int,
) -> bool:
    """Whether `entry` matches outside `guards.masked`, reaching `boundary`, not cancelled."""
    slots = [
        [p for p in _slot_positions(s, positions) if p not in guards.masked] for s in entry.slots
    ]
    if not all(slots):
        return False

    def accept(low: int, high: int) -> bool:
        return high >= boundary and not any(
            low - UNLESS_DISTANCE <= p <= high + UNLESS_DISTANCE for p in guards.cancelling
        )

    if entry.ordered:
        following = [set(s) for s in slots]
        return any(
            all(start + i in following[i] for i in range(1, len(slots)))
            and accept(start, start + len(slots) - 1)
            for start in slots[0]
        )
    return _within_window(slots, entry.window, accept)


def _within_window(slots: list[list[int]], window: int, accept: Callable[[int, int], bool]) -> bool:
    """Whether distinct positions, one per slot, fit in `window` words and are accepted."""
    order = sorted(range(len(slots)), key=lambda i: len(slots[i]))

    def search(depth: int, used: tuple[int, ...], low: int, high: int) -> bool:
        if depth == len(order):
            return accept(low, high)
        for p in slots[order[depth]]:
            if p in used:
                continue
            new_low, new_high = min(low, p), max(high, p)
            if new_high - new_low < window and search(depth + 1, (*used, p), new_low, new_high):
                return True
        return False

    return search(0, (), 1 << 30, -1)


class _Builder:
    """Reads and checks lexicon files; every error names the file and the entry."""

    def __init__(self, intents: Collection[str] | None) -> None:
        self._intents = intents
        self._situations: list[_Situation] = []
        self._entries: list[_Entry] = []
        self._excludes: list[_Entry] = []
        self._unless: list[_Entry] = []
        self._terms: list[_Term] = []
        self._term_ids: dict[_Term, int] = {}
        self._groups: dict[str, list[str]] = {}

    def build(self) -> SafetyCheck:
        return SafetyCheck(
            self._situations, self._entries, self._excludes, self._unless, self._terms
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
                target.append(_Entry(index, slots, ordered, entry_window, item, source))

    def _situation(self, name: str, raw: dict[str, Any]) -> _Situation:
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
        return _Situation(situation, route, intent, name, len(self._situations))

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

    def _term_id(self, term: _Term) -> int:
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


def _terms(where: str, word: str) -> list[_Term]:
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
    return [_Term(text, prefix and i == len(folded) - 1) for i, text in enumerate(folded)]
