"""The dashboard's views, kept while the figures under them stand still.

A committee's view reads the whole year's awards and activity: hundreds of milliseconds of
database work that dozens of secretaries opening the dashboard in the same minute would
otherwise repeat, each holding several pooled connections. A view is kept under a key
that names what it shows and the newest award, fact and account, so any new award, fact
or member makes the next request compute afresh; a minute's lifetime bounds what the key
cannot see (a revoked fact, a moved member). Callers that miss at once share one
computation."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.dashboard.period import Period
from server.dashboard.tree import Subtree
from server.db.models import ExhibitVersion, LedgerEntry, ParticipationRecord, User
from server.ttl_cache import TTLCache

View = dict[str, Any]
VIEWS = web.AppKey("dashboard_views", TTLCache[tuple[Any, ...], View])
LIFETIME_SECONDS = 60.0


def install(app: web.Application) -> None:
    app[VIEWS] = TTLCache(LIFETIME_SECONDS, size=500)


async def _newest(sessions: async_sessionmaker[AsyncSession]) -> tuple[Any, ...]:
    """The newest award, fact, account and exhibit version: cheap reads of primary keys."""
    async with sessions() as db:
        row = (await db.execute(select(
            select(func.max(LedgerEntry.seq)).scalar_subquery(),
            select(func.max(ParticipationRecord.number)).scalar_subquery(),
            select(func.max(User.id)).scalar_subquery(),
            select(func.max(ExhibitVersion.id)).scalar_subquery()))).one()
    return tuple(row)


async def kept_view(app: web.Application, sessions: async_sessionmaker[AsyncSession],
                    period: Period, subtree: Subtree, today: date, lang: str,
                    compute: Callable[[], Awaitable[View]]) -> View:
    """The view ``compute()`` makes, from the cache when nothing under it has changed."""
    root = subtree.root.id if subtree.root is not None else None
    key = (period.name, root, tuple(subtree.ids), today, lang, await _newest(sessions))
    return await app[VIEWS].get_or_load(key, compute)
