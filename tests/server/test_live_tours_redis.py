"""Several server processes share one tour through Redis: commands, poses, capacity, and a
process that starts late catching up from the tour's log."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis.asyncio as redis
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bench.serving import wait_until_serving
from bench.tours.generator import Stats
from bench.tours.stand_ins import StandIn
from engine.tour_client import TourClient
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from server.app import create_app
from server.db.models import ParticipationRecord
from server.keys import SESSIONS, SETTINGS
from server.settings import Settings
from tests.server.conftest import KEY, World
from tests.server.live_support import live_url, member_tokens, publish, schedule
from tools.build import BuildResult

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def nodes(aiohttp_client, world: World, database_url: str, redis_url: str,  # type: ignore[no-untyped-def]
                tmp_path: Path):
    """A factory of extra server processes on the world's database, sharing Redis; they
    stop before the database goes away."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    started: list[TestClient] = []

    async def start(hold_seconds: float = 60.0, tick_hz: float = 20.0) -> TestClient:
        settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                            encryption_key=KEY, redis_url=redis_url, redis_prefix=prefix,
                            tour_hold_seconds=hold_seconds, tour_tick_hz=tick_hz)
        started.append(await aiohttp_client(create_app(settings)))
        return started[-1]
    start.prefix = prefix  # type: ignore[attr-defined]
    yield start
    for client in reversed(started):
        await client.close()


async def test_one_tour_across_three_processes(world: World, nodes,  # type: ignore[no-untyped-def]
                                               samples: dict[str, BuildResult]) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a],
                          capacity=3)
    a, b = await nodes(), await nodes()
    guide = TourClient(live_url(a, tour), world.tokens["guide"], session=a.session)
    await guide.connect()
    # one member on each process, then three more at once racing for the last seat
    tokens = await member_tokens(world, 5, "visitor")
    members = [TourClient(live_url(n, tour), t, session=n.session)
               for n, t in zip([b, a, b, a, b], tokens)]
    on_b = members[0]
    assert (await on_b.connect()).role == "member"
    assert (await members[1].connect()).role == "member"
    welcomes = await asyncio.gather(*(m.connect() for m in members[2:]))
    assert sorted(w.role for w in welcomes) == ["member", "spectator", "spectator"]
    assert len({m.seat for m in members}) == 5
    # a command on one process reaches members on the other
    await guide.send(wire.Start())
    await on_b.expect("phase", phase="live")
    await on_b.send(wire.RaiseHand(raised=True))
    assert (await guide.expect("hand")).queue == [on_b.seat]
    # poses cross processes within a couple of ticks
    seq = await on_b.send_pose(Pose(Transform((2.0, 1.6, 3.0))))
    async with asyncio.timeout(3):
        while True:
            _, entries = await guide.frames.get()
            if dict(entries).get(on_b.seat) and dict(entries)[on_b.seat].seq == seq:
                break
    # a process started now replays the tour's log and shows the same tour
    c = await nodes()
    late = TourClient(live_url(c, tour), world.tokens["admin"], session=c.session)
    snapshot = (await late.connect()).snapshot
    assert snapshot.phase == "live" and snapshot.hands == [on_b.seat]
    assert len(snapshot.participants) == 7
    for client in [guide, late, *members]:
        await client.close()


async def test_poses_go_to_the_other_processes_between_ticks(  # type: ignore[no-untyped-def]
        world: World, nodes, samples: dict[str, BuildResult], redis_url: str) -> None:
    """A process relays its members' poses to the others within a few milliseconds, not on
    its next tick, so a pose crossing processes waits for one tick (the receiver's), not
    two. With a tick every two seconds, waiting for the sender's tick would take a second
    on average."""
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    a, b = await nodes(tick_hz=0.5), await nodes(tick_hz=0.5)
    guide = TourClient(live_url(a, tour), world.tokens["guide"], session=a.session)
    await guide.connect()
    member = TourClient(live_url(b, tour), world.tokens["member"], session=b.session)
    seat = (await member.connect()).seat
    await guide.send(wire.Start())
    await member.expect("phase", phase="live")
    listener = redis.Redis.from_url(redis_url)
    channel = listener.pubsub(ignore_subscribe_messages=True)
    await channel.subscribe(f"{nodes.prefix}:tour:{tour}:poses")
    try:
        for step in range(3):
            await member.send_pose(Pose(Transform((float(step), 1.6, 0.0))))
            sent = time.perf_counter()
            async with asyncio.timeout(5):
                while True:
                    message = await channel.get_message(timeout=1.0)
                    if message is not None:
                        break
            entries = message["data"].split(b"|", 1)[1]
            assert int.from_bytes(entries[:2], "little") == seat
            assert time.perf_counter() - sent < 0.5
            await asyncio.sleep(0.3 * step)  # the next pose at another point of the tick
    finally:
        await channel.aclose()
        await listener.aclose()
        await member.close()
        await guide.close()


async def test_a_benchmark_stand_in_is_taken_for_another_process(  # type: ignore[no-untyped-def]
        world: World, nodes, samples: dict[str, BuildResult], redis_url: str) -> None:
    """The tour benchmark measures one process's share of a tour with the other processes
    stood in for on Redis (``bench/tours/stand_ins.py``); that is only a measurement if a
    real process seats the stand-in's members where the stand-in expects and passes their
    poses on to its own members."""
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    a = await nodes()
    guide = TourClient(live_url(a, tour), world.tokens["guide"], session=a.session)
    await guide.connect()
    members = [world.users["member"], world.users["editor"]]
    stand_in = StandIn(redis_url, nodes.prefix, tour, members, observers=1, spread=5.0,
                       rng=random.Random(1))
    watcher = TourClient(live_url(a, tour), world.tokens["admin"], session=a.session)
    try:
        await stand_in.join()
        await stand_in.find_seats()
        roster = {p.seat: p for p in (await watcher.connect()).snapshot.participants}
        assert {roster[seat].user for seat in stand_in.seats.values()} == set(members)
        assert all(roster[seat].user == user for user, seat in stand_in.seats.items())
        timing = Stats()
        timing.measuring = True
        await stand_in.relay(timing, 1, 100.0, time.perf_counter() + 0.5)
        seen: set[int] = set()
        async with asyncio.timeout(5):
            while seen != set(stand_in.seats.values()):
                seen |= dict((await watcher.frames.get())[1]).keys()
        observer = stand_in.seats[members[0]]
        assert timing.stood_in_seats == {observer}
        assert {seat for seat, _ in timing.sent_at} == {observer}
        assert timing.expected == len(timing.sent_at)  # one receiver each
    finally:
        await stand_in.close()
        await watcher.close()
        await guide.close()


async def test_participants_of_a_killed_process_are_let_go(  # type: ignore[no-untyped-def]
        world: World, nodes, samples: dict[str, BuildResult], database_url: str,
        redis_url: str) -> None:
    """A process killed outright never says its participants left; the process that
    remains notices its heartbeat stop, drops them, and lets their held seats expire."""
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    a = await nodes(hold_seconds=1.0)
    guide = TourClient(live_url(a, tour), world.tokens["guide"], session=a.session)
    await guide.connect()
    port = _free_port()
    env = {**os.environ, "REDHALL_DATABASE_URL": database_url, "REDHALL_PORT": str(port),
           "REDHALL_DATA_DIR": str(world.client.server.app[SETTINGS].data_dir),
           "REDHALL_ENCRYPTION_KEY": KEY, "REDHALL_REDIS_URL": redis_url,
           "REDHALL_REDIS_PREFIX": nodes.prefix}
    process = subprocess.Popen([sys.executable, "-m", "redhall", "serve"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    member = TourClient(f"http://127.0.0.1:{port}/api/tours/{tour}/live",
                        world.tokens["member"])
    try:
        await wait_until_serving(f"http://127.0.0.1:{port}", 30)
        seat = (await member.connect()).seat
        while (await guide.expect("joined")).participant.seat != seat:
            pass  # the guide's own arrival comes first
        process.send_signal(signal.SIGKILL)
        process.wait(10)
        dropped = await guide.expect("left", timeout=20)
        assert (dropped.seat, dropped.reason) == (seat, "dropped")
        expired = await guide.expect("left", timeout=10)
        assert (expired.seat, expired.reason) == (seat, "expired")
        async with world.client.server.app[SESSIONS]() as db:
            kinds = (await db.scalars(select(ParticipationRecord.kind).where(
                ParticipationRecord.tour_id == tour,
                ParticipationRecord.user_id == world.users["member"]))).all()
        assert sorted(kinds) == ["joined", "left"]  # attendance ended, once
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        await member.close()
        await guide.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
