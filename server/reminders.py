"""Tour reminders and notices: queued in the database, sent by a background task when due.

Three kinds travel through the one queue: ``reminder`` (before the start, queued at
registration), ``tour_moved`` and ``tour_cancelled`` (queued for every registrant when the
guide moves or cancels a tour, due at once). Moving or cancelling a tour drops the
reminders still waiting for the old time in the same transaction, so none of them fires.

Sending an item claims it (marks it sent in one statement, so two server processes never
both take it), puts its notice in the member's portal inbox and plans its e-mail and
group-robot deliveries, all in one transaction; the worker then makes the deliveries
(:mod:`server.notify.deliveries`). ``NOTIFY`` is a further hook for each item sent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.background import stop
from server.db.models import Reminder, Tour, User
from server.db.types import utcnow
from server.keys import SESSIONS, SETTINGS
from server.notify.deliveries import OrgChains, deliver_due, plan
from server.notify.inbox import add_notice

log = logging.getLogger("redhall.reminders")
Notify = Callable[[Reminder], Awaitable[None]]
NOTIFY = web.AppKey[Notify]("notify")
INTERVAL = web.AppKey("reminder_interval", float)

REMINDER = "reminder"
TOUR_MOVED = "tour_moved"
TOUR_CANCELLED = "tour_cancelled"
KINDS = (REMINDER, TOUR_MOVED, TOUR_CANCELLED)


async def _log_only(reminder: Reminder) -> None:
    log.info("%s sent for tour %s (user %s)", reminder.kind, reminder.tour_id, reminder.user_id)


def queue_reminders(db: AsyncSession, tour_id: int, users: Iterable[int], starts_at: datetime,
                    minutes_before: Iterable[int], *, catch_up: bool = False) -> int:
    """Adds the reminders before ``starts_at`` that are still ahead; returns how many.

    With ``catch_up`` (a member registering), one who registers after the last lead time
    has passed, for a tour still ahead, gets one reminder at once: otherwise no reminder
    would come at all, though the inbox promises one before the start."""
    now, made = utcnow(), 0
    lead_times = sorted(set(minutes_before))
    for user in users:
        for minutes in lead_times:
            due = starts_at - timedelta(minutes=minutes)
            if due > now:
                db.add(Reminder(tour_id=tour_id, user_id=user, due_at=due, kind=REMINDER))
                made += 1
        if catch_up and lead_times and starts_at > now \
                and starts_at - timedelta(minutes=lead_times[0]) <= now:
            db.add(Reminder(tour_id=tour_id, user_id=user, due_at=now, kind=REMINDER))
            made += 1
    return made


def queue_notice(db: AsyncSession, tour_id: int, users: Iterable[int], kind: str,
                 detail: dict[str, Any]) -> None:
    """A notice to each of ``users``, due now (sent at the worker's next round)."""
    assert kind in (TOUR_MOVED, TOUR_CANCELLED), kind
    now = utcnow()
    db.add_all(Reminder(tour_id=tour_id, user_id=user, due_at=now, kind=kind, detail=detail)
               for user in users)


async def drop_pending(db: AsyncSession, tour_id: int, *, users: Iterable[int] | None = None,
                       kinds: Iterable[str] = KINDS) -> None:
    """Removes the unsent items of ``kinds`` for a tour (for ``users`` only, if given)."""
    query = delete(Reminder).where(Reminder.tour_id == tour_id, Reminder.sent_at.is_(None),
                                   Reminder.kind.in_(list(kinds)))
    if users is not None:
        query = query.where(Reminder.user_id.in_(list(users)))
    await db.execute(query)


async def send_due(app: web.Application, notify: Notify | None = None,
                   limit: int = 500) -> int:
    """Sends every due, unsent reminder or notice once (at most ``limit`` a call): each
    becomes a notice in its member's inbox and the deliveries of the other channels, in
    the transaction that marks it sent. Returns how many were sent."""
    notify = notify or app.get(NOTIFY, _log_only)
    async with app[SESSIONS].begin() as db:
        now = utcnow()
        due = (select(Reminder.id).where(Reminder.sent_at.is_(None), Reminder.due_at <= now)
               .order_by(Reminder.due_at, Reminder.id).limit(limit)
               .with_for_update(skip_locked=True))
        # the claim is the first statement: SQLite takes its write lock here, and
        # PostgreSQL re-checks sent_at on rows another process claimed meanwhile
        claimed = (await db.scalars(
            update(Reminder).where(Reminder.id.in_(due), Reminder.sent_at.is_(None))
            .values(sent_at=now).returning(Reminder.id)
            .execution_options(synchronize_session=False))).all()
        if not claimed:
            return 0
        rows = (await db.execute(
            select(Reminder, Tour, User).join(Tour, Tour.id == Reminder.tour_id)
            .join(User, User.id == Reminder.user_id).where(Reminder.id.in_(claimed))
            .order_by(Reminder.due_at, Reminder.id))).all()
        chains = OrgChains(db)
        for reminder, tour, user in rows:
            add_notice(db, reminder, tour)
            await plan(db, app[SETTINGS], chains, reminder, user)
            await notify(reminder)
    return len(rows)


async def reminder_worker(app: web.Application) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(app.get(INTERVAL, 30.0))
            try:
                await send_due(app)
            except Exception:  # keep the worker alive; the next round retries
                log.exception("sending reminders failed")
            try:  # apart: deliveries already planned go even when sending fails
                await deliver_due(app)
            except Exception:  # keep the worker alive; the next round retries
                log.exception("delivering notices failed")

    task = asyncio.create_task(loop())
    yield
    await stop(task)
