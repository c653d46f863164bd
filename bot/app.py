"""Assembling the application: everything is built here, inside functions,
never at import time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.exceptions import TelegramAPIError
from aiogram.fsm.storage.base import BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage
from aiogram.types import BotCommand, BotCommandScopeChat, ErrorEvent
from aiogram.utils.i18n import I18n
from aiogram.utils.i18n import gettext as _
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.config import PROJECT_ROOT, Settings
from bot.content.library import ContentLibrary
from bot.db.engine import create_engine, session_factory
from bot.desk import CaseDesk
from bot.handlers import build_router
from bot.handlers.case_relay import ChatOrder
from bot.middlewares import (
    CitizenLocaleMiddleware,
    CitizenMiddleware,
    DbSessionMiddleware,
    FloodMiddleware,
)
from bot.nlu.client import NLUClient, RasaNLUClient
from bot.ops import ops_server
from bot.services.desks import DeskDirectory
from bot.services.flood import FloodCounter, FloodGate, RedisFloodCounter
from bot.services.inbox import InboxService
from bot.services.language import LanguageDetector
from bot.services.memory import ChatMemory, ConversationMemory, RedisConversationMemory
from bot.services.routing import MessageRouter, SafetyNet
from bot.services.semantic import HeadFiles
from bot.services.staff import CannedReplies
from bot.telegram.limits import Limits, LocalBuckets, RateLimiter, SharedBuckets, SharedLimits
from bot.telegram.ordering import ChatLocks
from bot.telegram.polling import DurablePolling, process_owner

if TYPE_CHECKING:
    from redis.asyncio import Redis

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
# How long a stopping bot waits for the updates it is still handling.
DRAIN_SECONDS = 15.0


def load_safety(settings: Settings) -> SafetyNet | None:
    """The bot's safety net: the editors' lexicons and, when it loads, the semantic layer.

    The sentence encoder is loaded here, once, at start-up; if it cannot load,
    the log says so and the net goes on with the lexicons alone.
    """
    from bot.nlp.safety import SafetyCheck
    from bot.services.semantic import LayeredSafety, load_semantic

    directory = settings.content_dir / "safety"
    lexicons = None
    if directory.is_dir():
        lexicons = SafetyCheck.from_directory(directory)
    else:
        logger.error("no safety lexicons in %s", directory)
    files = head_files(settings)
    semantic = load_semantic(files) if settings.semantic_safety else None
    if lexicons is None and semantic is None:
        logger.error("no safety net: crisis detection relies on the NLU alone")
        return None
    return LayeredSafety(lexicons, semantic, files)


def head_files(settings: Settings) -> HeadFiles:
    """Where the semantic safety heads lie (beside the models, in the clone and the cache)."""
    from bot.nlu.tooling import Project
    from bot.services.semantic import HeadFiles

    project = Project(root=PROJECT_ROOT, cache=settings.kenes_cache)
    return HeadFiles(
        directories=(settings.models_dir, project.cached_models_dir),
        published=settings.kenes_cache / "published.json",
        current_model=project.model_name,
    )


def create_bot(
    settings: Settings, *, limits: Limits | None = None, limiter: RateLimiter | None = None
) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    api = (
        TelegramAPIServer.from_base(settings.telegram_api_base)
        if settings.telegram_api_base
        else None
    )
    session = AiohttpSession(api=api) if api else AiohttpSession()
    session.middleware(limiter or RateLimiter(limits))
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )


def scaled_limits(settings: Settings) -> Limits | None:
    """The outgoing limits, faster by RATE_LIMIT_SCALE (tests with a fast emulator clock)."""
    scale = settings.rate_limit_scale
    if scale == 1:
        return None
    base = Limits()
    return Limits(
        private_burst=base.private_burst,
        private_rate=base.private_rate * scale,
        group_burst=base.group_burst,
        group_rate=base.group_rate * scale,
        global_burst=base.global_burst,
        global_rate=base.global_rate * scale,
        max_retries=base.max_retries,
    )


# Connections to Redis per replica, and how long a caller may wait for one.
REDIS_CONNECTIONS = 64
REDIS_POOL_WAIT_SECONDS = 10.0


def create_redis(settings: Settings) -> Redis | None:
    """One Redis client for everything shared between replicas; None without REDIS_URL."""
    if not settings.redis_url:
        return None
    from redis.asyncio import BlockingConnectionPool, Redis

    # A blocking pool: under load (hundreds of updates waiting for their send slot,
    # each asking Redis), a caller waits for a free connection instead of failing
    # with "Too many connections", which would make the replica drop to its own
    # send limits and forget its FSM states and order while Redis is perfectly up.
    pool = BlockingConnectionPool.from_url(
        settings.redis_url,
        max_connections=REDIS_CONNECTIONS,
        timeout=REDIS_POOL_WAIT_SECONDS,
        socket_timeout=5,
        socket_connect_timeout=5,
    )
    return Redis.from_pool(pool)


def create_storage(settings: Settings, redis: Redis | None = None) -> BaseStorage:
    if redis is not None:
        from aiogram.fsm.storage.base import DefaultKeyBuilder

        from bot.telegram.storage import SharedFSMStorage

        keys = DefaultKeyBuilder(prefix=f"{settings.redis_prefix}:fsm")
        return SharedFSMStorage(redis, key_builder=keys)
    return MemoryStorage()


def shared_limits(settings: Settings) -> SharedLimits:
    return SharedLimits(scale=settings.rate_limit_scale)


@dataclass
class Application:
    """The Dispatcher with its long-lived collaborators, for running and for tests."""

    dispatcher: Dispatcher
    engine: AsyncEngine
    nlu: NLUClient
    i18n: I18n
    # The counselors' case desk; None without STAFF_CHAT_ID.
    desk: CaseDesk | None = None
    # Where /healthz, /readyz and /metrics listen while polling (None: off).
    ops_port: int | None = None
    # The state shared with other replicas (None: this process keeps it).
    redis: Redis | None = None

    def rate_limiter(self, settings: Settings) -> RateLimiter:
        if self.redis is None:
            return RateLimiter(scaled_limits(settings))
        buckets = SharedBuckets(
            self.redis,
            shared_limits(settings),
            prefix=settings.redis_prefix,
            fallback=LocalBuckets(scaled_limits(settings) or Limits()),
        )
        return RateLimiter(scaled_limits(settings), buckets=buckets)

    def chat_locks(self, settings: Settings) -> ChatLocks | None:
        return None if self.redis is None else ChatLocks(self.redis, prefix=settings.redis_prefix)

    async def close(self) -> None:
        await self.nlu.close()
        await self.dispatcher.storage.close()  # closes the Redis client with it
        await self.engine.dispose()


def build_application(settings: Settings, *, nlu: NLUClient | None = None) -> Application:
    content = ContentLibrary.load(settings.content_dir, settings.domain_path)
    engine = create_engine(settings.database_url)
    nlu_client: NLUClient = nlu or RasaNLUClient(
        settings.nlu_url, timeout=settings.nlu_timeout, retries=settings.nlu_retries
    )
    routing = MessageRouter(
        nlu_client,
        load_safety(settings),
        content.taxonomy,
        threshold=settings.nlu_confidence_threshold,
    )
    i18n = I18n(path=settings.locales_dir, default_locale="ru", domain="messages")
    directory = DeskDirectory.load(settings, content.resources.regions.keys())
    desk = CaseDesk(settings, content, i18n, directory=directory) if directory else None
    redis = create_redis(settings)
    memory: ChatMemory = (
        ConversationMemory()
        if redis is None
        else RedisConversationMemory(redis, prefix=settings.redis_prefix)
    )
    flood: FloodGate = (
        FloodCounter() if redis is None else RedisFloodCounter(redis, prefix=settings.redis_prefix)
    )
    dispatcher = Dispatcher(
        storage=create_storage(settings, redis),
        settings=settings,
        content=content,
        routing=routing,
        memory=memory,
        detector=LanguageDetector.from_nlu_data(settings.nlu_data_dir),
        desk=desk,
        canned=CannedReplies.load(settings.content_dir / "canned.yml"),
    )
    # Floods are judged on arrival, before ChatOrder queues a chat's messages; in
    # this process neither awaits before passing the update on, so the order holds
    # (with Redis the poller's conversation lock keeps it: bot.telegram.ordering).
    dispatcher.update.outer_middleware(FloodMiddleware(flood))
    # It keeps each chat's updates in order, before anything awaits.
    dispatcher.update.outer_middleware(ChatOrder())
    dispatcher.update.outer_middleware(DbSessionMiddleware(session_factory(engine)))
    dispatcher.update.outer_middleware(CitizenMiddleware())
    dispatcher.update.outer_middleware(CitizenLocaleMiddleware(i18n))
    dispatcher.include_router(build_router())
    dispatcher.errors.register(_on_error)
    return Application(
        dispatcher=dispatcher,
        engine=engine,
        nlu=nlu_client,
        i18n=i18n,
        desk=desk,
        redis=redis,
    )


async def _on_error(event: ErrorEvent) -> None:
    # The exception type only: tracebacks may carry message text.
    logger.error("update %s failed: %s", event.update.update_id, type(event.exception).__name__)
    logger.debug("failure details", exc_info=event.exception)
    message = event.update.message or (
        event.update.callback_query.message if event.update.callback_query else None
    )
    if message is not None:
        with contextlib.suppress(Exception):
            await message.answer(
                _(
                    "Sorry, something went wrong on our side. "
                    "Please try again in a minute, or use /menu."
                )
            )


async def set_commands(bot: Bot, i18n: I18n) -> None:
    for locale in ("kk", "ru"):
        with i18n.context(), i18n.use_locale(locale):
            commands = [
                BotCommand(command="menu", description=_("Topics and questions")),
                BotCommand(command="human", description=_("Talk to a person")),
                BotCommand(command="resources", description=_("Official contacts")),
                BotCommand(command="language", description=_("Change the language")),
                BotCommand(command="privacy", description=_("What the bot keeps")),
                BotCommand(command="forget", description=_("Delete my data")),
                BotCommand(command="help", description=_("Help")),
            ]
        await bot.set_my_commands(commands, language_code=locale)


async def set_staff_commands(
    bot: Bot, i18n: I18n, settings: Settings, chat_ids: Sequence[int]
) -> None:
    """Each staff group's own command menu (every desk's), in the staff's language."""
    with i18n.context(), i18n.use_locale(settings.staff_language):
        commands = [
            BotCommand(command="queue", description=_("Cases waiting for a counselor")),
            BotCommand(command="mycases", description=_("The cases I hold")),
            BotCommand(command="resources", description=_("Send resource cards (in a case)")),
            BotCommand(command="canned", description=_("Send a canned reply (in a case)")),
            BotCommand(command="note", description=_("An internal note (in a case)")),
            BotCommand(command="staff", description=_("Manage the staff (admins)")),
            BotCommand(command="stats", description=_("How the service is doing (supervisors)")),
        ]
    for chat_id in chat_ids:
        with contextlib.suppress(TelegramAPIError):
            await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=chat_id))


@contextlib.asynccontextmanager
async def running(
    settings: Settings, *, nlu: NLUClient | None = None
) -> AsyncIterator[Application]:
    app = build_application(settings, nlu=nlu)
    try:
        yield app
    finally:
        await app.close()


def stop_event(*, handle_signals: bool) -> asyncio.Event:
    """The event a stop sets; with `handle_signals`, SIGINT and SIGTERM set it."""
    stop = asyncio.Event()
    if handle_signals:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
    return stop


async def _jobs(app: Application, bot: Bot, settings: Settings) -> None:
    """The background jobs, on one replica at a time (bot.db.leader); until cancelled."""
    from bot.db.leader import JobLeadership, lead_jobs
    from bot.jobs import CaseJobs, RetentionJob, WeeklyReportJob

    sessions = session_factory(app.engine)

    def start() -> list[asyncio.Task[None]]:
        jobs = [asyncio.create_task(RetentionJob(bot, sessions, app.desk, settings).run())]
        if app.desk is not None:
            jobs.append(asyncio.create_task(CaseJobs(bot, sessions, app.desk, settings).run()))
            if settings.weekly_report:
                weekly = WeeklyReportJob(bot, sessions, app.desk, settings)
                jobs.append(asyncio.create_task(weekly.run()))
        return jobs

    await lead_jobs(JobLeadership(app.engine), start)


@dataclass
class Serving:
    """What both ways of receiving updates run on: the bot, its limiter, the inbox,
    the poller and the background jobs."""

    app: Application
    bot: Bot
    limiter: RateLimiter
    sessions: async_sessionmaker[AsyncSession]
    inbox: InboxService
    poller: DurablePolling

    async def stop(self, jobs: asyncio.Task[None]) -> None:
        """What is in hand gets DRAIN_SECONDS; the rest stays in the inbox."""
        await self.poller.drain(DRAIN_SECONDS, halt=self.limiter.halt)
        jobs.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await jobs


@contextlib.asynccontextmanager
async def serving(settings: Settings, nlu: NLUClient | None) -> AsyncIterator[Serving]:
    async with running(settings, nlu=nlu) as app:
        limiter = app.rate_limiter(settings)
        bot = create_bot(settings, limiter=limiter)
        async with bot:
            await set_commands(bot, app.i18n)
            if app.desk is not None:
                chats = [desk.chat_id for desk in app.desk.directory]
                await set_staff_commands(bot, app.i18n, settings, chats)
            sessions = session_factory(app.engine)
            lease = timedelta(seconds=settings.inbox_lease_seconds)
            inbox = InboxService(sessions, process_owner(), lease=lease)
            poller = DurablePolling(
                app.dispatcher,
                bot,
                inbox,
                allowed_updates=ALLOWED_UPDATES,
                order=app.chat_locks(settings),
            )
            yield Serving(app, bot, limiter, sessions, inbox, poller)


async def run_polling(
    settings: Settings, *, nlu: NLUClient | None = None, handle_signals: bool = False
) -> None:
    """Long-poll until cancelled (or SIGINT/SIGTERM with `handle_signals`).

    Pending updates are never dropped: what arrived while the bot was down is
    handled when it comes back.
    """
    async with serving(settings, nlu) as on:
        await on.bot.delete_webhook(drop_pending_updates=False)
        jobs = asyncio.create_task(_jobs(on.app, on.bot, settings))
        stop = stop_event(handle_signals=handle_signals)
        async with ops_server(settings, on.sessions, on.app.redis) as ops_port:
            on.app.ops_port = ops_port
            polling = asyncio.create_task(on.poller.run(stop))
            try:
                await asyncio.shield(polling)
            except asyncio.CancelledError:
                stop.set()
                await polling
                raise
            finally:
                await on.stop(jobs)


async def run_webhook(
    settings: Settings, *, nlu: NLUClient | None = None, handle_signals: bool = False
) -> None:
    """Serve WEBHOOK_URL's path on WEBHOOK_HOST:WEBHOOK_PORT until cancelled (or
    SIGINT/SIGTERM with `handle_signals`), beside /healthz, /readyz and /metrics.

    Several replicas may run behind one URL: each update is accepted by one of
    them (the inbox's primary key), and one that dies leaves its updates to the
    others after the inbox's lease. The webhook stays registered on a stop.
    """
    from urllib.parse import urlparse

    from aiohttp import web

    from bot.ops import build_ops_app
    from bot.telegram.webhook import webhook_handler

    if not settings.webhook_url or settings.webhook_secret is None:
        raise ValueError("WEBHOOK_URL and WEBHOOK_SECRET are not set")
    secret = settings.webhook_secret.get_secret_value()
    async with serving(settings, nlu) as on:
        jobs = asyncio.create_task(_jobs(on.app, on.bot, settings))
        web_app = build_ops_app(settings, on.sessions, on.app.redis)
        path = urlparse(settings.webhook_url).path or "/"
        web_app.router.add_post(path, webhook_handler(on.poller, on.inbox, secret))
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, settings.webhook_host, settings.webhook_port).start()
        await on.bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=ALLOWED_UPDATES,
            drop_pending_updates=False,
        )
        stop = stop_event(handle_signals=handle_signals)
        # Updates this replica or a dead one left (after the lease), then new ones.
        for left in await on.inbox.take_unfinished(all_of_them=False):
            on.poller.start(left)
        sweeping = asyncio.create_task(on.poller.sweep(stop, every=settings.inbox_sweep_seconds))
        try:
            await asyncio.shield(sweeping)
        except asyncio.CancelledError:
            stop.set()
            await sweeping
            raise
        finally:
            # No new requests (Telegram retries them, maybe on another replica).
            await runner.cleanup()
            await on.stop(jobs)
