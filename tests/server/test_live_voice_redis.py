"""Voice crosses server processes that share a tour through Redis, and the floor, decided
by the replicated state, holds on every process."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from pydantic import BaseModel

from protocol import tour as wire
from protocol.tour_poses import Pose, Transform, encode_pose
from server.app import create_app
from server.keys import HUB
from server.settings import Settings
from tests.server.conftest import KEY, World
from tests.server.live_support import (
    VoiceParticipant,
    live_url,
    opus_packets,
    publish,
    schedule,
)
from tools.build import BuildResult

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@pytest.fixture
async def nodes(aiohttp_client, world: World, database_url: str, redis_url: str,  # type: ignore[no-untyped-def]
                tmp_path: Path):
    """A factory of server processes on the world's database, sharing Redis."""
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


def _joining(node: TestClient, tour: int, token: str) -> VoiceParticipant:
    return VoiceParticipant(live_url(node, tour), token, node.session)


async def test_a_member_on_another_process_hears_the_guide(  # type: ignore[no-untyped-def]
        world: World, nodes, samples: dict[str, BuildResult]) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    a, b = await nodes(), await nodes()
    recorded: list[tuple[str, int, bytes]] = []

    class _Recorder:  # what process b's recorder sees of a tour steered from process a
        def event(self, at: float, message: BaseModel) -> None:
            pass

        def voice(self, seat: int, capture: float, payload: bytes) -> None:
            recorded.append(("voice", seat, payload))

        def pose(self, seat: int, at: float, message: bytes) -> None:
            recorded.append(("pose", seat, message))

        def close(self) -> None:
            pass
    b.server.app[HUB].recorder_factory = lambda plan: _Recorder()
    guide = _joining(a, tour, world.tokens["guide"])
    near = _joining(a, tour, world.tokens["admin"])
    far = _joining(b, tour, world.tokens["member"])
    for person in (guide, near, far):
        await person.connect()
    packets = opus_packets(10)
    spoken = await guide.speak(packets, pace=0.02)
    assert await far.heard(len(packets)) == spoken
    assert await near.heard(len(packets)) == spoken
    # the member on the other process is heard here only once given the floor
    await far.speak(packets[:3])
    assert "floor" in (await far.expect("error", about="voice")).message
    await guide.send(wire.GiveFloor(seat=far.seat))
    await far.expect("floor", floor=wire.FloorState(holders=[far.seat]))
    back = await far.speak(packets[3:6], first_seq=3)
    assert await guide.heard(3) == back
    assert await near.heard(3) == back
    await asyncio.sleep(0.2)
    assert far.voice.empty() and guide.voice.empty()  # nobody hears themself, nor twice
    # process b recorded the guide's voice from process a, and the guide's pose
    pose = encode_pose(Pose(Transform((1.0, 1.6, 2.0)), seq=7))
    await guide.send_bytes(pose)
    async with asyncio.timeout(5):
        while ("pose", guide.seat, pose) not in recorded:  # noqa: ASYNC110  polls a list
            await asyncio.sleep(0.05)
    assert [p for kind, seat, p in recorded if kind == "voice" and seat == guide.seat] \
        == [e.payload for e in spoken]
    for person in (guide, near, far):
        await person.close()
