"""Tour reminders: queued at registration, sent by a background task when due.

Sending is a notification hook; until a channel (SMS, mail, the portal) is configured it
records the reminder as sent and logs it (without personal data).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web
from sqlalchemy import select

from server.db.models import Reminder
from server.background import stop
from server.db.types import utcnow
from server.keys import SESSIONS

log = logging.getLogger("redhall.reminders")
Notify = Callable[[Reminder], Awaitable[None]]
NOTIFY = web.AppKey("notify", Callable[[Reminder], Awaitable[None]])
INTERVAL = web.AppKey("reminder_interval", float)


async def _log_only(reminder: Reminder) -> None:
    log.info("reminder due for tour %s (user %s)", reminder.tour_id, reminder.user_id)


async def send_due(app: web.Application, notify: Notify | None = None) -> int:
    """Send every due, unsent reminder once; returns how many were sent."""
    notify = notify or app.get(NOTIFY, _log_only)
    async with app[SESSIONS].begin() as db:
        due = (await db.scalars(select(Reminder).where(
            Reminder.sent_at.is_(None), Reminder.due_at <= utcnow()).with_for_update())).all()
        for reminder in due:
            await notify(reminder)
            reminder.sent_at = utcnow()
    return len(due)


async def reminder_worker(app: web.Application) -> AsyncIterator[None]:
    async def loop() -> None:
        while True:
            await asyncio.sleep(app.get(INTERVAL, 30.0))
            try:
                await send_due(app)
            except Exception:  # keep the worker alive; the next round retries
                log.exception("sending reminders failed")

    task = asyncio.create_task(loop())
    yield
    await stop(task)
