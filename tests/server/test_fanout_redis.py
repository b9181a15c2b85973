"""The Redis fan-out under a crowd: inputs from hundreds of connections at the same moment
(a tour's members all leaving as it ends, or all joining as it starts) reach the tour's
log in order, over a bounded number of Redis connections."""

from __future__ import annotations

import asyncio
import uuid
from types import SimpleNamespace

from server.live.fanout import RedisFanout
from server.live.inputs import Leave, decode


async def test_a_crowd_of_inputs_at_once_all_reach_the_log_in_order(redis_url: str) -> None:
    fanout = RedisFanout("node-a", redis_url, prefix=f"test-{uuid.uuid4().hex[:8]}")
    tour = SimpleNamespace(tour_id=7)
    try:
        # more at once than a Redis connection pool holds (100 by default)
        await asyncio.gather(*(fanout.append(tour, Leave(seat, f"conn-{seat}", 0.0))  # type: ignore[arg-type]
                               for seat in range(600)))
        entries = await fanout.redis.xrange(fanout.log_key(7))
        assert [decode(fields[b"input"]).seat for _, fields in entries] == list(range(600))  # type: ignore[union-attr]
        assert await fanout.redis.ttl(fanout.log_key(7)) > 0  # the log expires in the end
    finally:
        await fanout.redis.delete(fanout.log_key(7))
        await fanout.close()


async def test_an_input_that_cannot_be_written_fails_for_its_sender(redis_url: str) -> None:
    fanout = RedisFanout("node-a", "redis://127.0.0.1:1/0", prefix="unreachable")
    try:
        raised = None
        try:
            await asyncio.wait_for(fanout.append(SimpleNamespace(tour_id=1),  # type: ignore[arg-type]
                                                 Leave(1, "conn", 0.0)), 10)
        except Exception as exc:  # noqa: BLE001 - which error is the client library's
            raised = exc
        assert raised is not None and not isinstance(raised, asyncio.TimeoutError)
    finally:
        await fanout.close()


class _Room:
    """What the fan-out needs of a tour: its id, its inbox, and where remote poses go."""

    def __init__(self, tour_id: int) -> None:
        self.tour_id = tour_id
        self.inbox: asyncio.Queue[object] = asyncio.Queue()
        self.poses: asyncio.Queue[bytes] = asyncio.Queue()

    def remote_poses(self, blob: bytes) -> None:
        self.poses.put_nowait(blob)


async def test_poses_keep_arriving_after_redis_drops_the_subscription(redis_url: str) -> None:
    """A Redis restart, or a server-side kill of the connection, must not stop poses from
    crossing processes for the rest of the tour."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    here, there = RedisFanout("node-a", redis_url, prefix), RedisFanout("node-b", redis_url,
                                                                        prefix)
    room = _Room(9)
    try:
        await here.attach(room)  # type: ignore[arg-type]
        await there.publish_poses(room, b"first")  # type: ignore[arg-type]
        assert await asyncio.wait_for(room.poses.get(), 5) == b"first"
        killed = await there.redis.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        assert killed >= 1
        async with asyncio.timeout(10):
            while True:  # published until the listener is back on the channel
                await there.publish_poses(room, b"again")  # type: ignore[arg-type]
                try:
                    assert await asyncio.wait_for(room.poses.get(), 0.2) == b"again"
                    break
                except TimeoutError:
                    pass
    finally:
        await here.close()
        await there.close()


async def test_a_tour_opened_after_the_last_one_closed_still_gets_poses(redis_url: str) -> None:
    """Ended tours let go of their channels; the next tour on the same process subscribes
    afresh and must hear the other processes again."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    here, there = RedisFanout("node-a", redis_url, prefix), RedisFanout("node-b", redis_url,
                                                                        prefix)
    first, second = _Room(1), _Room(2)
    try:
        await here.attach(first)  # type: ignore[arg-type]
        await here.detach(first)  # type: ignore[arg-type]
        await asyncio.sleep(0.2)  # the listener has seen the last unsubscribe
        await here.attach(second)  # type: ignore[arg-type]
        await there.publish_poses(second, b"pose")  # type: ignore[arg-type]
        assert await asyncio.wait_for(second.poses.get(), 5) == b"pose"
    finally:
        await here.close()
        await there.close()
