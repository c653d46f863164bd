"""Publishing a new NLU model: validate, evaluate, train, and load it into the
running server, refusing when a route-level figure got worse than the model in
service.

The figures of the model in service are kept beside the cached models
(`$KENES_CACHE/published.json`), so every checkout on the machine compares
against what citizens are actually talking to. Loading uses Rasa's
`PUT /model`: the server swaps models in place, no restart, and the bot's
client (retries, then the safety check) covers the moment of the swap.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.content.checks import Check
from bot.content.evaluate import Scores, evaluate
from bot.content.validate import validate
from bot.nlu.tooling import Project, ensure_model

# Route-level figures and whether higher is better.
ROUTE_FIGURES: dict[str, bool] = {
    "escalation_recall": True,
    "crisis_recall": True,
    "false_escalation_rate": False,
    "false_crisis_rate": False,
}
Log = Callable[[str], None]


@dataclass
class PublishResult:
    published: bool
    reasons: list[str] = field(default_factory=list)
    model: Path | None = None
    reloaded: bool = False
    scores: Scores | None = None


def published_record(project: Project) -> dict[str, Any] | None:
    path = project.cache / "published.json"
    if not path.exists():
        return None
    record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return record


def regressions(new: dict[str, float], old: dict[str, float]) -> list[str]:
    """Route-level figures that got worse, in words."""
    worse = []
    for name, higher_is_better in ROUTE_FIGURES.items():
        if name not in old or name not in new:
            continue
        before, after = float(old[name]), float(new[name])
        if (after < before) if higher_is_better else (after > before):
            worse.append(f"{name.replace('_', ' ')} {before:.3f} -> {after:.3f}")
    return worse


def load_into_server(url: str, model: Path, timeout: float = 120.0) -> bool:
    """Ask a running Rasa server to switch to `model`; False if none answers."""
    request = urllib.request.Request(
        f"{url.rstrip('/')}/model",
        data=json.dumps({"model_file": str(model)}).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return bool(200 <= response.status < 300)
    except (urllib.error.URLError, TimeoutError, ConnectionError):
        return False


def publish(  # noqa: PLR0913 - keyword-only options of the one publishing step
    project: Project,
    *,
    threshold: float,
    nlu_url: str | None,
    upper_checks: Sequence[Check],
    force: bool = False,
    log: Log = print,
) -> PublishResult:
    """Publish when the content validates, with `upper_checks` too: the checks of
    the layers above, which content may not import (`kenes content publish` passes
    bot.ui.composed_checks.UPPER_CHECKS). Required, so that no caller skips the
    composed-length check by forgetting it."""
    log("1/4 validating the content…")
    report = validate(project.root, rasa=True, project=project, upper_checks=upper_checks)
    report.relative_to(project.root)
    if report.errors:
        return PublishResult(False, [str(issue) for issue in report.errors])
    log("2/4 evaluating on held-out examples…")
    scores = evaluate(project, threshold=threshold)
    figures = {name: float(getattr(scores, name)) for name in ROUTE_FIGURES}
    previous = published_record(project)
    reasons = regressions(figures, previous["figures"]) if previous else []
    if reasons and not force:
        return PublishResult(False, reasons, scores=scores)
    log("3/4 training the model on all examples…")
    model = ensure_model(project, log=log)
    log("4/4 loading it into the NLU server…")
    reloaded = bool(nlu_url) and load_into_server(str(nlu_url), model)
    record = {
        "model": model.name,
        "figures": figures,
        "accuracy_by_lang": scores.accuracy_by_lang,
        "published_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "forced": bool(reasons),
    }
    project.cache.mkdir(parents=True, exist_ok=True)
    (project.cache / "published.json").write_text(
        json.dumps(record, ensure_ascii=False, indent=2), encoding="utf-8"
    )
    return PublishResult(True, reasons, model, reloaded, scores)
