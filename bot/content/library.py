"""All curated content, loaded once at start-up and shared read-only."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.content.answers import AnswerBook
from bot.content.menu import Menu
from bot.content.resources import ResourceDirectory
from bot.content.taxonomy import Taxonomy


@dataclass(frozen=True, slots=True)
class ContentLibrary:
    taxonomy: Taxonomy
    answers: AnswerBook
    resources: ResourceDirectory
    menu: Menu

    @classmethod
    def load(cls, content_dir: Path, domain_path: Path) -> ContentLibrary:
        return cls(
            taxonomy=Taxonomy.load(content_dir / "taxonomy.yml"),
            answers=AnswerBook.load(domain_path),
            resources=ResourceDirectory.load(content_dir / "resources.yml"),
            menu=Menu.load(content_dir / "menu.yml"),
        )
