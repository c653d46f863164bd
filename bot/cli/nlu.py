"""`python -m bot nlu ACTION`: the Rasa NLU virtualenv, model and server.

- `setup`: create the Rasa virtualenv and train the model, each only if missing;
- `train`: train the model for the current data (`--force`: even if cached);
- `serve`: run the Rasa server with the current model (training it first);
- `validate`: the same as `python -m bot content validate`;
- `status`: where the virtualenv and the model are, and whether they are current.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from bot.cli.content import project, run_validate
from bot.nlu import server, tooling


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("nlu", help="train, serve and validate the Rasa NLU model")
    actions = parser.add_subparsers(dest="nlu_command", metavar="ACTION", required=True)

    setup = actions.add_parser("setup", help="create the Rasa virtualenv and the model if missing")
    setup.set_defaults(handler=_setup)

    train = actions.add_parser("train", help="train the model for the current data")
    train.add_argument("--force", action="store_true", help="train even if a model is cached")
    train.set_defaults(handler=_train)

    serve = actions.add_parser("serve", help="run the Rasa server (trains first if needed)")
    serve.add_argument("--port", type=int, default=5005)
    serve.add_argument("--host", default="127.0.0.1")
    serve.set_defaults(handler=_serve)

    validate = actions.add_parser("validate", help="= python -m bot content validate")
    validate.add_argument("--no-rasa", action="store_true", help="skip `rasa data validate`")
    validate.add_argument("--quiet", action="store_true", help="errors only, no warnings")
    validate.set_defaults(handler=run_validate)

    status = actions.add_parser("status", help="where the virtualenv and model are")
    status.set_defaults(handler=_status)


def _guarded(action: Any) -> int:
    try:
        action()
    except tooling.ToolingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _setup(args: argparse.Namespace) -> int:
    def action() -> None:
        model = tooling.ensure_model(project())
        print(f"NLU ready: virtualenv {project().venv}, model {model}")

    return _guarded(action)


def _train(args: argparse.Namespace) -> int:
    def action() -> None:
        model = tooling.ensure_model(project(), force=args.force)
        print(f"model: {model}")

    return _guarded(action)


def _serve(args: argparse.Namespace) -> int:
    return _guarded(lambda: server.serve(port=args.port, host=args.host, project=project()))


def _status(args: argparse.Namespace) -> int:
    current = tooling.status(project())
    state = "complete" if current.venv_complete else "missing (run: python -m bot nlu setup)"
    print(f"virtualenv: {current.venv} [{state}]")
    if current.model_in_clone:
        where = "in models/"
    elif current.model_cached:
        where = "in the cache only (copied into models/ on first use)"
    else:
        where = "not trained yet (run: python -m bot nlu train)"
    print(f"model for the current data: {current.model.name} [{where}]")
    head = tooling.head_path(current.model)
    state = "present" if head.is_file() else "not there yet: trained with the model"
    print(f"semantic safety head: {head.name} [{state}]")
    for older in current.older_models:
        print(f"older model: {older}")
    print("up to date" if current.up_to_date else "not up to date")
    return 0 if current.up_to_date else 1
