"""Background tasks that live as long as the app (reminders, forwarding)."""

from __future__ import annotations

import asyncio
import contextlib


async def stop(task: asyncio.Task[None]) -> None:
    """Cancels ``task`` and waits until it has finished."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
