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

import pytest

from server.live import hub as hub_module
from server.live import talk
from server.live.fanout import RedisFanout
from server.live.hub import Hub
from server.live.talk import SharedTalk, Verdict


async def test_claims_hold_for_the_whole_tour_across_processes(redis_url: str) -> None:
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    here, there = RedisFanout("node-a", redis_url, prefix), RedisFanout("node-b", redis_url,
                                                                       prefix)
    try:
        for seat in (1, 2, 3):
            assert await (here if seat % 2 else there).claim_talk(7, seat, [], 0.4)
        assert not await there.claim_talk(7, 5, [4], 0.4)  # seat 4 holds the floor
        assert await here.claim_talk(7, 4, [], 0.4)
        assert not await there.claim_talk(7, 5, [], 0.4)
        assert await there.claim_talk(7, 1, [9], 0.4)  # a claim renewed, however full
        assert await here.claim_talk(8, 5, [], 0.4)  # another tour has places of its own
        await asyncio.sleep(0.2)
        for seat in (1, 2, 3):  # 4 stops speaking
            assert await here.claim_talk(7, seat, [], 0.4)
        await asyncio.sleep(0.25)
        assert await there.claim_talk(7, 5, [], 0.4)  # 4's place lapsed
        assert not await here.claim_talk(7, 4, [], 0.4)
        assert 0 < await here.redis.pttl(here.talk_key(7)) <= 400  # the key goes too
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
        assert time.monotonic() - started < talk.ASK_SECONDS + 0.2  # not left waiting
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
        assert time.monotonic() - started < 0.8
    finally:
        hub.rooms.clear()
        await hub.fanout.close()
