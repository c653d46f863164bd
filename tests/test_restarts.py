"""The bot as its own process, killed with SIGKILL mid-conversation and stopped with
SIGINT under load (bench/restarts.py, a short run): no message is lost.

A kill that lands while a copy is on the wire (Telegram has taken it, the bot
has not yet written it down) may send that one copy again: the Bot API has no
idempotency key, so the bot prefers a rare double to a loss. Everything else
(redeliveries, replays of the inbox, a stop's unsent messages) arrives once.
"""

from __future__ import annotations

from typing import Any

import pytest

from bench import restarts
from tests.conftest import port_open, require


async def test_kills_and_a_stop_under_load_lose_nothing() -> None:
    tally = await restarts.run(rounds=3, seed=7, scale=8.0)
    _check(tally)


@pytest.mark.postgres
@pytest.mark.redis
async def test_two_webhook_replicas_killed_and_stopped_lose_nothing() -> None:
    """Two replicas on PostgreSQL and Redis, each update to a random one (a fifth of
    them twice); one replica killed each round, one stopped under load."""
    require("PostgreSQL", port_open("127.0.0.1", 5432), "expected on 127.0.0.1:5432, db test")
    require("Redis", port_open("127.0.0.1", 6379), "expected on 127.0.0.1:6379")
    tally = await restarts.run(rounds=3, seed=3, scale=8.0, replicas=2)
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
