"""Publishing: refused when a route-level figure got worse, unless forced."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from bot.cli import content as content_command
from bot.content import publish as publishing
from bot.content.checks import Report
from bot.nlu.server import free_port
from bot.nlu.tooling import Project
from bot.ui.composed_checks import check_composed_lengths


def test_regressions_name_each_worse_figure() -> None:
    old = {"escalation_recall": 0.98, "crisis_recall": 0.99, "false_escalation_rate": 0.02}
    same = dict(old)
    assert publishing.regressions(same, old) == []
    better = {"escalation_recall": 0.99, "crisis_recall": 1.0, "false_escalation_rate": 0.01}
    assert publishing.regressions(better, old) == []
    worse = {"escalation_recall": 0.97, "crisis_recall": 0.99, "false_escalation_rate": 0.03}
    assert publishing.regressions(worse, old) == [
        "escalation recall 0.980 -> 0.970",
        "false escalation rate 0.020 -> 0.030",
    ]
    more_false_crises = {**old, "false_crisis_rate": 0.02}
    assert publishing.regressions(more_false_crises, {**old, "false_crisis_rate": 0.01}) == [
        "false crisis rate 0.010 -> 0.020"
    ]
    # A record from before the figure existed is not compared on it.
    assert publishing.regressions(more_false_crises, old) == []


def _record(project: Project) -> dict[str, Any]:
    record = publishing.published_record(project)
    assert record is not None
    return record


class _FakeScores:
    def __init__(self, escalation: float) -> None:
        self.escalation_recall = escalation
        self.crisis_recall = 1.0
        self.false_escalation_rate = 0.01
        self.false_crisis_rate = 0.0
        self.accuracy_by_lang = {"kk": 0.9, "ru": 0.9}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("KENES_CACHE", str(tmp_path / "cache"))
    project = Project()
    model = tmp_path / "kenes-test.tar.gz"
    model.write_bytes(b"model")
    monkeypatch.setattr(publishing, "validate", lambda *a, **k: Report())
    monkeypatch.setattr(publishing, "ensure_model", lambda *a, **k: model)
    return project


def test_refuses_a_regression_unless_forced(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publishing, "evaluate", lambda *a, **k: _FakeScores(0.99))
    # validate() is replaced by the fixture, so no upper check would run: none are passed.
    first = publishing.publish(
        project, threshold=0.45, nlu_url=None, upper_checks=(), log=lambda _: None
    )
    assert first.published
    assert _record(project)["figures"]["escalation_recall"] == 0.99

    monkeypatch.setattr(publishing, "evaluate", lambda *a, **k: _FakeScores(0.95))
    refused = publishing.publish(
        project, threshold=0.45, nlu_url=None, upper_checks=(), log=lambda _: None
    )
    assert not refused.published
    assert refused.reasons == ["escalation recall 0.990 -> 0.950"]
    assert _record(project)["figures"]["escalation_recall"] == 0.99

    forced = publishing.publish(
        project, threshold=0.45, nlu_url=None, upper_checks=(), force=True, log=lambda _: None
    )
    assert forced.published
    record = _record(project)
    assert record["forced"] is True
    assert record["figures"]["escalation_recall"] == 0.95


def test_validation_errors_block_publishing(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = Report()
    broken.error("domain.yml:3", "utter_greet has no kk variant")
    given: list[Any] = []

    def validate(*args: Any, **kwargs: Any) -> Report:
        given.append(kwargs["upper_checks"])
        return broken

    monkeypatch.setattr(publishing, "validate", validate)
    result = publishing.publish(
        project,
        threshold=0.45,
        nlu_url=None,
        upper_checks=(check_composed_lengths,),
        log=lambda _: None,
    )
    assert not result.published
    assert "utter_greet has no kk variant" in result.reasons[0]
    # The caller's upper checks are the ones validation runs.
    assert given == [(check_composed_lengths,)]


async def test_load_into_server_puts_the_model_path() -> None:
    received: list[dict[str, Any]] = []

    async def put_model(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.Response(status=204)

    app = web.Application()
    app.router.add_put("/model", put_model)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        ok = await asyncio.to_thread(
            publishing.load_into_server, f"http://127.0.0.1:{port}", Path("/m/kenes-1.tar.gz")
        )
    finally:
        await runner.cleanup()
    assert ok
    assert received == [{"model_file": "/m/kenes-1.tar.gz"}]
    nobody = await asyncio.to_thread(
        publishing.load_into_server, f"http://127.0.0.1:{free_port()}", Path("/m/x.tar.gz")
    )
    assert not nobody


def test_the_publish_command_validates_with_the_composed_answers(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`kenes content publish` runs the checks `kenes content validate` runs, the
    answers as composed by bot.ui (bot.ui.composed_checks) among them."""
    passed: list[Any] = []

    def refuse(*args: Any, **kwargs: Any) -> Report:
        passed.extend(kwargs.get("upper_checks", ()))
        refused = Report()
        refused.error("domain.yml:3", "stop before evaluating")
        return refused

    monkeypatch.setattr(publishing, "validate", refuse)
    assert content_command.run_publish(argparse.Namespace(force=False)) == 1
    assert check_composed_lengths in passed
