"""The content hashes that name the cached NLU virtualenv and model.

The virtualenv is named after its requirements, the model after everything
that decides it (data, pipeline, domain and the code Rasa runs): a clone with
the same content finds both in the cache. bot/nlu/tooling.py builds them.
The pipeline (config.yml) counts as its parsed YAML, so that editing its
comments, which carry the measurements behind it, does not force a retraining.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

# Paths (relative to the repository root) whose content decides the model.
# The taxonomy is one: KenesRouteGuard stores the intents' routes in the model.
MODEL_INPUTS = (
    "config.yml",
    "domain.yml",
    "nlu_data",
    "nlu",
    "bot/nlp/normalize.py",
    "bot/nlp/encoder.py",
    "bot/nlp/semantic.py",
    "bot/nlp/taxonomy.py",
    "content/taxonomy.yml",
)


# Inputs that count by their parsed YAML, not their bytes (comments, layout and key
# order do not change what Rasa reads).
PARSED_INPUTS = frozenset({"config.yml"})


def _short_hash(digest: Any) -> str:
    return str(digest.hexdigest())[:16]


def requirements_hash(requirements: Path) -> str:
    """The first 16 hex digits of sha256(requirements file bytes)."""
    return _short_hash(hashlib.sha256(requirements.read_bytes()))


def model_inputs(root: Path) -> list[Path]:
    """Every file whose content goes into the model, sorted for a stable hash."""
    files: set[Path] = set()
    for name in MODEL_INPUTS:
        path = root / name
        if path.is_dir():
            files.update(
                p
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
            )
        else:
            files.add(path)
    return sorted(files, key=lambda p: p.relative_to(root).as_posix())


def model_hash(root: Path) -> str:
    """The first 16 hex digits of a sha256 over the model's inputs (names and bytes)."""
    digest = hashlib.sha256()
    for path in model_inputs(root):
        name = path.relative_to(root).as_posix()
        data = _content(path, parsed=name in PARSED_INPUTS)
        digest.update(f"{name}\0{len(data)}\0".encode())
        digest.update(data)
    return _short_hash(digest)


def _content(path: Path, *, parsed: bool) -> bytes:
    """The bytes of `path` that count: a canonical dump of its YAML when `parsed`
    (its own bytes if it does not parse, so that the training reports the error)."""
    if not path.is_file():
        return b"<missing>"
    data = path.read_bytes()
    if not parsed:
        return data
    try:
        tree = yaml.safe_load(data)
    except yaml.YAMLError:
        return data
    return json.dumps(tree, sort_keys=True, ensure_ascii=False, default=str).encode()
