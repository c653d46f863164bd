"""The Kenes intent classifiers (see config.yml; measured figures and the choice there).

- `KenesLinearClassifier`: a linear SVM over TF-IDF weighted n-gram counts and
  the sentence vector, with confidences from a softmax whose temperature is
  fitted by internal cross-validation. It trains in seconds where DIET takes
  minutes, and was more accurate on our held-out data.
- `KenesSafetyHead`: fits the bot's semantic safety head (`bot.nlp.semantic`)
  on the e5 embeddings; `python -m bot nlu train` stores it beside the model
  for the bot, which runs it itself, with or without this server.
- `KenesRouteGuard`: routes matter more than intents. It reads the intent
  routes from content/taxonomy.yml at training time and, when the sensitive
  intents (escalate, crisis) together are likely enough, picks the most
  likely sensitive intent, so a message torn between two sensitive intents or
  between a sensitive and an ordinary one reaches a person.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, hstack, vstack  # type: ignore[import-untyped,import-not-found,unused-ignore]

from bot.nlp.semantic import SemanticHead, class_of, class_routes
from bot.nlp.taxonomy import TAXONOMY_FILE, intent_routes
from nlu.base import KenesComponent
from nlu.featurizers import Encoders, embedding_of
from nlu.route_guard import guard


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
        "taxonomy": str(TAXONOMY_FILE),
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

        routes = intent_routes(Path(self.config["taxonomy"]))
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
            encoder=Encoders.get(training=True).model_id,
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
        "taxonomy": str(TAXONOMY_FILE),
    }
    STATE_FILE = "routes.json"

    def restore(self, state: dict[str, str] | None) -> None:
        self.routes = state or {}

    def trained_state(self) -> dict[str, str]:
        return self.routes

    def train(self, training_data: TrainingData) -> Resource:
        # The routes are stored in the model: serving needs no taxonomy file.
        self.routes = intent_routes(Path(self.config["taxonomy"]))
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
