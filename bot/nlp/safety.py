"""The safety check: catches people in danger without the NLU server.

It matches a message against the editors' lexicons (`content/safety/`, read
and compiled by `bot.nlp.lexicons`, where their format is described). When
several entries match, the most serious route wins, then the entry with more
words (the more specific one).

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

from bot.domain import Route
from bot.nlp.lexicons import MAX_WINDOW, MIN_PREFIX, Entry, Lexicons, Term, load_lexicons
from bot.nlp.normalize import normalize

# How many earlier messages are matched together with the current one; the
# caller decides how old they may be.
CONTEXT_MESSAGES = 4
# Earlier words kept beyond the largest window, for exclusions across the cut.
CONTEXT_MARGIN = 10
# An `unless` phrase cancels a match only this close to it (in words).
UNLESS_DISTANCE = 4


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
class _Guards:
    """What a situation's `exclude` and `unless` entries found in one text."""

    masked: frozenset[int]  # positions the situation's entries ignore
    cancelling: tuple[int, ...]  # positions that cancel a match close to them


class SafetyCheck:
    """Matches messages against the compiled lexicons."""

    def __init__(self, lexicons: Lexicons) -> None:
        self._situations = lexicons.situations
        self._entries = lexicons.entries
        terms = lexicons.terms
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
        self._excludes: dict[int, list[Entry]] = {}
        for entry in lexicons.excludes:
            self._excludes.setdefault(entry.situation, []).append(entry)
        self._unless: dict[int, list[Entry]] = {}
        for entry in lexicons.unless:
            self._unless.setdefault(entry.situation, []).append(entry)

    @classmethod
    def from_directory(cls, directory: Path, intents: Collection[str] | None = None) -> SafetyCheck:
        """Load every `*.yml` lexicon in `directory`; `intents`: the known intents, if given.

        Raises `bot.nlp.lexicons.LexiconError` when a file cannot be used.
        """
        return cls(load_lexicons(directory, intents))

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

    def _best(self, tokens: list[str], boundary: int) -> Entry | None:
        """The most serious entry matching `tokens` with a match ending at or after `boundary`."""
        positions = self._term_positions(tokens)
        candidates: set[int] = set()
        for term_id in positions:
            candidates.update(self._by_anchor.get(term_id, ()))
        best: Entry | None = None
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

    def _key(self, entry: Entry) -> tuple[int, int, int]:
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


def _occurrences(phrases: Iterable[Entry], positions: dict[int, list[int]]) -> set[int]:
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


def _anchor_slot(entry: Entry, terms: Sequence[Term]) -> int:
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
    entry: Entry,
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
