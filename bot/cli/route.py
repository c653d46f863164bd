"""`python -m bot route`: route messages from standard input, one JSON line each.

Uses the running NLU server, exactly as the bot does; `--offline` routes with
the safety check alone, as the bot does while the NLU server is down.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import aiohttp

from bot.config import Settings
from bot.content.library import ContentLibrary
from bot.nlu.client import RasaNLUClient
from bot.services.language import LanguageDetector
from bot.services.routing import MessageRouter

NOT_RUNNING = (
    "The NLU server at {url} is not reachable.\n"
    "Start it in another terminal with:  .venv/bin/python -m bot nlu serve\n"
    "(or `make run`), or route with the safety check alone:  python -m bot route --offline"
)


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("route", help=__doc__.splitlines()[0])
    parser.add_argument("--offline", action="store_true", help="safety check only, no NLU server")
    parser.add_argument("--nlu-url", help="the NLU server (default: NLU_URL)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    return asyncio.run(_route_stdin(args))


async def nlu_reachable(url: str, timeout: float = 3.0) -> bool:  # noqa: ASYNC109 - aiohttp's ClientTimeout; unreachable returns False
    try:
        async with (
            aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
            http.get(f"{url.rstrip('/')}/status") as resp,
        ):
            return resp.status == 200
    except (TimeoutError, aiohttp.ClientError):
        return False


async def _route_stdin(args: argparse.Namespace) -> int:
    from bot.app import load_safety

    settings = Settings()
    url = args.nlu_url or settings.nlu_url
    if not args.offline and not await nlu_reachable(url):
        print(NOT_RUNNING.format(url=url), file=sys.stderr)
        return 2
    content = ContentLibrary.load(settings.content_dir, settings.domain_path)
    detector = LanguageDetector.from_nlu_data(settings.nlu_data_dir)
    nlu = None if args.offline else RasaNLUClient(url, timeout=settings.nlu_timeout, retries=2)
    router = MessageRouter(
        nlu, load_safety(settings), content.taxonomy, threshold=settings.nlu_confidence_threshold
    )
    try:
        for line in sys.stdin:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            decision = await router.route(text)
            guess = detector.detect(text)
            entities = [dict(e) for e in decision.entities]
            region = content.resources.find_region(text)
            if region is not None and not any(e.get("entity") == "region" for e in entities):
                entities.append({"entity": "region", "value": region.id})
            record = {
                "text": text,
                "lang": guess.lang if guess else "ru",
                "intent": decision.intent,
                "confidence": round(decision.confidence, 4),
                "route": decision.route.value,
                "entities": entities,
            }
            print(json.dumps(record, ensure_ascii=False), flush=True)
    finally:
        if nlu is not None:
            await nlu.close()
    return 0
