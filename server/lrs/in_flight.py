"""Statement writes still in flight, for ``X-Experience-API-Consistent-Through``.

A write takes its stored time before its transaction commits, and several overlap (two
statement groups, participation facts, credit awards; and, with ``redhall serve
--workers``, those of every worker). The header must stay before the oldest of them, or a
client polling with ``since=<last header>`` would never see statements committed late.

On SQLite each process counts its own writes. Workers sharing one database file also
publish their oldest in-flight stored time in a :class:`Board`, a small memory-mapped file
with one slot per worker, which every worker reads when it answers a query.

PostgreSQL may be shared by servers on several hosts, whose clocks differ and which share
no board. There a write takes its stored time from the database's clock: the start of its
own transaction, which every server sees in ``pg_stat_activity`` until the commit. The
header stays before the oldest transaction open on the database.
"""

from __future__ import annotations

import contextlib
import mmap
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Dialect, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

_EMPTY = 0  # a slot with no write in flight
_SLOT_BYTES = 8  # microseconds since the epoch; an aligned 8-byte store is never torn


def stored_now() -> tuple[datetime, str]:
    """Now, to the millisecond, as a datetime and as the xAPI timestamp text."""
    return _stored(datetime.now(UTC))


def _stored(moment: datetime) -> tuple[datetime, str]:
    moment = moment.astimezone(UTC)
    moment = moment.replace(microsecond=moment.microsecond // 1000 * 1000)
    return moment, timestamp_text(moment)


def timestamp_text(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class Board:
    """One slot per worker process: the oldest stored time it has in flight, or empty."""

    def __init__(self, path: Path, slots: int, mine: int) -> None:
        with path.open("r+b") as file:
            self._map = mmap.mmap(file.fileno(), slots * _SLOT_BYTES)
        self._slots = memoryview(self._map).cast("q")
        self.mine = mine
        self._slots[mine] = _EMPTY  # a worker restarted after a crash drops its old entry

    @staticmethod
    def create(path: Path, slots: int) -> None:
        """A board with every slot empty (before the workers start)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(bytes(slots * _SLOT_BYTES))

    def publish(self, oldest: datetime | None) -> None:
        self._slots[self.mine] = _EMPTY if oldest is None else _micros(oldest)

    def oldest(self) -> datetime | None:
        held = [value for value in self._slots if value != _EMPTY]
        return datetime.fromtimestamp(min(held) / 1_000_000, UTC) if held else None

    def close(self) -> None:
        self._slots.release()
        self._map.close()


_STORING: Counter[datetime] = Counter()
_board: Board | None = None


def share(board: Board | None) -> None:
    """Publish this process's writes in ``board`` (None: this process is the only one)."""
    global _board
    if _board is not None and _board is not board:
        _board.publish(None)
    _board = board


def _publish() -> None:
    if _board is not None:
        _board.publish(min(_STORING) if _STORING else None)


@contextlib.contextmanager
def storing() -> Iterator[tuple[datetime, str]]:
    """The stored time (and its text) for statements that the block commits; until it
    ends, :func:`consistent_through` stays before it, in every worker."""
    if _board is not None:
        # Published before the stored time is taken: a worker that reads the board
        # before this lands took its "now" earlier than this stored time.
        _board.publish(min(_STORING) if _STORING else stored_now()[0])
    stored_at, stored_text = stored_now()
    _STORING[stored_at] += 1
    _publish()
    try:
        yield stored_at, stored_text
    finally:
        _STORING[stored_at] -= 1
        if not _STORING[stored_at]:
            del _STORING[stored_at]
        _publish()


def consistent_through() -> str:
    """A time up to which every statement stored so far is already visible: just before
    the oldest write still in flight (in any worker), or now."""
    now = stored_now()[0]  # taken before the board is read (see storing)
    oldest = [moment for moment in (min(_STORING) if _STORING else None,
                                    _board.oldest() if _board else None) if moment]
    # a millisecond before: a write that starts after this may still take ``now`` itself
    return timestamp_text(min([now, *oldest]) - timedelta(milliseconds=1))


def shared_by_hosts(dialect: Dialect) -> bool:
    """Whether the database tracks writes in flight itself (PostgreSQL)."""
    return dialect.name == "postgresql"


async def transaction_time(db: AsyncSession) -> tuple[datetime, str]:
    """PostgreSQL: the stored time for statements the open transaction ``db`` commits, the
    start of that transaction on the database's clock."""
    return _stored(await db.scalar(text("SELECT now()")))


# ``now()`` is the reader's own start, taken before it reads the view: a transaction that
# began earlier is in the view by then, and one that begins later starts after ``now()``
_OLDEST_OPEN = text(
    "SELECT now(), min(xact_start) FROM pg_stat_activity WHERE datname = current_database() "
    "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")


async def consistent_through_in(sessions: async_sessionmaker[AsyncSession]) -> str:
    """:func:`consistent_through` for a query on this database: on PostgreSQL, just before
    the oldest transaction open on it (any server's), or the database's now."""
    if not shared_by_hosts(sessions.kw["bind"].dialect):
        return consistent_through()
    async with sessions() as db:
        now, oldest = (await db.execute(_OLDEST_OPEN)).one()
    return timestamp_text(min(now, oldest or now).astimezone(UTC) - timedelta(milliseconds=1))
