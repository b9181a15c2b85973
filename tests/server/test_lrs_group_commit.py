"""Batches that arrive together share one transaction, yet each succeeds or fails on its
own; SQLite's write-ahead log is copied back by the checkpointer, off the write path."""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from server.db.checkpoints import Checkpointer, no_automatic_checkpoint, open_writers_queue
from server.db.models import StatementAgent, StatementRow
from server.db.sqlite import writer_of
from server.keys import SESSIONS
from server.lrs import store
from server.lrs.group_commit import GroupCommit
from server.lrs.in_flight import stored_now
from server.lrs.store import StatementConflict, Writer
from tests.server.conftest import World
from tests.server.test_lrs import make_client, statement

WRITER = Writer(None, {"objectType": "Agent", "account": {"homePage": "http://t", "name": "t"}})


async def _stored_ids(world: World) -> set[str]:
    async with world.client.server.app[SESSIONS]() as db:
        return set((await db.scalars(select(StatementRow.id))).all())


async def test_each_batch_of_a_group_stands_or_falls_alone(world: World) -> None:
    sessions = world.client.server.app[SESSIONS]
    old = statement()
    await store.ingest(sessions, [old], WRITER)
    first = [statement(), statement(who="bo")]
    clashing_with_stored = [statement(), {**old, "verb": {"id": old["verb"]["id"] + "x"}}]
    clashing_with_first = [statement(), {**first[0], "object": {"id": "http://example.com/z"}}]
    repeating_first = [first[1], statement()]
    outcomes = await asyncio.gather(
        *(store.ingest(sessions, batch, WRITER) for batch in (
            first, clashing_with_stored, clashing_with_first, repeating_first)),
        return_exceptions=True)
    assert outcomes[0] == [s["id"] for s in first]
    assert isinstance(outcomes[1], StatementConflict) and outcomes[1].statement_id == old["id"]
    assert isinstance(outcomes[2], StatementConflict)
    assert outcomes[2].statement_id == first[0]["id"]
    assert outcomes[3] == [s["id"] for s in repeating_first]
    stored = await _stored_ids(world)
    assert {s["id"] for s in first + repeating_first} | {old["id"]} == stored
    async with sessions() as db:  # the index rows of the rejected batches are gone too
        rows = await db.scalar(select(func.count()).select_from(StatementAgent))
    assert rows == 2 * len(stored)  # the actor (direct) and the authority (related)


async def test_a_group_commits_many_batches_at_once() -> None:
    groups: list[int] = []

    async def write(items: list[int]) -> list[int | Exception]:
        groups.append(len(items))
        await asyncio.sleep(0.01)
        return [ValueError(f"odd {i}") if i % 2 else i * 10 for i in items]

    commit: GroupCommit[int, int] = GroupCommit(write)
    outcomes = await asyncio.gather(*(commit.submit(i) for i in range(8)),
                                    return_exceptions=True)
    assert groups == [8]
    assert outcomes[::2] == [0, 20, 40, 60]
    assert [str(e) for e in outcomes[1::2]] == ["odd 1", "odd 3", "odd 5", "odd 7"]


async def test_a_group_stops_at_its_size_limit() -> None:
    groups: list[list[int]] = []

    async def write(items: list[int]) -> list[int]:
        groups.append(items)
        return items

    commit: GroupCommit[int, int] = GroupCommit(write, size=lambda n: n, most=10)
    assert await asyncio.gather(*(commit.submit(n) for n in (4, 5, 3, 20, 1))) == \
        [4, 5, 3, 20, 1]
    assert groups == [[4, 5], [3], [20], [1]]


async def test_parallel_groups_overlap_up_to_their_limit() -> None:
    writing, most_at_once, groups = 0, 0, []

    async def write(items: list[int]) -> list[int]:
        nonlocal writing, most_at_once
        writing += 1
        most_at_once = max(most_at_once, writing)
        groups.append(items)
        await asyncio.sleep(0.05)
        writing -= 1
        return items

    async def later(commit: GroupCommit[int, int], items: range) -> list[int]:
        await asyncio.sleep(0.01)  # while the first group is being written
        return await asyncio.gather(*(commit.submit(i) for i in items))

    for parallel, expected in ((1, 1), (2, 2)):
        writing, most_at_once, groups = 0, 0, []
        commit: GroupCommit[int, int] = GroupCommit(write, parallel=parallel)
        first, second, third = await asyncio.gather(
            asyncio.gather(*(commit.submit(i) for i in range(3))),
            later(commit, range(3, 5)), later(commit, range(5, 9)))
        assert (first, second, third) == ([0, 1, 2], [3, 4], [5, 6, 7, 8])
        assert most_at_once == expected
        assert groups[0] == [0, 1, 2]
        assert sorted(n for group in groups for n in group) == list(range(9))


async def test_concurrent_posts_over_http_are_judged_one_by_one(world: World) -> None:
    headers = {**await make_client(world, ["write", "read"]), "Content-Type": "application/json"}
    old = statement()
    assert (await world.client.post("/xapi/statements", data=json.dumps([old]),
                                    headers=headers)).status == 200
    good = [[statement() for _ in range(20)] for _ in range(4)]
    bad = [statement(), {**old, "result": {"success": False}}]
    replies = await asyncio.gather(*(world.client.post(
        "/xapi/statements", data=json.dumps(batch), headers=headers) for batch in [*good, bad]))
    assert [r.status for r in replies] == [200, 200, 200, 200, 409]
    assert old["id"] in await replies[-1].text()
    stored = await _stored_ids(world)
    assert {s["id"] for batch in good for s in batch} <= stored
    assert bad[0]["id"] not in stored


async def test_on_sqlite_a_group_is_written_off_the_event_loop(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    sessions = world.client.server.app[SESSIONS]
    engine = sessions.kw["bind"].sync_engine
    if engine.dialect.name != "sqlite":
        assert writer_of(engine) is None  # PostgreSQL's driver is asynchronous already
        return
    threads: list[str] = []
    store_in = store._store_in

    def spying(*args: object) -> list[list[str] | Exception]:
        threads.append(threading.current_thread().name)
        return store_in(*args)

    monkeypatch.setattr(store, "_store_in", spying)
    ticks = 0

    async def ticking() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    ticker = asyncio.create_task(ticking())
    batch = [statement() for _ in range(400)]
    try:
        assert await store.ingest(sessions, batch, WRITER) == [s["id"] for s in batch]
    finally:
        ticker.cancel()
    assert threads and all(name.startswith("sqlite writer") for name in threads)
    assert ticks > 10  # the loop went on running while the group was written
    assert {s["id"] for s in batch} <= await _stored_ids(world)


class WriteLock:
    """SQLite's write lock, held by another connection from a thread until released."""

    def __init__(self, database_url: str) -> None:
        self.path = database_url.split("///", 1)[1]
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold)

    def _hold(self) -> None:
        other = sqlite3.connect(self.path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        other.execute("CREATE TABLE held_briefly (x)")
        self.locked.set()
        self.release.wait(10)
        other.execute("COMMIT")
        other.close()

    async def __aenter__(self) -> WriteLock:
        self.thread.start()
        assert await asyncio.to_thread(self.locked.wait, 10)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        self.release.set()
        await asyncio.to_thread(self.thread.join, 10)


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@SQLITE_ONLY  # the write lock is held with SQLite's own means
async def test_on_sqlite_a_group_waits_for_another_writer_instead_of_failing(
        world: World, database_url: str) -> None:
    sessions = world.client.server.app[SESSIONS]
    batch = [statement() for _ in range(5)]
    async with WriteLock(database_url) as lock:
        asyncio.get_running_loop().call_later(0.5, lock.release.set)
        began = time.perf_counter()
        assert await store.ingest(sessions, batch, WRITER) == [s["id"] for s in batch]
        assert time.perf_counter() - began >= 0.4  # it waited for the lock, then wrote
    assert {s["id"] for s in batch} <= await _stored_ids(world)


@SQLITE_ONLY
async def test_consistent_through_stays_before_a_group_still_being_written(
        world: World, database_url: str) -> None:
    headers = await make_client(world, ["write", "read"])
    late = statement()
    async with WriteLock(database_url):
        writing = asyncio.create_task(
            store.ingest(world.client.server.app[SESSIONS], [late], WRITER))
        await asyncio.sleep(0.3)  # the group has its stored time and waits for the lock
        reply = await world.client.get("/xapi/statements", headers=headers)
        through = reply.headers["X-Experience-API-Consistent-Through"]
        assert late["id"] not in await reply.text()
    await writing
    reply = await world.client.get("/xapi/statements", params={"statementId": late["id"]},
                                   headers=headers)
    stored = (await reply.json())["stored"]
    # a reader that trusted the header would otherwise never look for this statement
    assert datetime.fromisoformat(through) < datetime.fromisoformat(stored)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_on_postgresql_consistent_through_stays_before_another_hosts_open_write(
        world: World, database_url: str) -> None:
    # Another host: its own engine and connections, and no memory shared with this server;
    # only the database knows its transaction is open.
    other_host = create_async_engine(database_url)
    headers = await make_client(world, ["write", "read"])
    late = statement()
    try:
        async with async_sessionmaker(other_host).begin() as db:
            await store.insert_statements(db, [late], WRITER, *stored_now(), False)
            await asyncio.sleep(0.05)
            await store.ingest(world.client.server.app[SESSIONS], [statement()], WRITER)
            reply = await world.client.get("/xapi/statements", headers=headers)
            through = reply.headers["X-Experience-API-Consistent-Through"]
            assert late["id"] not in await reply.text()
    finally:
        await other_host.dispose()
    # a reader polling with since=<header> finds the statement committed late
    reply = await world.client.get("/xapi/statements", params={"since": through},
                                   headers=headers)
    assert late["id"] in {s["id"] for s in (await reply.json())["statements"]}
    reply = await world.client.get("/xapi/statements", headers=headers)
    assert reply.headers["X-Experience-API-Consistent-Through"] > through


def _write_rows(path: Path, count: int) -> None:
    connection = sqlite3.connect(path)
    no_automatic_checkpoint(connection, None)
    with connection:
        connection.executemany("INSERT INTO t (body) VALUES (?)",
                               [("x" * 2000,) for _ in range(count)])
    connection.close()


@pytest.fixture
def wal_database(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "log.db"
    keeper = sqlite3.connect(path)  # keeps the log from being folded in on close
    keeper.execute("PRAGMA journal_mode=WAL")
    keeper.execute("CREATE TABLE t (body TEXT)")
    keeper.commit()
    yield path
    keeper.close()


def test_without_the_checkpointer_the_log_keeps_growing(wal_database: Path) -> None:
    _write_rows(wal_database, 2000)
    before = wal_database.with_name("log.db-wal").stat().st_size
    _write_rows(wal_database, 2000)
    assert wal_database.with_name("log.db-wal").stat().st_size > before * 1.5


def test_the_checkpointer_copies_the_log_back_so_it_restarts(wal_database: Path) -> None:
    _write_rows(wal_database, 2000)
    checkpointer = Checkpointer(str(wal_database))
    in_log, copied = checkpointer.checkpoint()
    assert in_log > 1000 and copied == in_log
    before = wal_database.with_name("log.db-wal").stat().st_size
    _write_rows(wal_database, 2000)  # the next writer starts the log from its beginning
    assert wal_database.with_name("log.db-wal").stat().st_size < before * 1.1
    assert checkpointer.checkpoint()[0] < in_log * 1.2
    checkpointer.close()
    count = sqlite3.connect(wal_database).execute("SELECT count(*) FROM t").fetchone()[0]
    assert count == 4000


def test_under_writes_that_never_pause_the_log_stops_growing(wal_database: Path) -> None:
    # Each passive checkpoint ends with newer frames behind it, so the log is never reset
    # by itself and grows with every write; past its limit the checkpointer restarts it in
    # the writers' turn, and the file is written over instead of growing. The writer writes
    # a fixed amount, however long that takes on a loaded machine, at about the pace of the
    # server's log under full ingest (a group commit every few milliseconds): the gaps are
    # shorter than any checkpoint, so none ever finds the log still.
    rows, batch = 40_000, 20  # about 80 MiB of rows, 10 log resets' worth
    done = threading.Event()

    def write() -> None:
        # like the server's writer threads, it takes its turn on the writers' queue; a
        # writer that did not could win SQLite's lock back after every commit, before the
        # checkpointer's busy handler woke, and keep the log from restarting
        connection = sqlite3.connect(wal_database, timeout=30, isolation_level=None)
        no_automatic_checkpoint(connection, None)
        queue = open_writers_queue(str(wal_database))
        try:
            for _ in range(rows // batch):
                fcntl.flock(queue, fcntl.LOCK_EX)
                connection.execute("BEGIN IMMEDIATE")
                connection.executemany("INSERT INTO t (body) VALUES (?)",
                                       [("x" * 2000,)] * batch)
                connection.execute("COMMIT")
                fcntl.flock(queue, fcntl.LOCK_UN)
                time.sleep(0.001)
        finally:
            done.set()
            os.close(queue)
            connection.close()

    writer = threading.Thread(target=write)
    checkpointer = Checkpointer(str(wal_database), reset_pages=2000)  # 8 MiB
    log = wal_database.with_name("log.db-wal")
    largest = 0
    writer.start()
    try:
        while not done.wait(0.05):
            largest = max(largest, log.stat().st_size)
            checkpointer.checkpoint()
    finally:
        writer.join()
        checkpointer.close()
    written = rows * 2000
    assert checkpointer.resets >= 1
    # Without the resets the log would hold every row written (more than ``written``).
    assert largest < written / 2, (largest, written)
    count = sqlite3.connect(wal_database).execute("SELECT count(*) FROM t").fetchone()[0]
    assert count == rows
