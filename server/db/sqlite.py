"""SQLite connection settings, and a thread that runs whole write transactions.

An asyncio driver sends each statement of a transaction through the event loop: every
step's answer waits until the loop is free of whatever request it is parsing, and the
database idles meanwhile. A busy write path (statement ingest) instead hands its whole
transaction to :class:`WriterThread`, which runs it on a plain connection of its own
while the loop goes on parsing the next requests. SQLite does its work with the GIL
released, so on two cores the two overlap.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session

from server.db.checkpoints import no_automatic_checkpoint, open_writers_queue

CACHE_KIB = 64 * 1024  # per connection
MMAP_BYTES = 4 * 1024**3  # reads of the database file map it instead of copying pages

T = TypeVar("T")


def sqlite_file(database_url: str) -> str | None:
    """The database file of a SQLite URL; None for an in-memory one or another database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return url.database


def pragmas(connection: Any, _record: object) -> None:
    """Write-ahead logging: readers never wait for the writer, and a commit survives the
    process being killed (only a power cut could lose the newest commits)."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # With millions of statements the indexes outgrow SQLite's default 2 MiB page cache;
    # every insert into them would read pages back through system calls.
    cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
    cursor.close()


class WriterThread:
    """Write transactions on one SQLite file, one at a time, in a thread of their own.
    Each begins IMMEDIATE: it takes the write lock first (waiting for other writers up to
    SQLite's busy timeout) instead of failing when it turns from reading to writing."""

    def __init__(self, path: str) -> None:
        self.engine: Engine = create_engine(f"sqlite:///{path}",
                                            connect_args={"timeout": 30,
                                                          "check_same_thread": False})
        event.listen(self.engine, "connect", pragmas)
        event.listen(self.engine, "connect", no_automatic_checkpoint)
        event.listen(self.engine, "connect", _driver_leaves_transactions_alone)
        event.listen(self.engine, "begin",
                     lambda connection: connection.exec_driver_sql("BEGIN IMMEDIATE"))
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite writer")
        # Writer threads of other processes (`redhall serve --workers`) queue on this lock
        # in the kernel and wake the moment it is free; waiting in SQLite's busy handler
        # instead sleeps 1, 2, 5, 10 ... ms between tries while the database idles.
        self._queue = open_writers_queue(path)

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """``work(session, *args)`` inside one transaction, committed when it returns."""
        return await asyncio.get_running_loop().run_in_executor(
            self._thread, self._transaction, work, args)

    def _transaction(self, work: Callable[..., T], args: tuple[Any, ...]) -> T:
        fcntl.flock(self._queue, fcntl.LOCK_EX)
        try:
            with Session(self.engine) as session, session.begin():
                return work(session, *args)
        finally:
            fcntl.flock(self._queue, fcntl.LOCK_UN)

    def close(self) -> None:
        self._thread.shutdown(wait=True)
        self.engine.dispose()
        os.close(self._queue)


def _driver_leaves_transactions_alone(connection: Any, _record: object) -> None:
    # the stdlib driver would otherwise BEGIN (deferred) by itself before a write
    connection.isolation_level = None


_WRITERS: weakref.WeakKeyDictionary[Engine, WriterThread] = weakref.WeakKeyDictionary()


def attach_writer(engine: Engine, path: str) -> WriterThread:
    """Gives the (async) engine's database a writer thread, found by :func:`writer_of`."""
    writer = _WRITERS[engine] = WriterThread(path)
    return writer


def writer_of(engine: Engine) -> WriterThread | None:
    return _WRITERS.get(engine)
