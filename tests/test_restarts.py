"""The bot as its own process, killed with SIGKILL mid-conversation and stopped with
SIGINT under load (bench/restarts.py, a short run): no message is lost.

A kill that lands while a copy is on the wire (Telegram has taken it, the bot
has not yet written it down) may send that one copy again: the Bot API has no
idempotency key, so the bot prefers a rare double to a loss. Everything else
(redeliveries, replays of the inbox, a stop's unsent messages) arrives once.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import port_open, require

BENCH = Path(__file__).resolve().parent.parent / "bench" / "restarts.py"


def _bench() -> object:
    spec = importlib.util.spec_from_file_location("bench_restarts", BENCH)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_restarts"] = module
    spec.loader.exec_module(module)
    return module


async def test_kills_and_a_stop_under_load_lose_nothing() -> None:
    bench = _bench()
    tally = await bench.run(rounds=3, seed=7, scale=8.0)  # type: ignore[attr-defined]
    _check(tally)


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_webhook_replicas_killed_and_stopped_lose_nothing() -> None:
    """Two replicas on PostgreSQL and Redis, each update to a random one (a fifth of
    them twice); one replica killed each round, one stopped under load."""
    require("PostgreSQL", port_open("127.0.0.1", 5432), "expected on 127.0.0.1:5432, db test")
    require("Redis", port_open("127.0.0.1", 6379), "expected on 127.0.0.1:6379")
    bench = _bench()
    tally = await bench.run(rounds=3, seed=3, scale=8.0, replicas=2)  # type: ignore[attr-defined]
    _check(tally)


def _check(tally: Any) -> None:
    report = tally.report()
    assert tally.kills == 3, report
    assert tally.graceful_exit_codes == [0], report
    assert len(tally.citizen_to_topic) >= 25, report  # the burst of 20 and the rounds
    assert len(tally.counselor_to_citizen) >= 1, report
    counts = [*tally.citizen_to_topic.values(), *tally.counselor_to_citizen.values()]
    assert counts.count(0) == 0, report  # nothing lost
    assert sum(1 for n in counts if n > 1) <= 1, report  # at most the one on the wire
