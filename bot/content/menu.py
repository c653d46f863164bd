"""The tap-through menu (content/menu.yml): categories of questions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.content.schema import MenuFile


@dataclass(frozen=True, slots=True)
class MenuQuestion:
    """A menu entry: an intent's answer, or (`show`) something the bot shows itself."""

    intent: str
    label: dict[str, str]
    show: str = ""


@dataclass(frozen=True, slots=True)
class MenuCategory:
    id: str
    title: dict[str, str]
    questions: tuple[MenuQuestion, ...]


@dataclass(frozen=True, slots=True)
class Menu:
    categories: tuple[MenuCategory, ...]

    @classmethod
    def load(cls, path: Path) -> Menu:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return cls(
            categories=tuple(
                MenuCategory(
                    id=c.id,
                    title=dict(c.title),
                    questions=tuple(
                        MenuQuestion(intent=q.intent, label=dict(q.label), show=q.show)
                        for q in c.questions
                    ),
                )
                for c in MenuFile.model_validate(raw).categories
            )
        )

    def category(self, category_id: str) -> MenuCategory | None:
        return next((c for c in self.categories if c.id == category_id), None)

    def label(self, intent: str, lang: str) -> str | None:
        for category in self.categories:
            for question in category.questions:
                if question.intent and question.intent == intent:
                    return question.label.get(lang)
        return None
