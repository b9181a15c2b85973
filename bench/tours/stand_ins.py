"""Stand-ins for the other server processes of a tour shared through Redis.

Three `redhall serve` processes sharing a tour each need a core, and the load generator
another. On a smaller machine one process's share of such a tour is measured instead:
that process runs alone on its core, with a third of the participants as real clients,
and the other two processes are stood in for on Redis. A stand-in does there what a
process with its own members does, as the measured process sees it:

- its members' joins go into the tour's log under its node name, and its heartbeat key
  stays fresh, so the measured process seats them, lists them in every welcome and keeps
  them;
- every relay interval it publishes the poses its members sent since the last one (each
  member 20 a second, varying as the generator's participants' poses do), spread over the
  floor like theirs.

A few of its members are remote observers standing with the generator's observers: their
poses carry fresh sequence numbers and are timed from when their member would have sent
them, one relay wait (drawn uniformly over the interval) before the publication.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from typing import Protocol

from bench.tours.sway import VARIANTS, swaying
from protocol.tour_poses import Pose, Transform, encode_pose, frame_entry
from server.live.fanout import RedisFanout
from server.live.inputs import Join, decode, encode

POSES_PER_SECOND = 20


class Timing(Protocol):
    """The generator's latency bookkeeping (``generator.Stats``)."""

    sent_at: dict[tuple[int, int], float]
    observer_seats: set[int]
    stood_in_seats: set[int]
    measuring: bool
    expected: int


class StandIn:
    def __init__(self, redis_url: str, prefix: str, tour: int, users: list[int],
                 observers: int, spread: float, rng: random.Random) -> None:
        self.fanout = RedisFanout(f"stand-in-{uuid.uuid4().hex[:8]}", redis_url, prefix)
        self.tour = tour
        self.users = users  # accounts of their own, as the tour's records name them
        self.observer_users = set(self.users[:observers])
        self.spread = spread
        self.rng = rng
        self.seats: dict[int, int] = {}  # user -> seat
        self.late = 0.0  # seconds publications started behind their schedule

    async def join(self) -> None:
        """Puts its members' joins into the tour's log and says the stand-in is alive."""
        redis, now = self.fanout.redis, time.time()
        await redis.set(self.fanout.alive_key(self.fanout.node), "1", ex=RedisFanout.NODE_TTL)
        async with redis.pipeline(transaction=False) as pipe:
            for user in self.users:
                join = Join(user, f"党员{user}", uuid.uuid4().hex, uuid.uuid4().hex, now)
                pipe.xadd(self.fanout.log_key(self.tour),
                          {"node": self.fanout.node, "input": encode(join)})
            await pipe.execute()

    async def find_seats(self) -> None:
        """Each member's seat: as every process does, seats go to new users in log order."""
        entries = await self.fanout.redis.xrange(self.fanout.log_key(self.tour))
        order: dict[int, int] = {}
        for _, fields in entries:
            event = decode(fields[b"input"])
            if isinstance(event, Join) and event.user not in order:
                order[event.user] = len(order)
        self.seats = {user: order[user] for user in self.users}

    async def relay(self, timing: Timing, receivers: int, relay_hz: float,
                    until: float) -> None:
        """Publishes its members' poses every relay interval until ``until`` (perf_counter),
        keeping its heartbeat; ``receivers`` local observers time the remote observers'."""
        slots = max(1, round(relay_hz / POSES_PER_SECOND))  # each member once a tick
        interval = 1.0 / relay_hz
        groups: list[list[int]] = [[] for _ in range(slots)]
        for index, user in enumerate(self.users):
            if user not in self.observer_users:
                groups[index % slots].append(user)
        entries = {user: self._swaying_entries(user) for group in groups for user in group}
        blobs = [[b"".join(entries[user][variant] for user in group) for group in groups]
                 for variant in range(VARIANTS)]
        watchers = [self.seats[u] for u in sorted(self.observer_users)]
        timing.observer_seats.update(watchers)
        timing.stood_in_seats.update(watchers)
        sequence = {seat: 0 for seat in watchers}
        redis, channel = self.fanout.redis, self.fanout.channel(self.tour)
        slot, next_at, next_beat = 0, time.perf_counter(), 0.0
        while time.perf_counter() < until:
            now = time.perf_counter()
            if now >= next_beat:
                await redis.set(self.fanout.alive_key(self.fanout.node), "1",
                                ex=RedisFanout.NODE_TTL)
                next_beat = now + RedisFanout.HEARTBEAT_SECONDS
            blob = blobs[(slot // slots) % VARIANTS][slot % slots]
            for seat in watchers[slot % slots::slots]:
                sequence[seat] = (sequence[seat] + 1) & 0xFFFF
                x, z = self.rng.uniform(0, 3), self.rng.uniform(0, 3)
                blob += frame_entry(seat, encode_pose(Pose(Transform((x, 1.6, z)),
                                                           seq=sequence[seat])))
                timing.sent_at[(seat, sequence[seat])] = \
                    time.perf_counter() - self.rng.uniform(0, interval)
                if timing.measuring:
                    timing.expected += receivers
            await redis.publish(channel, self.fanout.sender + blob)
            slot += 1
            next_at += interval
            delay = next_at - time.perf_counter()
            if delay < 0:
                self.late -= delay
                next_at = time.perf_counter()
            await asyncio.sleep(max(0.0, delay))

    def _swaying_entries(self, user: int) -> list[bytes]:
        """A member's pre-encoded pose entries, one per variant, at a place fixed by its
        user id, swaying as the generator's participants do."""
        place = random.Random(user)
        x, z = place.uniform(-self.spread, self.spread), place.uniform(-self.spread,
                                                                       self.spread)
        return [frame_entry(self.seats[user], pose) for pose in swaying(x, z)]

    async def close(self) -> None:
        await self.fanout.redis.delete(self.fanout.alive_key(self.fanout.node))
        await self.fanout.close()
