"""The tours this server process is running, and what they share: fan-out and storage."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.catalog_store import PackageStore
from server.live.fanout import Fanout, LocalFanout, RedisFanout
from server.live.loading import load_plan
from server.live.poses import InterestSettings
from server.live.recorder_port import RecorderFactory
from server.live.room import LiveTour
from server.participation_store import Learning, store

log = logging.getLogger("redhall.tours")
WITHDRAW_SECONDS = 2.0


class Hub:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], packages: PackageStore,
                 redis_url: str | None = None, redis_prefix: str = "redhall",
                 hold_seconds: float = 60.0,
                 tick_hz: float = 20.0, relay_hz: float = 100.0,
                 interest: InterestSettings | None = None,
                 learning: Learning | None = None,
                 on_stored: Callable[[list[dict[str, Any]]], None] | None = None,
                 recorder_factory: RecorderFactory | None = None) -> None:
        self.node = uuid.uuid4().hex[:12]
        self.sessions = sessions
        self.packages = packages
        self.fanout: Fanout = RedisFanout(self.node, redis_url, redis_prefix) if redis_url \
            else LocalFanout(self.node)
        self.hold_seconds = hold_seconds
        self.tick_hz = tick_hz
        self.relay_hz = relay_hz
        self.interest = interest
        self.learning = learning
        self.on_stored = on_stored
        self.recorder_factory = recorder_factory  # each tour opened calls it (None: unrecorded)
        self.rooms: dict[int, LiveTour] = {}
        self._opening: dict[int, asyncio.Lock] = {}
        self.retire_seconds = 5.0  # an ended tour's late departures are applied meanwhile
        self._retiring: set[asyncio.Task[None]] = set()

    async def room(self, tour_id: int) -> LiveTour:
        """The running tour, started on this process on first use.

        Raises:
            NoSuchTour: no such tour, or it was cancelled.
            TourOver: the tour has ended (and its room was let go).
        """
        if tour_id in self.rooms:
            return self.rooms[tour_id]
        async with self._opening.setdefault(tour_id, asyncio.Lock()):
            if tour_id not in self.rooms:
                plan = await load_plan(self.sessions, self.packages, tour_id, self.hold_seconds)
                room = LiveTour(self, plan, self.tick_hz, self.interest, self.relay_hz)
                try:
                    await self.fanout.attach(room)
                except BaseException:
                    await room.close(grace=0)  # its tasks and recorder go with it
                    raise
                self.rooms[tour_id] = room
        return self.rooms[tour_id]

    def ended(self, room: LiveTour) -> None:
        """Lets go of an ended tour's room after ``retire_seconds``: its tasks, its pose
        tick and, with Redis, its log reader's connection would otherwise last as long as
        the process. Joining it afterwards is refused (``load_plan`` finds the end)."""
        def retire() -> None:
            task = asyncio.ensure_future(self._retire(room))
            self._retiring.add(task)
            task.add_done_callback(self._retiring.discard)
        asyncio.get_running_loop().call_later(self.retire_seconds, retire)

    async def _retire(self, room: LiveTour) -> None:
        if self.rooms.get(room.tour_id) is room:
            del self.rooms[room.tour_id]
            self._opening.pop(room.tour_id, None)
            await self.fanout.detach(room)
            await room.close()

    async def withdraw_voice(self, user: int) -> None:
        """``user`` withdrew their consent to keep their voice, or their account went: the
        tours recorded on any process sharing this one's Redis keep no more of it and drop
        what they kept (this process's at once, the others' as Redis carries it)."""
        for room in list(self.rooms.values()):
            room.voice_withdrawn(user)
        try:
            async with asyncio.timeout(WITHDRAW_SECONDS):  # a stuck Redis holds no request
                await self.fanout.publish_withdrawal(user)
        except Exception as exc:  # noqa: BLE001  the recording's own check at its end remains
            log.warning("telling other processes that user %s withdrew their voice failed "
                        "(%s); their recordings take it out as they are stored", user,
                        str(exc) or type(exc).__name__)

    async def store_rows(self, rows: Sequence[dict[str, Any]]) -> None:
        fresh = await store(self.sessions, rows, self.learning)
        if self.on_stored is not None:
            self.on_stored(fresh)

    async def shutdown(self) -> None:
        """Tells every participant the server is going away (they resume elsewhere)."""
        for room in self.rooms.values():
            for conn in list(room.conns.values()):
                conn.close(1001, "server shutting down; join again shortly")

    async def close(self) -> None:
        for room in list(self.rooms.values()):
            await self.fanout.detach(room)
            await room.close()
        self.rooms.clear()
        await self.fanout.close()
