"""Forwarding to the organisation's external LRS: every statement stored here is queued in
the same transaction (``xapi_outbox``) and sent in batches until the external LRS accepts
it; failures back off and retry, and a restart picks up where it left off."""

from __future__ import annotations

import asyncio
import base64
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import delete, select, update

from server.background import stop
from server.db.models import ForwardItem, StatementRow
from server.db.types import utcnow
from server.keys import SESSIONS, SETTINGS

log = logging.getLogger("redhall.forward")
BATCH = 100
MAX_BACKOFF = 600.0


async def forward_due(app: web.Application, http: aiohttp.ClientSession) -> int:
    """Sends one batch of due statements; returns how many the external LRS accepted."""
    settings = app[SETTINGS]
    async with app[SESSIONS]() as db:
        query = (select(ForwardItem.number, ForwardItem.attempts, StatementRow.body)
                 .join(StatementRow, StatementRow.number == ForwardItem.number)
                 .where(ForwardItem.next_at <= utcnow())
                 .order_by(ForwardItem.number).limit(BATCH))
        due = (await db.execute(query)).all()
    if not due:
        return 0
    secret = settings.xapi_forward_secret.get_secret_value()
    basic = base64.b64encode(f"{settings.xapi_forward_key}:{secret}".encode()).decode()
    numbers = [item.number for item in due]
    assert settings.xapi_forward_url is not None  # the worker runs only when it is set
    try:
        async with http.post(settings.xapi_forward_url,
                             data="[" + ",".join(item.body for item in due) + "]",
                             headers={"Content-Type": "application/json",
                                      "Authorization": f"Basic {basic}",
                                      "X-Experience-API-Version": "1.0.3"}) as reply:
            if reply.status != 200:
                raise RuntimeError(f"HTTP {reply.status}: {(await reply.text())[:300]}")
    except (TimeoutError, aiohttp.ClientError, RuntimeError) as exc:
        attempts = max(item.attempts for item in due) + 1
        wait = min(settings.xapi_forward_retry_seconds * 2 ** (attempts - 1), MAX_BACKOFF)
        async with app[SESSIONS].begin() as db:
            await db.execute(update(ForwardItem).where(ForwardItem.number.in_(numbers)).values(
                attempts=ForwardItem.attempts + 1, last_error=str(exc)[:500] or repr(exc),
                next_at=utcnow() + timedelta(seconds=wait)))
        log.warning("forwarding %d statements failed (attempt %d, next in %.0f s): %s",
                    len(numbers), attempts, wait, exc)
        return 0
    async with app[SESSIONS].begin() as db:
        await db.execute(delete(ForwardItem).where(ForwardItem.number.in_(numbers)))
    return len(numbers)


async def forward_worker(app: web.Application) -> AsyncIterator[None]:
    settings = app[SETTINGS]
    if settings.xapi_forward_url is None:
        yield
        return

    async def loop() -> None:
        timeout = aiohttp.ClientTimeout(total=30)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            while True:
                try:
                    sent = await forward_due(app, http)
                except Exception:  # keep the worker alive; the next round retries
                    log.exception("forwarding statements failed")
                    sent = 0
                if sent < BATCH:
                    await asyncio.sleep(settings.xapi_forward_poll_seconds)

    task = asyncio.create_task(loop())
    yield
    await stop(task)
