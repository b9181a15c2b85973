"""The aiohttp application factory."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web
from sqlalchemy import event
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from protocol.publisher_keys import load_public_key
from server.auth import auth_middleware, configure_passwords
from server.background import bounded
from server.catalog_store import PackageStore
from server.credits.awards import Credits
from server.credits.ledger import Head
from server.credits.signing import Signer
from server.crypto import PersonalDataCipher, load_or_create_key
from server.dashboard import cache as dashboard_views
from server.db.checkpoints import checkpoints, no_automatic_checkpoint
from server.db.migrate import upgrade
from server.db.sqlite import attach_writer, pragmas, sqlite_file
from server.errors import error_middleware
from server.keys import (
    CIPHER,
    CREDENTIALS,
    CREDITS,
    ENGINE,
    HUB,
    LEARNING,
    LISTING,
    LRS_CLIENTS,
    ROLE,
    SESSIONS,
    SETTINGS,
    SIGNER,
    STORE,
    TRUSTED,
)
from server.live.hub import Hub
from server.lrs import in_flight
from server.lrs.clients import ClientDirectory
from server.lrs.facts import Site
from server.lrs.forward import forward_worker
from server.metrics import metrics_middleware
from server.participation_store import Learning
from server.recording import Recordings, TourRecorders
from server.reminders import reminder_worker
from server.routes import (
    accounts,
    attendance,
    calendar,
    catalog,
    cmi5,
    credits,
    dashboard,
    docs,
    health,
    live,
    lrs_clients,
    notifications,
    participation,
    people,
    privacy,
    recordings,
    reports,
    roster,
    tours,
    xapi,
    xapi_documents,
)
from server.settings import Settings
from server.ttl_cache import TTLCache
from server.validation import FORM_LIMIT
from server.web.portal import install_portal
from server.workers import WorkerRole


def engine_options(url: str) -> dict[str, object]:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_size": 10, "max_overflow": 20}


async def _database(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    database_file = sqlite_file(settings.database_url)
    if database_file:
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.database_url,
                                 **engine_options(settings.database_url))
    if settings.database_url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", pragmas)
        if database_file:
            event.listen(engine.sync_engine, "connect", no_automatic_checkpoint)
    await upgrade(engine)
    writer = attach_writer(engine.sync_engine, database_file) if database_file else None
    app[ENGINE] = engine
    app[SESSIONS] = async_sessionmaker(engine, expire_on_commit=False)
    app[LRS_CLIENTS] = ClientDirectory(app[SESSIONS])
    signer = Signer.load_or_create(settings.data_dir)
    app[CREDITS] = Credits(app[SESSIONS], app[STORE], app[LEARNING].site,
                           Head(settings.data_dir / "ledger-head.json", signer),
                           forward=app[LEARNING].forward, guide=settings.guide_credit)
    app[SIGNER] = signer
    role = app.get(ROLE)
    board = in_flight.Board(role.board, role.count, role.index) if role else None
    in_flight.share(board)
    async with (checkpoints(database_file) if database_file and (not role or role.runs_jobs)
                else contextlib.nullcontext()):
        yield
        await bounded(app[CREDITS].idle(), "finishing credit evaluations", grace=30)
    if board is not None:
        in_flight.share(None)
        board.close()
    if writer is not None:
        writer.close()
    await bounded(engine.dispose(), "closing database connections")


async def _recordings(app: web.Application) -> AsyncIterator[None]:
    store = app[recordings.RECORDINGS] = Recordings(app[SETTINGS].data_dir)
    recorders = app[recordings.RECORDERS] = TourRecorders(app[SESSIONS], store)
    await recorders.recover()  # recordings a crash cut off
    yield
    await bounded(recorders.close(), "storing tour recordings", grace=30)


async def _live_tours(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    app[HUB] = Hub(app[SESSIONS], app[STORE], settings.redis_url, settings.redis_prefix,
                   hold_seconds=settings.tour_hold_seconds, tick_hz=settings.tour_tick_hz,
                   relay_hz=settings.tour_relay_hz,
                   learning=app[LEARNING], on_stored=app[CREDITS].consider_soon,
                   recorder_factory=app[recordings.RECORDERS])
    yield
    await bounded(app[HUB].close(), "closing live tours", grace=30)


async def _going_away(app: web.Application) -> None:
    if HUB in app:
        await app[HUB].shutdown()


def create_app(settings: Settings, role: WorkerRole | None = None) -> web.Application:
    """The server, configured by ``settings``; storage opens when it starts. ``role``: which
    of several workers this is (``redhall serve --workers``); None for the only one."""
    # client_max_size bounds only bodies read whole (forms); uploads, statements and other
    # bodies are streamed and bounded by their routes
    app = web.Application(middlewares=[metrics_middleware, error_middleware, auth_middleware],
                          client_max_size=FORM_LIMIT)
    app[SETTINGS] = settings
    configure_passwords(settings.password_hash_time_cost, settings.password_hash_memory_kib)
    if role is not None:
        app[ROLE] = role
    app[CIPHER] = PersonalDataCipher(load_or_create_key(
        settings.encryption_key.get_secret_value() if settings.encryption_key else None,
        settings.data_dir))
    app[STORE] = PackageStore(settings.data_dir)
    app[CREDENTIALS] = TTLCache(5.0)
    app[LISTING] = TTLCache(2.0)
    dashboard_views.install(app)
    app[TRUSTED] = [load_public_key(path) for path in settings.trusted_keys]
    app[LEARNING] = Learning(Site(settings.site_url.rstrip("/")),
                             forward=settings.xapi_forward_url is not None)
    runs_jobs = role is None or role.runs_jobs  # the once-only jobs (see server.workers)
    app.cleanup_ctx.append(_database)
    if runs_jobs:
        app.cleanup_ctx.append(reminder_worker)
    app.cleanup_ctx.append(_recordings)
    app.cleanup_ctx.append(_live_tours)
    if runs_jobs:
        app.cleanup_ctx.append(forward_worker)
    app.on_shutdown.append(_going_away)
    for module in (health, accounts, people, privacy, catalog, tours, live, participation,
                   calendar, docs, xapi, xapi_documents, lrs_clients, credits, reports,
                   cmi5, attendance, notifications, dashboard, roster, recordings):
        app.add_routes(module.routes)
    install_portal(app)
    return app
