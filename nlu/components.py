"""Custom Rasa components of the Kenes NLU pipeline (see config.yml).

`KenesTokenizer` feeds the featurizers the text as `bot.nlp.normalize` folds
it, so training and serving see one spelling of every word whatever the
citizen typed: Kazakh special letters or not, Cyrillic or Latin, "помогитеее".
The bot's safety check folds text with the same function.
"""

from __future__ import annotations

import re
from typing import Any

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy.sparse import csr_matrix, vstack  # type: ignore[import-untyped,import-not-found,unused-ignore]

from bot.nlp.normalize import normalize

_CHUNK = re.compile(r"\S+")


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class KenesTokenizer(WhitespaceTokenizer):
    """Whitespace tokenizer over the normalised text.

    Each whitespace-separated chunk of the original text is normalised on its
    own, so every token keeps the offsets of the chunk it came from and entity
    annotations stay aligned with the original message.
    """

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return WhitespaceTokenizer.get_default_config()

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text: str = message.get(attribute) or ""
        tokens: list[Token] = []
        for chunk in _CHUNK.finditer(text):
            for word in normalize(chunk.group(0)).split():
                tokens.append(Token(word, chunk.start(), chunk.end()))
        if not tokens:
            # Only punctuation or emoji: Rasa needs at least one token.
            tokens = [Token(text, 0, len(text))]
        return self._apply_token_pattern(tokens)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class KenesLinearClassifier(GraphComponent, IntentClassifier):
    """TF-IDF weighted n-gram counts and a logistic regression.

    Rasa's own LogisticRegressionClassifier fits raw counts: long messages
    dominate and lbfgs needs tens of seconds to converge. Sublinear TF-IDF
    with unit-length rows trains in seconds and separates the topics better;
    a larger C gives confidences that a fixed threshold can use.
    """

    @classmethod
    def required_components(cls) -> list[type]:
        return [Featurizer]

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "C": 20.0,
            "max_iter": 1000,
            "class_weight": "balanced",
            "sublinear_tf": True,
            "random_state": 42,
            "ranking_length": 0,
        }

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        tfidf: Any = None,
        clf: Any = None,
    ) -> None:
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.tfidf = tfidf
        self.clf = clf

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> KenesLinearClassifier:
        return cls(config, model_storage, resource)

    @staticmethod
    def _features(messages: list[Message]) -> Any:
        rows = []
        for message in messages:
            _, sentence = message.get_sparse_features(TEXT)
            rows.append(csr_matrix(sentence.features) if sentence is not None else None)
        width = max((r.shape[1] for r in rows if r is not None), default=0)
        return vstack([r if r is not None else csr_matrix((1, width)) for r in rows]).tocsr()

    def train(self, training_data: TrainingData) -> Resource:
        from sklearn.feature_extraction.text import TfidfTransformer  # type: ignore[import-untyped,import-not-found,unused-ignore]
        from sklearn.linear_model import LogisticRegression  # type: ignore[import-untyped,import-not-found,unused-ignore]

        examples = [e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)]
        if not examples:
            return self._resource
        labels = [e.get(INTENT) for e in examples]
        self.tfidf = TfidfTransformer(sublinear_tf=self.config["sublinear_tf"])
        features = self.tfidf.fit_transform(self._features(examples))
        self.clf = LogisticRegression(
            C=self.config["C"],
            max_iter=self.config["max_iter"],
            class_weight=self.config["class_weight"],
            random_state=self.config["random_state"],
        )
        self.clf.fit(features, labels)
        self.persist()
        return self._resource

    def process(self, messages: list[Message]) -> list[Message]:
        if self.clf is None or not messages:
            return messages
        probabilities = self.clf.predict_proba(self.tfidf.transform(self._features(messages)))
        limit = self.config["ranking_length"]
        for message, row in zip(messages, probabilities, strict=True):
            scored = sorted(
                ((float(p), str(n)) for n, p in zip(self.clf.classes_, row, strict=True)),
                reverse=True,
            )
            ranking = [{"name": n, "confidence": p} for p, n in scored]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking[:limit] if limit else ranking, add_to_output=True)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def persist(self) -> None:
        import joblib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump({"tfidf": self.tfidf, "clf": self.clf}, directory / "linear.joblib")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> KenesLinearClassifier:
        import joblib  # type: ignore[import-untyped,import-not-found,unused-ignore]

        try:
            with model_storage.read_from(resource) as directory:
                saved = joblib.load(directory / "linear.joblib")
        except (ValueError, FileNotFoundError):
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, saved["tfidf"], saved["clf"])
