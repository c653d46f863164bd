"""content/taxonomy.yml is the shared contract's copy inside the repository."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from tests.conftest import require

SHARED = PROJECT_ROOT.parent / "shared" / "taxonomy.yml"


def test_repository_copy_keeps_every_shared_intent_and_route() -> None:
    require("../shared/taxonomy.yml", SHARED.exists(), "the shared contract beside the clone")
    shared = yaml.safe_load(Path(SHARED).read_text(encoding="utf-8"))
    ours = yaml.safe_load((PROJECT_ROOT / "content" / "taxonomy.yml").read_text(encoding="utf-8"))
    our_routes = {i["name"]: i["route"] for i in ours["intents"]}
    for intent in shared["intents"]:
        assert our_routes.get(intent["name"]) == intent["route"], intent["name"]
    assert ours["emergency_numbers"] == shared["emergency_numbers"]
