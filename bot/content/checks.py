"""What every `content validate` check shares: the report, and reading YAML with its lines.

A check reads a file with `load_yaml` (its nodes know their file and line),
reads a node with the content schema through `parsed` (each schema error
reported where it is written), and adds errors and warnings to a `Report`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from bot.content import schema
from bot.domain import Route
from bot.nlu.data import Located, YAMLError, compose


@dataclass(frozen=True, slots=True)
class Issue:
    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.level.upper():7} {self.where}: {self.message}"


@dataclass
class Report:
    issues: list[Issue] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)

    def error(self, where: str | Path, message: str) -> None:
        self.issues.append(Issue("error", str(where), message))

    def warning(self, where: str | Path, message: str) -> None:
        self.issues.append(Issue("warning", str(where), message))

    def relative_to(self, root: Path) -> None:
        """Name files relative to `root` and drop repeated issues (shared YAML anchors)."""
        prefix = f"{root.resolve()}/"
        unique: dict[Issue, None] = {}
        for issue in self.issues:
            where = issue.where.replace(prefix, "").replace(f"{root}/", "")
            message = issue.message.replace(prefix, "").replace(f"{root}/", "")
            unique[Issue(issue.level, where, message)] = None
        self.issues = list(unique)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.level == "warning"]

    def render(self, *, warnings: bool = True) -> str:
        shown = [i for i in self.issues if warnings or i.level == "error"]
        lines = [str(i) for i in shown]
        counted = ", ".join(f"{n} {what}" for what, n in sorted(self.checked.items()))
        lines.append(
            f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"
            + (f"; checked {counted}" if counted else "")
        )
        return "\n".join(lines)


# A check of the checkout at a root, adding to a report.
Check = Callable[[Path, Report], None]


@dataclass(frozen=True, slots=True)
class CheckedIntent:
    name: str
    route: Route
    where: str


# --- loading -------------------------------------------------------------------


def load_yaml(path: Path, report: Report, *, required: bool = True) -> Located | None:
    if not path.is_file():
        if required:
            report.error(path, "file is missing")
        return None
    try:
        return compose(path)
    except YAMLError as exc:
        report.error(exc.where, f"not valid YAML: {exc.problem}")
        return None


Model = TypeVar("Model", bound=schema.Schema)


def read_with_schema(model: type[Model], node: Located, report: Report) -> Model | None:
    """`node` read with the content schema; its errors reported where they are written."""
    try:
        return model.model_validate(node.value)
    except ValidationError as exc:
        for error in exc.errors():
            loc = tuple(error["loc"])
            message = str(error["msg"])
            if error["type"] != "kenes" and loc:  # Pydantic's own words: say which field
                message = f"{dotted(loc)}: {message}"
            report.error(node_at(node, loc).where, message)
        return None


def node_at(node: Located, loc: tuple[int | str, ...]) -> Located:
    """The node a schema error points at, or the deepest one written down."""
    for key in loc:
        elements = node.elements()
        if isinstance(key, int):
            child = elements[key] if 0 <= key < len(elements) else None
        else:
            child = node.get(key)
        if child is None:
            break
        node = child
    return node


def dotted(loc: tuple[int | str, ...]) -> str:
    path = ""
    for key in loc:
        path += f"[{key}]" if isinstance(key, int) else f".{key}" if path else str(key)
    return path


def in_file_order(report: Report, start: int) -> None:
    """Sort the issues added since `start` (one file's) by line."""

    def line(issue: Issue) -> int:
        _, _, number = issue.where.rpartition(":")
        return int(number) if number.isdigit() else 0

    report.issues[start:] = sorted(report.issues[start:], key=line)


def warn_unverified(
    items: Located | None, report: Report, describe: Callable[[dict[str, Any]], str]
) -> None:
    """A warning at each element of `items` not marked `verified: true`: what
    `describe` says of it, and its source."""
    for item in items.elements() if items is not None else ():
        value = item.value if item.is_mapping else {}
        if not value.get("verified", False):
            report.warning(
                item.where, f"{describe(value)} (source: {value.get('source') or 'none given'})"
            )


def read_taxonomy(root: Located | None, report: Report) -> dict[str, CheckedIntent] | None:
    if root is None:
        return None
    intents: dict[str, CheckedIntent] = {}
    items = root.get("intents")
    for item in items.elements() if items is not None else ():
        intent = read_with_schema(schema.TaxonomyIntent, item, report)
        if intent is not None:
            intents[intent.name] = CheckedIntent(intent.name, intent.route, item.where)
    return intents


def summarize(issues: Iterable[Issue]) -> Counter[str]:
    """How many issues of each level (for tests and scripts)."""
    return Counter(i.level for i in issues)
