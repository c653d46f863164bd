"""Reading content/taxonomy.yml: one reader for the bot and the Rasa pipeline.

The bot checks what it reads with the content schema (`bot.content.taxonomy`
through `bot.content.schema.TaxonomyFile`); the Rasa components, in Python
3.10 with pydantic 1 where `bot.content` cannot be imported, take the intent
routes as written (`intent_routes`). PyYAML is in both environments.
`content validate` reads the file with its lines (`bot.content.checks`) to
say where an error is.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

TAXONOMY_FILE = Path(__file__).resolve().parents[2] / "content" / "taxonomy.yml"


def read_taxonomy_file(path: Path = TAXONOMY_FILE) -> Any:
    """The file as YAML data ({} when it is empty); its shape is for the caller to check."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def intent_routes(path: Path = TAXONOMY_FILE) -> dict[str, str]:
    """intent -> route, as written (the same keys as `bot.content.schema.TaxonomyIntent`)."""
    raw = read_taxonomy_file(path)
    return {str(i["name"]): str(i["route"]) for i in raw.get("intents") or () if "name" in i}
