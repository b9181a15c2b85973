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
