"""The NLU tooling: cache keys, model reuse, the data reader and the evaluation maths.

Everything except the tests marked `rasa` runs without Rasa. Those build a
tiny model in the real Rasa virtualenv and serve it; they are skipped when
the virtualenv is not installed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.content import evaluate as ev
from bot.content.evaluation_report import write_report
from bot.content.taxonomy import Taxonomy
from bot.nlp.normalize import normalize
from bot.nlp.safety import SafetyCheck
from bot.nlp.semantic import OTHER, SemanticHead
from bot.nlu import cache_keys, tooling
from bot.nlu.data import Example, plain_text, read_examples
from bot.nlu.server import free_port, start_server
from bot.nlu.tooling import Project
from nlu.route_guard import guard

REPO = tooling.REPO_ROOT


def _tree(root: Path) -> Path:
    """A minimal checkout: config, domain, data, the Rasa code and normalize()."""
    (root / "nlu_data" / "kk").mkdir(parents=True)
    (root / "nlu_data" / "ru").mkdir(parents=True)
    (root / "nlu").mkdir()
    (root / "bot" / "nlp").mkdir(parents=True)
    (root / "config.yml").write_text("recipe: default.v1\n")
    (root / "domain.yml").write_text('version: "3.1"\nintents: [greet]\n')
    (root / "nlu" / "requirements.txt").write_text("rasa==3.6.21\n")
    (root / "nlu" / "components.py").write_text("# components\n")
    (root / "bot" / "nlp" / "normalize.py").write_text("# normalize\n")
    (root / "bot" / "nlp" / "encoder.py").write_text("# encoder\n")
    (root / "bot" / "nlp" / "semantic.py").write_text("# semantic\n")
    (root / "bot" / "nlp" / "taxonomy.py").write_text("# taxonomy\n")
    (root / "nlu_data" / "ru" / "service.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - привет\n    - здравствуйте\n'
    )
    (root / "nlu_data" / "kk" / "service.yml").write_text(
        'version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - сәлем\n'
    )
    (root / "README.md").write_text("readme\n")
    return root


# --- cache keys ----------------------------------------------------------------------


def test_requirements_hash_is_the_sha256_prefix(tmp_path: Path) -> None:
    path = tmp_path / "requirements.txt"
    path.write_bytes(b"rasa==3.6.21\n")
    expected = hashlib.sha256(b"rasa==3.6.21\n").hexdigest()[:16]
    assert cache_keys.requirements_hash(path) == expected
    project = Project(root=_tree(tmp_path / "repo"), cache=tmp_path / "cache")
    assert project.venv == tmp_path / "cache" / f"nlu-venv-{expected}"


@pytest.mark.parametrize(
    "changed",
    [
        "nlu_data/ru/service.yml",
        "nlu_data/kk/service.yml",
        "domain.yml",
        "nlu/components.py",
        "nlu/requirements.txt",
        "bot/nlp/normalize.py",
        "bot/nlp/encoder.py",
        "bot/nlp/semantic.py",
        "bot/nlp/taxonomy.py",
    ],
)
def test_model_hash_changes_with_every_input(tmp_path: Path, changed: str) -> None:
    root = _tree(tmp_path)
    before = cache_keys.model_hash(root)
    assert cache_keys.model_hash(root) == before
    with (root / changed).open("a") as handle:
        handle.write("# edited\n")
    assert cache_keys.model_hash(root) != before


def test_model_hash_counts_the_pipeline_not_its_comments(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    config = root / "config.yml"
    config.write_text("recipe: default.v1\npipeline:\n- name: A\n  epochs: 60\n")
    before = cache_keys.model_hash(root)
    config.write_text(
        "# The pipeline, measured: see below.\nrecipe: default.v1  # the default\n"
        "pipeline:\n  - name: A\n    # 20 epochs did worse\n    epochs: 60\n"
    )
    assert cache_keys.model_hash(root) == before
    config.write_text("recipe: default.v1\npipeline:\n- name: A\n  epochs: 20\n")
    assert cache_keys.model_hash(root) != before
    config.write_text("recipe: default.v1\npipeline:\n- name: B\n  epochs: 60\n")
    assert cache_keys.model_hash(root) != before


def test_model_hash_sees_new_files_and_ignores_unrelated_ones(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    before = cache_keys.model_hash(root)
    (root / "README.md").write_text("changed\n")
    (root / "nlu" / "__pycache__").mkdir()
    (root / "nlu" / "__pycache__" / "components.cpython-310.pyc").write_bytes(b"\0")
    assert cache_keys.model_hash(root) == before
    (root / "nlu_data" / "ru" / "faq.yml").write_text('version: "3.1"\nnlu: []\n')
    assert cache_keys.model_hash(root) != before


def test_model_hash_does_not_depend_on_the_checkout_path(tmp_path: Path) -> None:
    assert cache_keys.model_hash(_tree(tmp_path / "a")) == cache_keys.model_hash(
        _tree(tmp_path / "b")
    )


# --- virtualenv and model reuse ----------------------------------------------------


def test_venv_is_complete_only_with_the_marker(tmp_path: Path) -> None:
    project = Project(root=_tree(tmp_path / "repo"), cache=tmp_path / "cache")
    project.venv.mkdir(parents=True)
    assert not tooling.venv_complete(project.venv)
    (project.venv / tooling.COMPLETE_MARKER).touch()
    assert tooling.venv_complete(project.venv)
    assert tooling.ensure_venv(project) == project.venv  # complete: nothing to do


def test_ensure_venv_builds_one_virtualenv_for_concurrent_callers(tmp_path: Path) -> None:
    try:
        tooling.find_python310()
    except tooling.ToolingError:
        pytest.skip("no Python 3.10 here")
    root = _tree(tmp_path / "repo")
    (root / "nlu" / "requirements.txt").write_text("# nothing to install\n")
    project = Project(root=root, cache=tmp_path / "cache")
    (project.venv / "half-built").mkdir(parents=True)  # an interrupted earlier run
    logs: list[str] = []
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(tooling.ensure_venv(project, logs.append)))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert results == [project.venv, project.venv]
    assert tooling.venv_complete(project.venv)
    assert not (project.venv / "half-built").exists()
    assert (project.venv / "bin" / "python").exists()
    assert sum("creating the NLU virtualenv" in line for line in logs) == 1


def test_a_fresh_clone_reuses_the_cached_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(root=_tree(tmp_path / "repo"), cache=tmp_path / "cache")
    project.cached_models_dir.mkdir(parents=True)
    project.cached_model.write_bytes(b"model")

    def no_training(*args: object, **kwargs: object) -> float:
        raise AssertionError("must not train")

    monkeypatch.setattr(tooling, "train", no_training)
    model = tooling.ensure_model(project, log=lambda _: None)
    assert model == project.root / "models" / project.model_name
    assert model.read_bytes() == b"model"


def test_the_safety_head_is_taken_out_of_the_model_beside_it(tmp_path: Path) -> None:
    import io
    import tarfile

    model = tmp_path / "models" / "kenes-abc.tar.gz"
    model.parent.mkdir()
    with tarfile.open(model, "w:gz") as archive:
        data = b"the head's arrays"
        info = tarfile.TarInfo("components/train_KenesSafetyHead5/safety_head.npz")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    head = tooling.extract_head(model)
    assert head == tmp_path / "models" / "kenes-abc.safety.npz"
    assert head.read_bytes() == b"the head's arrays"
    assert tooling.extract_head(model) == head  # once
    no_head = tmp_path / "models" / "kenes-old.tar.gz"
    with tarfile.open(no_head, "w:gz"):
        pass
    assert tooling.extract_head(no_head) is None
    broken = tmp_path / "models" / "kenes-broken.tar.gz"
    broken.write_bytes(b"not an archive")
    assert tooling.extract_head(broken) is None
    assert not list(tmp_path.glob("models/.*.tmp"))


def test_ensure_model_trains_once_and_only_when_the_data_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = Project(root=_tree(tmp_path / "repo"), cache=tmp_path / "cache")
    trained: list[Path] = []

    def fake_train(project: Project, target: Path, **kwargs: object) -> float:
        trained.append(target)
        target.write_bytes(b"model " + target.name.encode())
        return 0.1

    monkeypatch.setattr(tooling, "train", fake_train)
    monkeypatch.setattr(tooling, "ensure_venv", lambda *a, **k: project.venv)
    first = tooling.ensure_model(project, log=lambda _: None)
    assert tooling.ensure_model(project, log=lambda _: None) == first
    assert len(trained) == 1
    assert first.is_file()
    assert project.cached_model.is_file()

    with (project.root / "nlu_data" / "ru" / "service.yml").open("a") as handle:
        handle.write("    - добрый день\n")
    second = tooling.ensure_model(project, log=lambda _: None)
    assert second != first
    assert len(trained) == 2
    assert tooling.ensure_model(project, force=True, log=lambda _: None) == second
    assert len(trained) == 3
    current = tooling.status(project)
    assert current.model == second
    assert current.model_in_clone
    assert first in current.older_models


def test_file_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    events: list[str] = []

    def second() -> None:
        with tooling.file_lock(lock, log=lambda _: events.append("waiting")):
            events.append("second")

    with tooling.file_lock(lock):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        events.append("first done")
    thread.join(5)
    assert events == ["waiting", "first done", "second"]


def test_rasa_env_puts_the_checkout_on_pythonpath(tmp_path: Path) -> None:
    project = Project(root=_tree(tmp_path / "repo"), cache=tmp_path / "cache")
    env = project.rasa_env()
    assert env["PYTHONPATH"].split(":")[0] == str(project.root)
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["RASA_MAX_CACHE_SIZE"] == "0"


# --- the data reader ------------------------------------------------------------------


def test_examples_know_their_language_and_line(tmp_path: Path) -> None:
    root = _tree(tmp_path)
    examples = read_examples(root / "nlu_data")
    assert [(e.lang, e.text, e.line) for e in examples] == [
        ("kk", "сәлем", 5),
        ("ru", "привет", 5),
        ("ru", "здравствуйте", 6),
    ]
    assert examples[0].where.endswith("nlu_data/kk/service.yml:5")


def test_entity_annotations_are_removed_from_the_text() -> None:
    assert plain_text("офис в [Атырау](region) где") == "офис в Атырау где"
    assert plain_text('офис в [Алмате]{"entity": "region", "value": "almaty"}') == ("офис в Алмате")


def test_normalising_chunk_by_chunk_equals_normalising_the_text() -> None:
    """The Rasa tokenizer normalises each whitespace chunk alone to keep offsets."""
    for example in read_examples(REPO / "nlu_data"):
        chunks = [w for chunk in example.text.split() for w in normalize(chunk).split()]
        assert chunks == normalize(example.text).split(), example.where


# --- evaluation maths --------------------------------------------------------------------


def _examples(per_group: int = 10) -> list[Example]:
    return [
        Example(intent, lang, f"{intent} {lang} {i}", Path("x.yml"), i)
        for intent in ("greet", "theology_question", "personal_doubts", "crisis_self_harm")
        for lang in ("kk", "ru")
        for i in range(per_group)
    ]


def test_holdout_split_is_stratified_and_reproducible() -> None:
    examples = _examples()
    train, test = ev.holdout_split(examples, 0.2, seed=1)
    assert len(test) == 16  # 2 of 10 in each of 8 (intent, language) groups
    assert {(e.intent, e.lang) for e in test} == {(e.intent, e.lang) for e in examples}
    assert not set(map(id, train)) & set(map(id, test))
    again = ev.holdout_split(list(reversed(examples)), 0.2, seed=1)[1]
    assert sorted(e.raw for e in again) == sorted(e.raw for e in test)


def test_kfold_tests_every_example_once() -> None:
    examples = _examples(7)
    folds = ev.kfold_split(examples, 5)
    tested = [e.raw for _, test in folds for e in test]
    assert sorted(tested) == sorted(e.raw for e in examples)
    for train, test in folds:
        assert len(train) + len(test) == len(examples)


def test_route_figures_count_fallback_and_low_confidence_as_misses() -> None:
    taxonomy = Taxonomy.load(REPO / "content" / "taxonomy.yml")

    def case(intent: str, lang: str = "ru") -> Example:
        return Example(intent, lang, intent, Path("x.yml"), 1)

    pairs = [
        (case("crisis_self_harm"), ev.Prediction("crisis_self_harm", 0.9)),
        (case("crisis_self_harm"), ev.Prediction("personal_doubts", 0.9)),  # escalated, not crisis
        (case("personal_doubts"), ev.Prediction("nlu_fallback", 0.3, (("personal_doubts", 0.3),))),
        (case("personal_doubts"), ev.Prediction("personal_doubts", 0.2)),  # below the threshold
        (case("theology_question", "kk"), ev.Prediction("personal_doubts", 0.8)),  # false alarm
        (case("greet", "kk"), ev.Prediction("greet", 0.99)),
    ]
    run = ev.FoldRun([e for e, _ in pairs], [p for _, p in pairs], 2.0, 0.06)
    scores = ev.score([run], taxonomy, threshold=0.45)
    assert scores.escalation_recall == pytest.approx(2 / 4)
    assert scores.crisis_recall == pytest.approx(1 / 2)
    assert scores.false_escalation_rate == pytest.approx(1 / 2)
    assert scores.accuracy_by_lang == {"kk": 0.5, "ru": pytest.approx(3 / 4)}
    assert scores.confident_accuracy_by_lang["ru"] == pytest.approx(1 / 4)
    assert scores.worst_errors[0].expected_route in ("crisis", "escalate")
    assert scores.confusion["personal_doubts"]["(fallback)"] == 2
    assert scores.parse_ms_per_example == pytest.approx(10.0)


def test_report_files_are_written(tmp_path: Path) -> None:
    taxonomy = Taxonomy.load(REPO / "content" / "taxonomy.yml")
    example = Example("greet", "ru", "привет", Path("x.yml"), 1)
    run = ev.FoldRun([example], [ev.Prediction("thanks", 0.7)], 1.0, 0.01)
    scores = ev.score([run], taxonomy, threshold=0.45)
    written = write_report(scores, tmp_path / "out", compare=("HEAD~1", scores))
    assert [p.name for p in written] == ["report.md", "report.json", "confusion.png"]
    assert "| accuracy | 0.0 % | 0.0 % | +0.0 pt |" in written[0].read_text()
    assert json.loads(written[1].read_text())["compare"]["ref"] == "HEAD~1"
    assert written[2].read_bytes().startswith(b"\x89PNG")


# --- the route guard ------------------------------------------------------------------------

ROUTES = {
    "theology_question": "faq",
    "greet": "service",
    "personal_doubts": "escalate",
    "relative_in_group": "escalate",
    "crisis_self_harm": "crisis",
    "crisis_abuse": "crisis",
}


# The guard as configured before the `sure_*` and `short_*` rules; tests add them.
_rule = partial(guard, routes=ROUTES, threshold=0.3, crisis_threshold=0.5)


def _guard(ranking: list[tuple[str, float]]) -> tuple[str, float, bool]:
    decision = guard(ranking[0][0], ranking, ROUTES, threshold=0.3, crisis_threshold=0.3)
    return decision.intent, round(decision.confidence, 3), decision.changed


def test_guard_leaves_a_clear_ordinary_question_alone() -> None:
    ranking = [("theology_question", 0.8), ("personal_doubts", 0.15), ("greet", 0.05)]
    assert _guard(ranking) == ("theology_question", 0.8, False)


def test_guard_prefers_a_person_when_sensitive_intents_together_are_likely() -> None:
    ranking = [
        ("theology_question", 0.5),
        ("personal_doubts", 0.2),
        ("relative_in_group", 0.15),
        ("greet", 0.15),
    ]
    assert _guard(ranking) == ("personal_doubts", 0.35, True)


def test_guard_reports_the_route_confidence_of_a_split_sensitive_message() -> None:
    ranking = [
        ("personal_doubts", 0.3),
        ("theology_question", 0.25),
        ("relative_in_group", 0.25),
        ("greet", 0.2),
    ]
    assert _guard(ranking) == ("personal_doubts", 0.55, True)


def test_guard_raises_escalate_to_crisis_but_never_lowers_a_crisis() -> None:
    raised = [("personal_doubts", 0.4), ("crisis_self_harm", 0.2), ("crisis_abuse", 0.15)]
    assert _guard(raised) == ("crisis_self_harm", 0.75, True)
    crisis = [("crisis_abuse", 0.35), ("personal_doubts", 0.3), ("relative_in_group", 0.3)]
    assert _guard(crisis) == ("crisis_abuse", 0.95, True)


def test_guard_calls_a_crisis_sooner_when_a_person_is_surely_needed() -> None:
    """Sure that the person needs a human, a quarter's chance of danger is a crisis."""
    sure = [
        ("personal_doubts", 0.5),
        ("crisis_abuse", 0.27),
        ("relative_in_group", 0.2),
        ("greet", 0.03),
    ]
    unsure = [
        ("personal_doubts", 0.4),
        ("crisis_abuse", 0.27),
        ("relative_in_group", 0.13),
        ("greet", 0.2),
    ]
    sooner = partial(_rule, sure_sensitive=0.9, sure_crisis_threshold=0.25)
    assert _rule("personal_doubts", sure).intent == "personal_doubts"
    assert sooner("personal_doubts", sure).intent == "crisis_abuse"
    assert sooner("personal_doubts", unsure).intent == "personal_doubts"
    # A crisis intent on top is kept by the same rule rather than demoted.
    top = [("crisis_abuse", 0.48), ("personal_doubts", 0.45), ("greet", 0.07)]
    assert _rule("crisis_abuse", top).intent == "personal_doubts"
    assert sooner("crisis_abuse", top).intent == "crisis_abuse"


def test_guard_wants_more_for_a_crisis_of_one_or_two_words() -> None:
    """A bare "жоқ" read as self-harm at 0.9 is not enough for emergency numbers."""
    ranking = [("crisis_self_harm", 0.9), ("personal_doubts", 0.05), ("greet", 0.05)]
    rule = partial(_rule, short_words=2, short_crisis_threshold=0.95)
    short = rule("crisis_self_harm", ranking, words=1)
    assert (short.intent, short.changed) == ("personal_doubts", True)
    assert rule("crisis_self_harm", ranking, words=3).intent == "crisis_self_harm"
    assert rule("crisis_self_harm", ranking).intent == "crisis_self_harm"
    sure = [("crisis_self_harm", 0.97), ("greet", 0.03)]
    kept = rule("crisis_self_harm", sure, words=2)
    assert kept.intent == "crisis_self_harm"


# --- the real thing ------------------------------------------------------------------------

_REAL = Project()
needs_rasa = pytest.mark.skipif(
    not tooling.venv_complete(_REAL.venv), reason="the Rasa virtualenv is not installed"
)


def _tiny_checkout(root: Path) -> Path:
    """The real pipeline and code with a few examples: trains in seconds."""
    (root / "nlu").mkdir(parents=True)
    (root / "bot" / "nlp").mkdir(parents=True)
    (root / "nlu_data" / "ru").mkdir(parents=True)
    for name in ("config.yml", "content/taxonomy.yml"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes((REPO / name).read_bytes())
    for path in (REPO / "nlu").iterdir():
        if path.is_file() and path.suffix in (".py", ".tsv"):
            (root / "nlu" / path.name).write_bytes(path.read_bytes())
    (root / "nlu" / "requirements.txt").write_bytes(_REAL.requirements.read_bytes())
    (root / "bot" / "__init__.py").write_text("")
    (root / "bot" / "nlp" / "__init__.py").write_text("")
    for name in ("normalize.py", "encoder.py", "semantic.py", "taxonomy.py"):
        (root / "bot" / "nlp" / name).write_bytes((REPO / "bot" / "nlp" / name).read_bytes())
    (root / "domain.yml").write_text('version: "3.1"\nintents: [greet, crisis_self_harm]\n')
    greet = ["привет", "здравствуйте", "добрый день", "салам", "сәлем", "доброе утро"]
    crisis = ["хочу умереть", "не хочу жить", "покончу с собой", "нет смысла жить", "жить не хочу"]
    lines = ['version: "3.1"', "nlu:", "- intent: greet", "  examples: |"]
    lines += [f"    - {t}" for t in greet]
    lines += ["- intent: crisis_self_harm", "  examples: |"]
    lines += [f"    - {t}" for t in crisis]
    (root / "nlu_data" / "ru" / "tiny.yml").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.rasa
@needs_rasa
def test_a_tiny_model_trains_and_serves(tmp_path: Path) -> None:
    project = Project(root=_tiny_checkout(tmp_path / "repo"), cache=tmp_path / "cache")
    # Share the installed virtualenv instead of installing Rasa again.
    project.cache.mkdir()
    project.venv.symlink_to(_REAL.venv)
    model = tooling.ensure_model(project, log=lambda _: None)
    assert model.is_file()
    port = free_port()
    with start_server(port, project=project, model=model, timeout=120) as server:
        request = urllib.request.Request(
            f"{server.url}/model/parse",
            data=json.dumps({"text": "Ne hochu zhit'"}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as resp:
            parsed = json.load(resp)
        assert parsed["intent"]["name"] == "crisis_self_harm"
        assert parsed["route_scores"]["crisis"] > 0.5
        # The semantic safety head rode along: its verdict in the parse, its arrays beside.
        assert parsed["kenes_safety"]["crisis"] > 0.5
        process = server.process
    assert process.poll() is not None
    head = SemanticHead.load(tooling.head_path(model))
    assert "crisis_self_harm" in head.classes
    assert OTHER in head.classes
    assert head.encoder.startswith("e5-small-q4-")


@pytest.mark.rasa
@needs_rasa
def test_evaluate_trains_and_predicts_in_one_rasa_process(tmp_path: Path) -> None:
    project = Project(root=_tiny_checkout(tmp_path / "repo"), cache=tmp_path / "cache")
    project.cache.mkdir()
    project.venv.symlink_to(_REAL.venv)
    scores = ev.evaluate(project, threshold=0.3, folds=2)
    assert scores.examples == 11
    assert scores.folds == 2
    assert scores.accuracy > 0.5
    assert set(scores.accuracy_by_lang) == {"ru"}


@pytest.mark.rasa
@needs_rasa
def test_evaluate_keeps_as_many_intents_per_prediction_as_asked(tmp_path: Path) -> None:
    root = _tiny_checkout(tmp_path / "repo")
    more = {
        "thanks": ["спасибо", "рахмет", "благодарю"],
        "goodbye": ["пока", "до свидания", "сау бол"],
        "request_human": ["позовите человека", "хочу оператора", "живой человек нужен"],
        "theology_question": ["как совершать намаз", "что такое ураза", "можно ли есть это"],
        "out_of_scope": ["какая погода", "курс доллара", "сколько время"],
    }
    data = root / "nlu_data" / "ru" / "tiny.yml"
    lines = [data.read_text().rstrip("\n")]
    for intent, texts in more.items():
        lines += [f"- intent: {intent}", "  examples: |", *(f"    - {t}" for t in texts)]
    data.write_text("\n".join(lines) + "\n")
    (root / "domain.yml").write_text(
        'version: "3.1"\nintents: [greet, crisis_self_harm, ' + ", ".join(more) + "]\n"
    )
    project = Project(root=root, cache=tmp_path / "cache")
    project.cache.mkdir()
    project.venv.symlink_to(_REAL.venv)
    examples = read_examples(project.nlu_data)
    fold = (examples, examples[:2])
    (default,) = ev.run_folds(project, [fold])
    (every,) = ev.run_folds(project, [fold], ranking_size=1000)
    assert {len(p.ranking) for p in default.predictions} == {5}
    # All seven intents (the fallback classifier may add its own entry).
    for prediction in every.predictions:
        names = {name for name, _ in prediction.ranking} - {"nlu_fallback"}
        assert names == {"greet", "crisis_self_harm", *more}


def test_compare_checks_a_ref_out_into_a_temporary_worktree(tmp_path: Path) -> None:
    import shutil
    import subprocess

    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = _tree(tmp_path / "repo")

    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )

    git("init", "-q")
    git("add", ".")
    git("commit", "-q", "-m", "first")
    (repo / "config.yml").write_text("changed\n")
    with ev.worktree(repo, "HEAD") as tree:
        assert (tree / "config.yml").read_text() == "recipe: default.v1\n"
        assert cache_keys.model_hash(tree) != cache_keys.model_hash(repo)
    assert not tree.exists()
    listed = subprocess.run(
        ["git", "worktree", "list"], cwd=repo, check=True, capture_output=True, text=True
    )
    assert len(listed.stdout.splitlines()) == 1
    with pytest.raises(tooling.ToolingError), ev.worktree(repo, "no-such-ref"):
        pass


def test_bot_route_figures_add_the_safety_check_to_the_nlu() -> None:
    taxonomy = Taxonomy.load(REPO / "content" / "taxonomy.yml")
    safety = SafetyCheck.from_directory(REPO / "content" / "safety")
    caught = "хочу покончить с собой сегодня ночью"
    assert safety.check(caught) is not None
    assert safety.check("держать попугая в квартире можно") is None

    def case(intent: str, text: str) -> Example:
        return Example(intent, "ru", text, Path("x.yml"), 1)

    pairs = [
        # The NLU misses a crisis the safety check catches: the bot still routes it to crisis.
        (case("crisis_self_harm", caught), ev.Prediction("personal_doubts", 0.9)),
        # An ordinary question the NLU calls a crisis: nothing lowers it, the bot too.
        (
            case("theology_question", "держать попугая в квартире можно"),
            ev.Prediction("crisis_abuse", 0.9),
        ),
        (case("greet", "привет"), ev.Prediction("greet", 0.99)),
    ]
    run = ev.FoldRun([e for e, _ in pairs], [p for _, p in pairs], 1.0, 0.01)
    nlu_only = ev.score([run], taxonomy, threshold=0.3)
    assert nlu_only.bot is None
    assert nlu_only.crisis_recall == 0.0
    assert nlu_only.false_crisis_rate == pytest.approx(1 / 2)
    both = ev.score([run], taxonomy, threshold=0.3, safety=safety)
    assert both.crisis_recall == 0.0  # the NLU's own figure is unchanged
    assert both.bot is not None
    assert both.bot["crisis recall"] == 1.0
    assert both.bot["escalation recall"] == 1.0
    assert both.bot["false crisis rate"] == pytest.approx(1 / 2)
    assert both.headline()["bot: crisis recall"] == 1.0


def _run_in_rasa(script: str) -> Any:
    """Run `script` in the NLU virtualenv; the JSON its last line printed."""
    import subprocess

    result = subprocess.run(
        [str(_REAL.python), "-c", script],
        capture_output=True,
        text=True,
        env=_REAL.rasa_env(),
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


_WORD_VECTORS_CHECK = r"""
import json
import numpy as np
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from bot.nlp.normalize import normalize
from nlu.featurizers import KenesWordVectors, WordVectors

vectors = WordVectors.shared()
def cos(a, b):
    return float(np.dot(vectors.word(normalize(a)), vectors.word(normalize(b))))

featurizer = KenesWordVectors({"weight": 0.5}, "wv", None, None)
messages = [Message({TEXT: t}) for t in ("купил верёвку", "qqqq zzzz", "", "ұлым соғысқа кетуге")]
featurizer.process(messages)
norms = []
for message in messages:
    _, sentence = message.get_dense_features(TEXT)
    if sentence is None:
        norms.append(None)
    else:
        features = sentence.features
        norms.append([list(features.shape), float(np.linalg.norm(features))])
print(json.dumps({
    "known": [
        normalize(w) in vectors for w in ("верёвка", "verevka", "самоубийство", "өлтіремін")
    ],
    "rope_noose": cos("верёвка", "петля"),
    "rope_mosque": cos("верёвка", "мечеть"),
    "ticket_flight": cos("билет", "рейс"),
    "ticket_prayer": cos("билет", "молитва"),
    "latin_same": cos("verevka", "верёвка"),
    "bridge": [
        featurizer._bridge.get(normalize(kk)) == normalize(ru)
        for kk, ru in (("ұлым", "сын"), ("соғыс", "война"), ("кетуге", "уехать"))
    ],
    "norms": norms,
}))
"""


@pytest.mark.rasa
@needs_rasa
def test_word_vectors_come_from_the_installed_package_and_carry_meaning() -> None:
    found = _run_in_rasa(_WORD_VECTORS_CHECK)
    # Cyrillic and Latin spellings fold to one word; Kazakh words are not in navec.
    assert found["known"] == [True, True, True, False]
    assert found["latin_same"] > 0.99
    assert found["rope_noose"] > found["rope_mosque"] + 0.1
    assert found["ticket_flight"] > found["ticket_prayer"] + 0.1
    # A unit vector times the configured weight; zeros when no word is known.
    (shape, norm), (_, unknown), empty, (_, kazakh) = found["norms"]
    assert shape == [1, 300]
    assert abs(norm - 0.5) < 1e-4
    assert unknown == 0.0
    assert empty is None
    # Kazakh words reach the vectors through nlu/kk_ru.tsv.
    assert found["bridge"] == [True, True, True]
    assert abs(kazakh - 0.5) < 1e-4


_TOKENIZER_CHECK = r"""
import json
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from nlu.featurizers import KenesTokenizer

tokenizer = KenesTokenizer(KenesTokenizer.get_default_config())
found = {}
for text in ("өліп қалдым😂 kulkiden", "😔", "..."):
    tokens = tokenizer.tokenize(Message({TEXT: text}), TEXT)
    found[text] = [[t.text, t.start, t.end] for t in tokens]
print(json.dumps(found, ensure_ascii=False))
"""


@pytest.mark.rasa
@needs_rasa
def test_the_nlu_tokenizer_keeps_emoji_as_tokens_of_their_chunk() -> None:
    found = _run_in_rasa(_TOKENIZER_CHECK)
    assert found["өліп қалдым😂 kulkiden"] == [
        ["олип", 0, 4],
        ["калдым", 5, 12],
        ["emoji_1f602", 5, 12],
        ["emoji_joy", 5, 12],
        ["кулкиден", 13, 21],
    ]
    # An emoji alone is a message with tokens; punctuation alone keeps its text.
    assert found["😔"] == [["emoji_1f614", 0, 1], ["emoji_sorrow", 0, 1]]
    assert found["..."] == [["...", 0, 3]]
