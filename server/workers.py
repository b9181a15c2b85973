"""`redhall serve --workers N`: N server processes answering on one port.

One process runs Python on one core at a time; statement ingest, report queries and
package uploads each want more. Each worker binds the port with ``SO_REUSEPORT`` and the
kernel spreads new connections over them. The workers share:

- the database (SQLite's write lock or PostgreSQL's transactions keep them consistent; the
  schema is brought up to date once, here, before any of them starts);
- live tours, through Redis (``redis_url``), as separate ``redhall serve`` processes do;
- the writes still in flight, for the xAPI Consistent-Through header
  (:class:`server.lrs.in_flight.Board`);
- the data folder's keys and signed ledger head, made here once.

Jobs that must run once (reminders, forwarding to an external LRS, SQLite checkpoints) run
in worker 0 only. A worker that dies is started again; one that dies within seconds of
starting stops the whole server, since it would only die again.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from pathlib import Path

from protocol.errors import RedhallError
from server.db.sqlite import sqlite_file
from server.lrs.in_flight import Board
from server.settings import Settings

log = logging.getLogger("redhall.workers")

BOARD = "xapi-in-flight.board"  # in data_dir
CRASH_LOOP_SECONDS = 10.0  # a worker that dies sooner after starting is not restarted
STOP_SECONDS = 60.0  # to finish open requests and close tours before being killed


class WorkersRefused(RedhallError):
    """The settings cannot be served by several workers."""


@dataclass(frozen=True)
class WorkerRole:
    """Which of ``count`` workers a process is; worker 0 also runs the once-only jobs."""

    index: int
    count: int
    board: Path

    @property
    def runs_jobs(self) -> bool:
        return self.index == 0


def check(settings: Settings, count: int) -> None:
    """Raises :class:`WorkersRefused` naming what stops ``count`` workers from sharing."""
    if count < 1:
        raise WorkersRefused(f"--workers must be at least 1 (got {count})")
    if count == 1:
        return
    if settings.database_url.startswith("sqlite") and not sqlite_file(settings.database_url):
        raise WorkersRefused("an in-memory SQLite database cannot be shared by several "
                             "workers: give REDHALL_DATABASE_URL a file or a PostgreSQL "
                             "server, or run one worker")
    if settings.redis_url is None:
        raise WorkersRefused("several workers share live tours through Redis: set "
                             "REDHALL_REDIS_URL (e.g. redis://127.0.0.1:6379/0), or run "
                             "one worker")


async def _prepare(settings: Settings) -> None:
    """What the workers would otherwise race to do at their start."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from server.app import engine_options
    from server.credits.signing import Signer
    from server.crypto import load_or_create_key
    from server.db.migrate import upgrade

    if database_file := sqlite_file(settings.database_url):
        Path(database_file).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(settings.database_url, **engine_options(settings.database_url))
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    load_or_create_key(settings.encryption_key.get_secret_value()
                       if settings.encryption_key else None, settings.data_dir)
    Signer.load_or_create(settings.data_dir)


def _end_with_parent() -> None:
    """Linux: the worker gets SIGTERM if the supervisor dies, instead of serving on."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


# How long a thread waits for the event loop's thread to let go of the GIL. A thread that
# hands work to C and takes the GIL back (the SQLite writer, after each statement it
# runs) would otherwise wait up to Python's default 5 ms each time the loop is busy:
# about a third of a write transaction went on that wait under full ingest.
SWITCH_INTERVAL_SECONDS = 0.001


def event_loop() -> asyncio.AbstractEventLoop:
    """uvloop where it installs (Linux, macOS): live tours spend their time in socket I/O.
    Sets the process's GIL switch interval for the server's threads too."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def _worker(settings: Settings, role: WorkerRole) -> None:
    from aiohttp import web

    from server.app import create_app
    from server.collector import settle_collector
    from server.logs import configure
    from server.tls import server_context

    os.setpgrp()  # Ctrl-C reaches the supervisor alone, which stops each worker once
    _end_with_parent()
    configure()
    app = create_app(settings, role)
    app.on_startup.append(settle_collector)
    web.run_app(app, host=settings.host, port=settings.port, reuse_port=True,
                ssl_context=server_context(settings),
                print=(lambda text: print(text, file=sys.stderr)) if role.runs_jobs else None,
                loop=event_loop())


def serve(settings: Settings, count: int, say: Callable[[str], None]) -> int:
    """Runs ``count`` workers until SIGTERM or SIGINT; the exit code."""
    check(settings, count)
    asyncio.run(_prepare(settings))
    board = settings.data_dir / BOARD
    Board.create(board, count)
    spawn = multiprocessing.get_context("spawn")  # no threads or loops carried over

    def start(index: int) -> tuple[BaseProcess, float]:
        process = spawn.Process(target=_worker, name=f"redhall worker {index}",
                                args=(settings, WorkerRole(index, count, board)))
        process.start()
        return process, time.monotonic()

    stopping: list[int] = []
    for number in (signal.SIGTERM, signal.SIGINT):
        signal.signal(number, lambda signum, _frame: stopping.append(signum))
    workers = {index: start(index) for index in range(count)}
    scheme = "https" if settings.tls_cert else "http"
    say(f"{count} workers on {scheme}://{settings.host}:{settings.port} "
        f"(pids {', '.join(str(p.pid) for p, _ in workers.values())})")
    failed = False
    while not stopping and not failed:
        multiprocessing.connection.wait([p.sentinel for p, _ in workers.values()], timeout=0.5)
        for index, (process, started) in list(workers.items()):
            if process.is_alive() or stopping:
                continue
            if time.monotonic() - started < CRASH_LOOP_SECONDS:
                say(f"worker {index} stopped (exit code {process.exitcode}) within "
                    f"{CRASH_LOOP_SECONDS:.0f} s of starting; stopping the server (its "
                    "messages above say why)")
                failed = True
                break
            say(f"worker {index} (pid {process.pid}) stopped with exit code "
                f"{process.exitcode}; starting it again")
            workers[index] = start(index)
    for process, _ in workers.values():
        if process.is_alive():
            process.terminate()  # SIGTERM: aiohttp finishes open requests and shuts down
    deadline = time.monotonic() + STOP_SECONDS
    for process, _ in workers.values():
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join()
    return 1 if failed else 0
