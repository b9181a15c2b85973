"""SQLite checkpoints off the write path.

In WAL mode SQLite copies the log back into the database file (a checkpoint, with an
fsync) inside whichever commit pushes the log past 1000 pages, so that writer, and every
writer queued behind it, waits for the disk. The server turns the automatic checkpoint
off on its connections and runs passive checkpoints from a thread and connection of their
own instead: they never block a writer, and the log is still reset once it has been
copied back.

A log is reset only when a writer starts after a checkpoint has copied all of it; under
writes that never pause, each passive checkpoint ends with newer frames already behind it,
so the log would grow without end (two gigabytes in twenty seconds of ingest). Once it
passes ``RESET_PAGES`` the checkpointer copies passively until little is left (or until a
pass leaves more behind it than the one before: the writers outpace the copy), then takes
the writers' turn for a blocking checkpoint of the rest, after which the next writer
starts the log from its beginning. Writers wait only for that remainder.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import sqlite3
import threading
from collections.abc import AsyncIterator
from typing import Any

from server.background import stop

log = logging.getLogger("redhall.db")

INTERVAL_SECONDS = 1.0
RESET_PAGES = 32_768  # 128 MiB of log at 4 KiB pages
LEFT_FOR_RESET = 2_048  # pages a reset may have to copy while writers wait
PRECOPIES = 4
LARGE_LOG_PAGES = 250_000  # about 1 GiB of log at 4 KiB pages: checkpoints are not keeping up


def open_writers_queue(path: str) -> int:
    """The lock file on which every writer of the database file ``path`` takes its turn
    (``fcntl.flock``), across threads and processes."""
    return os.open(f"{path}-writers.lock", os.O_RDWR | os.O_CREAT, 0o600)


def no_automatic_checkpoint(connection: Any, _record: object) -> None:
    """Connect hook for the server's own connections (the checkpointer does the work)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA wal_autocheckpoint=0")
    cursor.close()


class Checkpointer:
    """Passive checkpoints of one SQLite database file, every ``interval`` seconds, and a
    truncating one when the log passes ``reset_pages``."""

    def __init__(self, path: str, interval: float = INTERVAL_SECONDS,
                 reset_pages: int = RESET_PAGES) -> None:
        self.path = path
        self.interval = interval
        self.reset_pages = reset_pages
        self._connection: sqlite3.Connection | None = None
        self._lock = threading.Lock()  # the last checkpoint may overlap a cancelled one
        self.runs = self.resets = 0

    def checkpoint(self) -> tuple[int, int]:
        """One checkpoint: (pages in the log, pages copied back so far)."""
        with self._lock:
            if self._connection is None:
                self._connection = sqlite3.connect(self.path, timeout=30,
                                                   check_same_thread=False)
            _busy, in_log, copied = self._connection.execute(
                "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.runs += 1
            if in_log > self.reset_pages:
                self._precopy(in_log - copied)
                _busy, in_log, copied = self._reset()
        if in_log > LARGE_LOG_PAGES:
            log.warning("the SQLite write-ahead log of %s holds %d pages; a reader may be "
                        "holding an old snapshot", self.path, in_log)
        return in_log, copied

    def _precopy(self, left: int) -> None:
        """Passive copies while each leaves fewer frames behind it than the one before.
        Writers faster than the copy would otherwise grow the log with every pass."""
        assert self._connection is not None
        for _ in range(PRECOPIES):
            if left <= LEFT_FOR_RESET:
                return
            _busy, in_log, copied = self._connection.execute(
                "PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if in_log - copied >= left:
                return
            left = in_log - copied

    def _reset(self) -> tuple[int, int, int]:
        """Copy the rest of the log back, in the writers' turn, so that it restarts."""
        assert self._connection is not None
        # The writer threads queue on this lock (server.db.sqlite.WriterThread); holding it
        # they wait in the kernel and wake at once, not in SQLite's sleeping busy handler.
        queue = open_writers_queue(self.path)
        try:
            fcntl.flock(queue, fcntl.LOCK_EX)
            # RESTART (not TRUNCATE): the log's file keeps its size and is written over,
            # rather than grown again from nothing
            row: tuple[int, int, int] = self._connection.execute(
                "PRAGMA wal_checkpoint(RESTART)").fetchone()
        finally:
            os.close(queue)  # closing lets go of the lock
        self.resets += row[0] == 0
        return row

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(self.checkpoint)
            except sqlite3.Error:
                log.exception("checkpoint of %s failed; trying again", self.path)

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None


@contextlib.asynccontextmanager
async def checkpoints(path: str, interval: float = INTERVAL_SECONDS
                      ) -> AsyncIterator[Checkpointer]:
    """Checkpoints while the block runs, and one last time at its end."""
    checkpointer = Checkpointer(path, interval)
    task = asyncio.create_task(checkpointer.run(), name=f"checkpoints of {path}")
    try:
        yield checkpointer
    finally:
        await stop(task)
        try:
            await asyncio.to_thread(checkpointer.checkpoint)
        except sqlite3.Error:
            log.exception("last checkpoint of %s failed", path)
        finally:
            checkpointer.close()
