"""Background tasks that live as long as the app (reminders, forwarding, tour loops).

Shutdown must finish even when a task does not: a task stuck in a network call, or one
whose cancellation a library swallowed, is reported and left behind rather than holding
the server (and the process manager waiting on it) forever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterable

log = logging.getLogger("redhall.background")

GRACE_SECONDS = 5.0


async def stop(task: asyncio.Task[object], grace: float = GRACE_SECONDS) -> None:
    """Cancels ``task`` and waits up to ``grace`` seconds for it to finish."""
    await stop_all([task], grace)


async def stop_all(tasks: Iterable[asyncio.Task[object]],
                   grace: float = GRACE_SECONDS) -> None:
    tasks = [t for t in tasks if not t.done()]
    for task in tasks:
        task.cancel()
    if not tasks:
        return
    done, stuck = await asyncio.wait(tasks, timeout=grace)
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("task %s failed while stopping", task.get_name(),
                      exc_info=task.exception())
    for task in stuck:
        log.warning("task %s did not stop within %.0f s of being cancelled; left behind",
                    task.get_name(), grace)


async def bounded(step: Awaitable[object], what: str,
                  grace: float = GRACE_SECONDS) -> None:
    """Awaits one shutdown step (closing a connection, draining a queue) for at most
    ``grace`` seconds; a step that errs or overruns is logged, and shutdown goes on."""
    try:
        async with asyncio.timeout(grace):
            await step
    except TimeoutError:
        log.warning("%s took longer than %.0f s; going on without it", what, grace)
    except Exception:
        log.exception("%s failed", what)
