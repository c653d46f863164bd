"""The intent taxonomy (content/taxonomy.yml): intent names and their routes."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bot.content.schema import TaxonomyFile
from bot.domain import Route
from bot.nlp.taxonomy import read_taxonomy_file


@dataclass(frozen=True, slots=True)
class IntentSpec:
    name: str
    route: Route
    description: str


@dataclass(frozen=True, slots=True)
class Taxonomy:
    intents: dict[str, IntentSpec]

    @classmethod
    def load(cls, path: Path) -> Taxonomy:
        raw = read_taxonomy_file(path)
        intents = {
            item.name: IntentSpec(
                name=item.name, route=item.route, description=" ".join(item.description.split())
            )
            for item in TaxonomyFile.model_validate(raw).intents
        }
        return cls(intents=intents)

    def route_of(self, intent: str | None) -> Route:
        """The route of `intent`; unknown intents and the NLU's fallback go to FALLBACK."""
        spec = self.intents.get(intent or "")
        return spec.route if spec else Route.FALLBACK

    def names(self, route: Route) -> list[str]:
        return [spec.name for spec in self.intents.values() if spec.route is route]
