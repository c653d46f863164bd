"""Prometheus metrics (GET /metrics on the operations port, bot/ops.py).

Labels carry kinds, routes, outcomes and job names only: never a message's
text, a name or a Telegram id.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

UPDATES = Counter(
    "kenes_updates_total", "Telegram updates handled, by kind and outcome", ["kind", "outcome"]
)
UPDATE_SECONDS = Histogram(
    "kenes_update_seconds",
    "From the update's arrival (accepted into the inbox) to the end of its handling "
    "(its replies sent), by kind",
    ["kind"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
ROUTES = Counter(
    "kenes_routes_total",
    "Citizens' messages by route, and whether the NLU answered",
    ["route", "nlu"],
)
SAFETY_RAISES = Counter(
    "kenes_safety_raises_total", "Messages the safety net raised over the NLU, by route", ["route"]
)
NLU_SECONDS = Histogram(
    "kenes_nlu_seconds",
    "NLU server parse latency",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
)
NLU_ERRORS = Counter("kenes_nlu_errors_total", "NLU calls that failed after their retries")
RETRY_AFTER = Counter(
    "kenes_telegram_429_total", "429 replies from the Bot API, by method", ["method"]
)
JOB_RUNS = Counter(
    "kenes_job_runs_total", "Background job runs, by job and outcome", ["job", "outcome"]
)
CASES_WAITING = Gauge(
    "kenes_cases_waiting", "Cases waiting for a counselor, by priority", ["priority"]
)
FIRST_REPLY_SECONDS = Histogram(
    "kenes_first_reply_seconds",
    "From a case's opening to its counselor's first reply, by priority",
    ["priority"],
    buckets=(30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600),
)
INBOX_UNFINISHED = Gauge("kenes_inbox_unfinished", "Accepted updates not handled yet")


def update_kind(payload: dict[str, object]) -> str:
    """The update's kind: the one key beside update_id (message, callback_query...)."""
    return next((key for key in payload if key != "update_id"), "unknown")
