"""The NLU training data as the editors' tools see it, with file and line.

`nlu_data/<lang>/*.yml` holds Rasa NLU examples, one folder per language.
Validation and evaluation need every example with its language, its intent
and where it is written, so a problem can be reported as `file:line`. YAML is
read through `yaml.compose`, whose nodes keep their position in the file.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

LANGUAGES = ("kk", "ru")

# Rasa's entity annotation: [text](entity), [text](entity:value), [text]{"entity": ...}.
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]*)\](?:\([^)]*\)|\{[^}]*\})")


class YAMLError(Exception):
    """A file is not valid YAML; `where` is its file and line."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


@dataclass(frozen=True, slots=True)
class Located:
    """A YAML node and the file it comes from: its value, and where it is written."""

    node: yaml.Node
    path: Path

    @property
    def line(self) -> int:
        """The 1-based line the node starts on."""
        return int(self.node.start_mark.line) + 1

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"

    @property
    def value(self) -> Any:
        loader = yaml.SafeLoader("")
        try:
            return loader.construct_object(self.node, deep=True)
        finally:
            loader.dispose()

    def get(self, key: str) -> Located | None:
        """The value under `key` of a mapping node; None if absent or not a mapping."""
        if isinstance(self.node, yaml.MappingNode):
            for key_node, value_node in self.node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
                    return Located(value_node, self.path)
        return None

    def items(self) -> list[tuple[str, Located]]:
        """A mapping node's entries with scalar keys, in file order."""
        if not isinstance(self.node, yaml.MappingNode):
            return []
        return [
            (str(k.value), Located(v, self.path))
            for k, v in self.node.value
            if isinstance(k, yaml.ScalarNode)
        ]

    def elements(self) -> list[Located]:
        """A sequence node's elements; empty for anything else."""
        if not isinstance(self.node, yaml.SequenceNode):
            return []
        return [Located(v, self.path) for v in self.node.value]

    @property
    def is_mapping(self) -> bool:
        return isinstance(self.node, yaml.MappingNode)


def compose(path: Path) -> Located | None:
    """The YAML document in `path` as nodes; None for an empty file."""
    try:
        with path.open(encoding="utf-8") as stream:
            node = yaml.compose(stream, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = f":{mark.line + 1}" if mark is not None else ""
        raise YAMLError(f"{path}{line}", str(exc.problem or exc)) from exc
    except yaml.YAMLError as exc:
        raise YAMLError(str(path), str(exc)) from exc
    return None if node is None else Located(node, path)


@dataclass(frozen=True, slots=True)
class Example:
    """One training example: `raw` as written (with entity annotations), `text` as typed."""

    intent: str
    lang: str
    raw: str
    path: Path
    line: int

    @property
    def text(self) -> str:
        return plain_text(self.raw)

    @property
    def where(self) -> str:
        return f"{self.path}:{self.line}"


def plain_text(example: str) -> str:
    """The example as a citizen would type it: entity annotations removed."""
    return _ANNOTATION.sub(lambda m: m.group("text"), example)


def data_files(nlu_dir: Path) -> list[Path]:
    """Every YAML file under `nlu_dir`, sorted, so hashes and splits are stable."""
    return sorted(p for p in nlu_dir.rglob("*") if p.is_file() and p.suffix in (".yml", ".yaml"))


def language_of(path: Path, nlu_dir: Path) -> str:
    """The language of a data file: the first folder under `nlu_dir` (`kk`, `ru`)."""
    parts = path.relative_to(nlu_dir).parts
    return parts[0] if len(parts) > 1 else ""


def read_examples(nlu_dir: Path) -> list[Example]:
    """All intent examples under `nlu_dir`, in file order. Raises YAMLError."""
    return [example for path in data_files(nlu_dir) for example in file_examples(path, nlu_dir)]


def file_examples(path: Path, nlu_dir: Path) -> Iterator[Example]:
    root = compose(path)
    if root is None:
        return
    lang = language_of(path, nlu_dir)
    nlu = root.get("nlu")
    for item in nlu.elements() if nlu is not None else ():
        intent_node = item.get("intent")
        examples = item.get("examples")
        if intent_node is None or examples is None:
            continue  # synonyms, regexes and lookup tables
        intent = str(intent_node.value)
        for raw, line in _example_lines(examples):
            yield Example(intent=intent, lang=lang, raw=raw, path=path, line=line)


def _example_lines(examples: Located) -> Iterator[tuple[str, int]]:
    node = examples.node
    if isinstance(node, yaml.ScalarNode):
        # A block scalar ("|") starts on the line after its indicator.
        block = node.style in ("|", ">")
        first = examples.line + (1 if block else 0)
        for offset, line in enumerate(str(node.value).splitlines()):
            stripped = line.strip()
            if stripped.startswith("- "):
                yield stripped[2:].strip(), first + offset
            elif stripped == "-":
                yield "", first + offset
    elif isinstance(node, yaml.SequenceNode):
        # The long form: a list of {text: ..., metadata: ...}.
        for element in examples.elements():
            text = element.get("text") if element.is_mapping else element
            if text is not None:
                yield str(text.value).strip(), text.line
