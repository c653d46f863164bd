"""The Kenes Rasa components' shared base: configuration, persistence, featurizer set-up."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.nlu.featurizers.featurizer import Featurizer
from rasa.shared.nlu.training_data.training_data import TrainingData


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
