"""Several server processes share one tour through Redis: commands, poses, capacity, and a
process that starts late catching up from the tour's log."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient

from engine.tour_client import TourClient
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from server.app import create_app
from server.bootstrap import ensure_user
from server.keys import SESSIONS
from server.settings import Settings
from tests.server.conftest import KEY, PASSWORD, World
from tests.server.live_support import live_url, publish, schedule
from tools.build import BuildResult

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def nodes(aiohttp_client, world: World, database_url: str, redis_url: str,  # type: ignore[no-untyped-def]
                tmp_path: Path):
    """A factory of extra server processes on the world's database, sharing Redis; they
    stop before the database goes away."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    started: list[TestClient] = []

    async def start() -> TestClient:
        settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                            encryption_key=KEY, redis_url=redis_url, redis_prefix=prefix)
        started.append(await aiohttp_client(create_app(settings)))
        return started[-1]
    yield start
    for client in reversed(started):
        await client.close()


async def _tokens(world: World, count: int) -> list[str]:
    sessions = world.client.server.app[SESSIONS]
    tokens = []
    for i in range(count):
        name = f"visitor-{i}"
        await ensure_user(sessions, name, PASSWORD, "member", world.branch_a)
        login = await world.client.post("/api/auth/login", json={"username": name,
                                                                 "password": PASSWORD})
        made = await world.client.post("/api/auth/tokens", json={}, cookies=login.cookies)
        tokens.append((await made.json())["token"])
    world.client.session.cookie_jar.clear()
    return tokens


async def test_one_tour_across_three_processes(world: World, nodes,  # type: ignore[no-untyped-def]
                                               samples: dict[str, BuildResult]) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a],
                          capacity=3)
    a, b = await nodes(), await nodes()
    guide = TourClient(live_url(a, tour), world.tokens["guide"], session=a.session)
    await guide.connect()
    # one member on each process, then three more at once racing for the last seat
    tokens = await _tokens(world, 5)
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
