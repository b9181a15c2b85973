"""Group commit: batches of statements that arrive while a transaction is being written
wait, and the next transaction stores all of them together. One commit and one round of
inserts then serves many requests, which is what bounds an LRS's ingest rate when writers
take turns (SQLite) or pay a commit each (PostgreSQL). Each batch still succeeds or fails
on its own: the store reports an outcome per batch."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# Writes a group; answers each item with its result, or with the exception for it alone.
Write = Callable[[list[Any]], Awaitable[Sequence[Any]]]


class GroupCommit(Generic[Item, Result]):
    """Queues items and writes them in groups, in arrival order, with up to ``parallel``
    groups being written at once (1 for a database that takes one writer at a time)."""

    def __init__(self, write: Write, *, size: Callable[[Item], int] = lambda _: 1,
                 most: int = 2000, parallel: int = 1) -> None:
        self._write = write
        self._size = size
        self._most = most  # per group, so one transaction never grows without bound
        self._parallel = parallel
        self._waiting: list[tuple[Item, asyncio.Future[Result]]] = []
        self._drains: set[asyncio.Task[None]] = set()

    async def submit(self, item: Item) -> Result:
        """Waits until the item's group is committed; its result, or its exception."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        # a drain that has just finished is done at once (its done-callbacks would come
        # later), so it is never counted as still draining the item added here
        self._drains = {drain for drain in self._drains if not drain.done()}
        if len(self._drains) < self._parallel:
            self._drains.add(asyncio.create_task(self._drain_queue(), name="group commit"))
        return await future

    def _next_group(self) -> list[tuple[Item, asyncio.Future[Result]]]:
        taken, total = 0, 0
        for item, _ in self._waiting:
            total += self._size(item)
            if taken and total > self._most:
                break
            taken += 1
        group, self._waiting = self._waiting[:taken], self._waiting[taken:]
        return group

    async def _drain_queue(self) -> None:
        while self._waiting:
            group = self._next_group()
            try:
                outcomes = await self._write([item for item, _ in group])
            except asyncio.CancelledError:
                for _, future in group + self._waiting:
                    future.cancel()
                self._waiting = []
                raise
            except Exception as exc:  # noqa: BLE001 - every waiter learns why
                outcomes = [exc] * len(group)
            for (_, future), outcome in zip(group, outcomes, strict=True):
                if future.done():  # its request went away; the work stands regardless
                    continue
                if isinstance(outcome, Exception):
                    future.set_exception(outcome)
                else:
                    future.set_result(outcome)
