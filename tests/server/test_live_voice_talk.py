"""The open floor's places in Redis, shared by every process of a tour: at most 4 members
speak at once (the floor's holders counted), a place lapses after its member stops, and
with Redis down or silent each process counts its own speakers instead. A withdrawn voice
consent with Redis silent still reaches this process's tours, and holds up no request."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest

from protocol import tour as wire
from server.live import hub as hub_module
from server.live import talk
from server.live.fanout import RedisFanout
from server.live.hub import Hub
from server.live.talk import SharedTalk, Verdict


async def test_claims_hold_for_the_whole_tour_across_processes(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    here, there = RedisFanout("node-a", redis_url, prefix), RedisFanout("node-b", redis_url,
                                                                       prefix)
    long, short = 5.0, 0.3  # seat 4's claim lapses within the test, the others' do not
    try:
        for seat in (1, 2, 3):
            assert await (here if seat % 2 else there).claim_talk(7, seat, [], long)
        assert not await there.claim_talk(7, 5, [4], long)  # seat 4 holds the floor
        assert await here.claim_talk(7, 4, [], short)
        assert not await there.claim_talk(7, 5, [], long)
        assert await there.claim_talk(7, 1, [9], long)  # a claim renewed, however full
        assert await here.claim_talk(8, 5, [], long)  # another tour has places of its own
        await asyncio.sleep(short + 0.3)  # 4 stops speaking; the others' claims still hold
        assert await there.claim_talk(7, 5, [], long)  # 4's place lapsed
        assert not await here.claim_talk(7, 4, [], long)
        assert 0 < await here.redis.pttl(here.talk_key(7)) <= long * 1000  # the key goes too
    finally:
        await here.redis.delete(here.talk_key(7), here.talk_key(8))
        await here.close()
        await there.close()


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A port that accepts connections and never answers: Redis stuck or far too slow."""
    held: list[asyncio.StreamWriter] = []

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


@pytest.mark.parametrize("where", ["down", "silent"])
async def test_without_an_answer_from_redis_each_process_counts_its_own(
        where: str, silent_port: int) -> None:
    port = 1 if where == "down" else silent_port
    fanout = RedisFanout("node-a", f"redis://127.0.0.1:{port}/0", prefix="unreachable")
    answers: list[tuple[int, bool, list[str]]] = []
    shared: SharedTalk[str] = SharedTalk(
        lambda seat, holders: fanout.claim_talk(7, seat, holders, talk.TALK_SECONDS),
        lambda seat, granted, held: answers.append((seat, granted, held)))
    try:
        started = time.monotonic()
        assert shared.admit(1, started, [], "a") is Verdict.HELD
        assert shared.admit(1, started, [], "b") is Verdict.HELD
        async with asyncio.timeout(5):
            while not answers:  # noqa: ASYNC110  polls the answer the talk hands over
                await asyncio.sleep(0.01)
        assert answers == [(1, True, ["a", "b"])]  # what was held is relayed
        # not left waiting for an answer that never comes (a wide margin for a loaded machine)
        assert time.monotonic() - started < talk.ASK_SECONDS + 1.5
        now = time.monotonic()
        assert [shared.admit(seat, now, [4], "c") for seat in (1, 2, 3, 5)] == \
            [Verdict.SPEAK, Verdict.SPEAK, Verdict.SPEAK, Verdict.BUSY]
        assert len(answers) == 1  # decided at once, no claim asked meanwhile
    finally:
        await shared.close()
        await fanout.close()


async def test_a_withdrawal_with_redis_silent_reaches_this_process_and_returns(
        silent_port: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hub_module, "WITHDRAW_SECONDS", 0.3)
    hub = Hub(None, None, f"redis://127.0.0.1:{silent_port}/0")  # type: ignore[arg-type]
    told: list[int] = []
    hub.rooms[5] = SimpleNamespace(voice_withdrawn=told.append)  # type: ignore[assignment]
    try:
        started = time.monotonic()
        await hub.withdraw_voice(42)
        assert told == [42]
        assert time.monotonic() - started < 2.5  # silent Redis would hold it for ever
    finally:
        hub.rooms.clear()
        await hub.fanout.close()


async def test_the_listener_outlives_odd_messages_and_a_redis_timeout(redis_url: str) -> None:
    from redis.exceptions import TimeoutError as RedisTimeoutError

    prefix = f"test-{uuid.uuid4().hex[:8]}"
    here, there = RedisFanout("node-a", redis_url, prefix), RedisFanout("node-b", redis_url,
                                                                       prefix)
    here.LISTEN_RETRY_SECONDS = 0.05
    listen, failed = here.pubsub.listen, list[bool]()

    def flaky() -> AsyncIterator[Any]:  # the first listen times out, as a busy Redis does
        if not failed:
            failed.append(True)
            raise RedisTimeoutError("Timeout reading from socket")
        return listen()

    here.pubsub.listen = flaky  # type: ignore[method-assign]
    told: list[int] = []

    def withdrawn(user: int) -> None:
        if user == 13:
            raise RuntimeError("a recorder that fails")
        told.append(user)

    room = SimpleNamespace(tour_id=7, inbox=asyncio.Queue(), voice_withdrawn=withdrawn)
    try:
        await here.attach(room)  # type: ignore[arg-type]
        async with asyncio.timeout(5):
            while not failed or here.pubsub.connection is None:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        await asyncio.sleep(0.1)  # subscribed again
        await there.redis.publish(here.withdrawn_channel, b"no sender")  # no "|"
        await there.publish_withdrawal(13)
        await there.publish_withdrawal(42)
        async with asyncio.timeout(5):
            while not told:  # noqa: ASYNC110  polls what the listener delivers
                await asyncio.sleep(0.01)
        assert told == [42]
        assert here._listener is not None and not here._listener.done()
    finally:
        await here.close()
        await there.close()


async def test_a_crowd_against_a_full_floor_asks_redis_a_few_times_a_second(
        redis_url: str) -> None:
    """200 members pressing to talk while 4 speak: a handful of claims a second, not one
    per member; a place given back (its member silenced) goes to the next who asks."""
    fanout = RedisFanout("node-a", redis_url, f"test-{uuid.uuid4().hex[:8]}")
    asked: list[int] = []

    async def claim(seat: int, holders: list[int]) -> bool:
        asked.append(seat)
        return await fanout.claim_talk(7, seat, holders, 5.0)

    answers: list[tuple[int, bool]] = []
    shared: SharedTalk[str] = SharedTalk(
        claim, lambda seat, granted, held: answers.append((seat, granted)),
        lambda seat: fanout.release_talk(7, seat))
    try:
        for seat in (1, 2, 3, 4):
            assert await fanout.claim_talk(7, seat, [], 5.0)  # speaking on other processes
        started = time.monotonic()
        while (now := time.monotonic()) - started < 0.6:
            for seat in range(10, 210):
                assert shared.admit(seat, now, [], "x") in (Verdict.BUSY, Verdict.HELD)
            await asyncio.sleep(0.02)  # a packet each 20 ms
        await asyncio.sleep(0.05)
        assert answers and not any(granted for _, granted in answers)
        assert len(asked) <= wire.MAX_FLOOR + 0.6 / talk.RETRY_SECONDS + 2, asked  # not 200 × 3

        await fanout.release_talk(7, 4)  # seat 4 silenced: its place given back
        async with asyncio.timeout(5):
            while not any(granted for _, granted in answers):
                now = time.monotonic()
                for seat in range(10, 210):
                    shared.admit(seat, now, [], "x")
                await asyncio.sleep(0.02)
        winner = next(seat for seat, granted in answers if granted)
        shared.release(winner)
        async with asyncio.timeout(5):
            while await fanout.redis.zscore(fanout.talk_key(7), winner) is not None:  # noqa: ASYNC110
                await asyncio.sleep(0.01)
        assert winner not in shared.until
    finally:
        await shared.close()
        await fanout.redis.delete(fanout.talk_key(7))
        await fanout.close()
