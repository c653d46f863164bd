"""The packages' import graph: no cycle between packages, no aiogram below handlers.

Every module under bot/ is parsed (nothing is imported), and every import in it
counts: at module level, inside functions, under TYPE_CHECKING; relative
imports are resolved. A "package" is what sits directly under bot/: a
subpackage (bot.content, bot.services, bot.telegram ...) or a top-level module
(bot.domain, bot.app ...). Packages are discovered, not listed, so a new one is
checked as soon as it exists.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"

# The layers below the handlers never import aiogram (DESIGN.md, style rule 3).
NO_AIOGRAM = ("bot.services", "bot.db", "bot.nlu", "bot.nlp", "bot.content", "bot.domain")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """Every module `path` imports, absolute, with the line of the import."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield target, node.lineno
            # `from bot.content import taxonomy` imports the module bot.content.taxonomy.
            for alias in node.names:
                if is_module(f"{target}.{alias.name}"):
                    yield f"{target}.{alias.name}", node.lineno


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def package_of(module: str) -> str | None:
    """bot.content.taxonomy -> bot.content; bot.domain -> bot.domain; bot -> None."""
    parts = module.split(".")
    if parts[0] != "bot" or len(parts) < 2:
        return None
    candidate = BOT / parts[1]
    if candidate.is_dir() or candidate.with_suffix(".py").is_file():
        return f"bot.{parts[1]}"
    return None  # a name imported from bot/__init__.py, not a module


def bot_modules() -> list[Path]:
    return sorted(p for p in BOT.rglob("*.py") if "__pycache__" not in p.parts)


def package_graph() -> dict[str, dict[str, list[str]]]:
    """package -> imported package -> the imports (module:line -> module) that make the edge."""
    graph: dict[str, dict[str, list[str]]] = {}
    for path in bot_modules():
        source = module_name(path)
        source_package = package_of(source)
        if source_package is None:
            continue  # bot/__init__.py, bot/__main__.py: the entry points, above everything
        edges = graph.setdefault(source_package, {})
        for target, line in imported_modules(path):
            target_package = package_of(target)
            if target_package is None or target_package == source_package:
                continue
            why = f"{source}:{line} imports {target}"
            reasons = edges.setdefault(target_package, [])
            if why not in reasons:
                reasons.append(why)
    return graph


def strongly_connected(graph: dict[str, dict[str, list[str]]]) -> list[list[str]]:
    """Tarjan's components with more than one package: each one holds a cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in graph.get(node, {}):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def a_cycle(graph: dict[str, dict[str, list[str]]], members: list[str]) -> list[str]:
    """One shortest cycle through the first package of a component, as a path."""
    start = members[0]
    allowed = set(members)
    paths: dict[str, list[str]] = {start: [start]}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for succ in sorted(graph.get(node, {})):
                if succ == start:
                    return [*paths[node], start]
                if succ in allowed and succ not in paths:
                    paths[succ] = [*paths[node], succ]
                    following.append(succ)
        frontier = following
    raise AssertionError("a strongly connected component without a cycle")


def test_the_graph_sees_every_package() -> None:
    graph = package_graph()
    packages = {p.name for p in BOT.iterdir() if (p / "__init__.py").is_file()}
    assert {f"bot.{name}" for name in packages} <= set(graph)
    # The walk resolves relative and function-level imports: a sanity check on known edges.
    assert "bot.domain" in graph["bot.db"]
    assert "bot.services" in graph["bot.handlers"]


def test_no_import_cycle_between_packages() -> None:
    graph = package_graph()
    problems = []
    for members in strongly_connected(graph):
        cycle = a_cycle(graph, members)
        lines = [" -> ".join(cycle)]
        for source, target in itertools.pairwise(cycle):
            lines.extend(f"    {why}" for why in graph[source][target][:3])
        problems.append("\n".join(lines))
    assert not problems, "import cycles between packages:\n" + "\n".join(problems)


@pytest.mark.parametrize("layer", NO_AIOGRAM)
def test_lower_layers_never_import_aiogram(layer: str) -> None:
    offenders = []
    for path in bot_modules():
        name = module_name(path)
        if name != layer and not name.startswith(layer + "."):
            continue
        for target, line in imported_modules(path):
            if target == "aiogram" or target.startswith("aiogram."):
                offenders.append(f"{name}:{line} imports {target}")
    assert not offenders, "\n".join(sorted(set(offenders)))
