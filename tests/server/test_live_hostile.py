"""Hostile or broken clients on the live-tour websocket: numbers that are not numbers, facts
out of time, ids chosen to collide with the tour's own records, paced floods, connections
cut before the hello. None of them costs anyone else anything."""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
import uuid
from typing import Any

import pytest

from engine.tour_client import TourClient, TourClosed
from protocol import tour as wire
from protocol.participation import HotspotViewed, stored_id
from protocol.tour_poses import Pose, Transform, encode_pose
from server.keys import HUB, SESSIONS
from server.live.inputs import Command
from server.live.state import RECORD_NAMESPACE
from server.participation_store import facts_of
from tests.server.conftest import World
from tests.server.live_support import participant, publish, schedule
from tools.build import BuildResult


async def _tour(world: World, samples: dict[str, BuildResult], capacity: int = 3) -> int:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a],
                          capacity=capacity)


async def _join(world: World, tour: int, who: str) -> TourClient:
    client = participant(world.client, tour, world.tokens[who])
    await client.connect()
    return client


def _fact(fact_id: uuid.UUID | None = None) -> HotspotViewed:
    return HotspotViewed(id=fact_id or uuid.uuid4(), at=time.time(), session=uuid.uuid4(),
                         exhibit="founding", exhibit_version="1.0.0",
                         scene="first-congress-site", hotspot="table", dwell_seconds=4.5)


async def _stored_client_ids(world: World, tour: int) -> set[str]:
    return {f.detail["fact"]["id"] for f in await facts_of(world.client.server.app[SESSIONS],
                                                          tour=tour)
            if "fact" in f.detail}


async def test_a_laser_of_nan_is_refused_and_late_joiners_read_their_welcome(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await _tour(world, samples)
    guide = await _join(world, tour, "guide")
    await guide.send(wire.Start())
    await guide.expect("phase", phase="live")
    for raw in ('{"type": "laser", "origin": [NaN, 0, 1], "target": [1, 2, 3]}',
                '{"type": "laser", "origin": [0, 0, 1], "target": [Infinity, 2, 3]}',
                '{"type": "laser", "origin": [0, 0, 1e300], "target": null}',
                '{"type": "gather", "countdown": NaN, "at": [0, 0, 0]}',
                '{"type": "ping", "sent": -Infinity}'):
        await guide.send_raw(raw)
        refused = await guide.expect("error")
        assert refused.code == "bad_message", raw
    late = await _join(world, tour, "member")  # its welcome is read and validated
    assert late.welcome is not None and late.welcome.snapshot.laser is None
    await guide.send(wire.Laser(origin=(0, 0, 1.5), target=(1, 2, 1)))
    assert (await late.expect("laser")).target == (1.0, 2.0, 1.0)
    for client in (guide, late):
        await client.close()


async def test_one_fact_out_of_time_takes_no_other_fact_with_it(
        world: World, samples: dict[str, BuildResult]) -> None:
    """Seven facts applied in one batch, one with a time no date holds: the six others are
    stored and acknowledged, the bad one refused to its sender."""
    tour = await _tour(world, samples)
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    room = world.client.server.app[HUB].rooms[tour]
    good = {guide.seat: [_fact() for _ in range(3)], member.seat: [_fact() for _ in range(3)]}
    bad = HotspotViewed.model_construct(**{**_fact().__dict__, "at": 1e300})
    now = time.time()
    batch = [Command(seat, wire.Fact(fact=f), now) for seat, facts in good.items() for f in facts]
    batch.insert(3, Command(member.seat, wire.Fact.model_construct(fact=bad), now))
    for event in batch:  # all at once: applied as one batch
        room.inbox.put_nowait((room.hub.node, event))
    for client in (guide, member):
        for fact in good[client.seat]:
            await client.expect("ack", id=str(fact.id))
    refused = [m for m in member.seen if m.type == "error" and m.about == "fact"]
    assert len(refused) == 1 and str(bad.id) in refused[0].message
    stored = await _stored_client_ids(world, tour)
    assert stored == {str(f.id) for facts in good.values() for f in facts}
    for client in (guide, member):
        await client.close()


async def test_a_fact_out_of_the_window_is_refused_over_the_socket(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await _tour(world, samples)
    member = await _join(world, tour, "member")
    valid = _fact()
    for at in ("1e300", "NaN", "-1e12", "253402300800", str(time.time() - 401 * 86400),
               str(time.time() + 2 * 86400)):
        raw = wire.Fact(fact=_fact()).model_dump_json()
        raw = raw.replace(f'"at":{_fact_at(raw)}', f'"at":{at}')
        await member.send_raw(raw)
        assert (await member.expect("error")).code == "bad_message", at
    await member.send(wire.Fact(fact=valid))
    await member.expect("ack", id=str(valid.id))
    assert await _stored_client_ids(world, tour) == {str(valid.id)}
    await member.close()


def _fact_at(raw: str) -> str:
    start = raw.index('"at":') + 5
    return raw[start:raw.index(",", start)]


async def test_a_record_that_cannot_be_stored_is_refused_alone(
        world: World, samples: dict[str, BuildResult], monkeypatch: pytest.MonkeyPatch) -> None:
    tour = await _tour(world, samples)
    member = await _join(world, tour, "member")
    hub = world.client.server.app[HUB]
    room = hub.rooms[tour]
    doomed, fine = _fact(), [_fact() for _ in range(4)]
    refused_id = stored_id(world.users["member"], doomed.id)
    original = hub.store_rows

    async def store_rows(rows: list[dict[str, Any]]) -> None:
        if any(r["id"] == refused_id for r in rows):
            raise RuntimeError("the database refused this row")
        await original(rows)
    monkeypatch.setattr(hub, "store_rows", store_rows)
    now = time.time()
    for fact in (*fine[:2], doomed, *fine[2:]):
        room.inbox.put_nowait((hub.node, Command(member.seat, wire.Fact(fact=fact), now)))
    for fact in fine:
        await member.expect("ack", id=str(fact.id))
    refused = [m for m in member.seen if m.type == "error" and m.about == "fact"]
    assert len(refused) == 1 and str(doomed.id) in refused[0].message
    assert not any(m.type == "ack" and m.id == str(doomed.id) for m in member.seen)
    assert await _stored_client_ids(world, tour) == {str(f.id) for f in fine}
    await member.close()


async def test_facts_cannot_take_the_ids_of_the_tours_own_records(
        world: World, samples: dict[str, BuildResult]) -> None:
    """A member sends facts with the ids the tour's end would get: the end is still stored,
    and the ended tour cannot be joined or started again."""
    tour = await _tour(world, samples)
    hub = world.client.server.app[HUB]
    hub.retire_seconds = 0.2
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    guide_user = world.users["guide"]
    forged = [uuid.uuid5(RECORD_NAMESPACE, f"tour/{tour}/{n}/tour_ended/{guide_user}")
              for n in range(1, 25)]
    for fact_id in forged:
        await member.send(wire.Fact(fact=_fact(fact_id)))
        await member.expect("ack", id=str(fact_id))
    await guide.send(wire.Start())
    await guide.expect("phase", phase="live")
    await guide.send(wire.EndTour())
    await guide.expect("phase", phase="ended")
    records = await facts_of(world.client.server.app[SESSIONS], tour=tour)
    assert [r.kind for r in records].count("tour_ended") == 1
    # the one record under any of those ids is the tour's own end
    assert [r.kind for r in records if r.id in {str(f) for f in forged}] == ["tour_ended"]
    await asyncio.sleep(0.5)  # the room is let go
    assert tour not in hub.rooms
    again = participant(world.client, tour, world.tokens["guide"])
    with pytest.raises(TourClosed, match="ended"):
        await again.connect()
    for client in (guide, member, again):
        await client.close()


async def test_a_paced_pose_flood_is_closed(world: World,
                                            samples: dict[str, BuildResult]) -> None:
    """Bursts just under the refill never make a long run of refusals, but the sustained
    rate gives them away."""
    tour = await _tour(world, samples)
    member = await _join(world, tour, "member")
    pose = encode_pose(Pose(head=Transform((1.0, 1.6, 2.0))))
    started = time.monotonic()
    reader = member._reader
    assert reader is not None
    try:
        while time.monotonic() - started < 4 and not reader.done():
            for _ in range(35):  # 1,400 a second, in bursts just under the 40 refilled
                await member.send_raw(pose)
            await asyncio.sleep(1 / 40)
    except ConnectionError:
        pass
    closed = await member.closed(timeout=5)
    assert closed.code == 1008 and time.monotonic() - started < 4
    await member.close()


@pytest.mark.parametrize("upgraded", [False, True])
async def test_a_reset_before_the_hello_is_quiet(world: World, samples: dict[str, BuildResult],
                                                 caplog: pytest.LogCaptureFixture,
                                                 upgraded: bool) -> None:
    """Cut (RST) before the upgrade is answered, or after it and before the hello."""
    tour = await _tour(world, samples)
    host, port = world.client.server.host, world.client.server.port
    caplog.set_level(logging.DEBUG)
    for _ in range(5):
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.write((f"GET /api/tours/{tour}/live HTTP/1.1\r\nHost: {host}\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        await writer.drain()
        if upgraded:
            assert b"101" in await reader.readline()
        writer.transport.abort()  # RST, no close frame
    await asyncio.sleep(0.5)
    member = await _join(world, tour, "member")  # the server still serves
    await member.close()
    loud = [r for r in caplog.records if r.levelno >= logging.WARNING or r.exc_info]
    assert loud == [], [(r.name, r.getMessage()) for r in loud]
