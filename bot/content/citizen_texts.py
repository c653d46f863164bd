"""Every Kazakh and Russian text a citizen reads, with its file and line: what the glossary checks.

The curated answers (domain.yml, each variant by its `language` slot), the
kk/ru values of content/menu.yml, canned.yml and resources.yml, the msgstr of
locales/{kk,ru}, and docs/*.md and README.md (English prose that may quote
Kazakh or Russian; language None).
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import yaml

LANGUAGES = ("kk", "ru")
CONTENT_FILES = ("content/menu.yml", "content/canned.yml", "content/resources.yml")
DOCS_GLOBS = ("docs/*.md", "README.md")


class UnreadableTextError(Exception):
    """A source of texts does not have the shape the glossary reads."""


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


def po_messages(root: Path, lang: str) -> list[tuple[str, _PoField]]:
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
    for msgid, msgstr in po_messages(root, lang):
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
def segments_cached(root: Path) -> tuple[Segment, ...]:
    return tuple(segments(root))
