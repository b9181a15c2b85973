"""Voice crosses server processes that share a tour through Redis; the floor, decided by
the replicated state, holds on every process, and so does the open floor's limit of 4
speakers; a consent withdrawn on one process drops the voice recorded on another."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient
from pydantic import BaseModel

from protocol import tour as wire
from protocol.tour_poses import Pose, Transform, encode_pose
from server.app import create_app
from server.db.models import Consent, Tour
from server.keys import HUB, SESSIONS
from server.recording import VOICE_CONSENT
from server.routes.recordings import RECORDERS, RECORDINGS
from server.settings import Settings
from tests.server.conftest import KEY, World
from tests.server.live_support import (
    VoiceParticipant,
    live_url,
    member_tokens,
    opus_packets,
    publish,
    schedule,
)
from tests.server.recording_support import decode
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

        def withdraw(self, user: int) -> None:
            pass

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


PACKETS = opus_packets(12)


async def _keep_speaking(person: VoiceParticipant, stop: asyncio.Event) -> None:
    seq = 0
    while not stop.is_set():
        await person.speak(PACKETS, first_seq=seq, capture=time.time(), pace=0.02)
        seq += len(PACKETS)


def _seats_heard(person: VoiceParticipant) -> set[int]:
    heard = set()
    while not person.voice.empty():
        heard.add(person.voice.get_nowait().seat)
    return heard


async def _until(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:  # noqa: ASYNC109
    try:
        async with asyncio.timeout(timeout):
            while not check():  # noqa: ASYNC110  polls files and queues
                await asyncio.sleep(0.05)
    except TimeoutError:
        raise AssertionError(f"not within {timeout} s: {what}") from None


async def test_the_open_floor_holds_four_speakers_across_processes(  # type: ignore[no-untyped-def]
        world: World, nodes, samples: dict[str, BuildResult]) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    a, b = await nodes(), await nodes()
    guide = _joining(a, tour, world.tokens["guide"])
    members = [_joining(node, tour, token) for node, token
               in zip([a, b, a, b, b], await member_tokens(world, 5), strict=True)]
    for person in (guide, *members):
        await person.connect()
    await guide.send(wire.OpenFloor(open=True))
    for member in members:
        assert (await member.expect("floor")).floor.open is True
    stops = [asyncio.Event() for _ in members]
    talkers = [asyncio.create_task(_keep_speaking(m, s)) for m, s in zip(members[:4], stops)]
    four = {m.seat for m in members[:4]}
    heard: set[int] = set()
    try:
        async with asyncio.timeout(5):
            while heard != four:
                heard.add((await guide.voice.get()).seat)
        fifth = members[4]  # on b, where only two others speak: b alone would let it in
        talkers.append(asyncio.create_task(_keep_speaking(fifth, stops[4])))
        busy = await fifth.expect("error", about="voice")
        assert "4 members are speaking" in busy.message
        await asyncio.sleep(0.5)
        for listener in (guide, members[0], members[1]):  # on a and on b
            assert fifth.seat not in _seats_heard(listener)
        # one stops; once their place lapses the fifth is heard, on both processes
        stops[0].set()
        await talkers[0]
        await _until(lambda: fifth.seat in _seats_heard(guide), "the fifth heard on a")
        await _until(lambda: fifth.seat in _seats_heard(members[1]), "the fifth heard on b")
        assert members[0].seat not in _seats_heard(guide)
    finally:
        for stop in stops:
            stop.set()
        await asyncio.gather(*talkers)
        for person in (guide, *members):
            await person.close()


async def test_a_consent_withdrawn_on_one_process_drops_the_voice_recorded_on_another(  # type: ignore[no-untyped-def]
        world: World, nodes, samples: dict[str, BuildResult]) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    async with world.client.server.app[SESSIONS].begin() as db:
        (await db.get(Tour, tour)).keep_member_voices = True  # type: ignore[union-attr]
        db.add(Consent(user_id=world.users["member"], purpose=VOICE_CONSENT,
                       text_version="1", granted=True))
    a, b = await nodes(), await nodes()
    for node in (a, b):
        node.server.app[HUB].retire_seconds = 0.2
    guide = _joining(a, tour, world.tokens["guide"])
    await guide.connect()  # the tour opens on a first: a records it
    member = _joining(b, tour, world.tokens["member"])
    await member.connect()
    assert tour in a.server.app[RECORDERS].running
    assert tour not in b.server.app[RECORDERS].running
    await guide.send(wire.GiveFloor(seat=member.seat))
    await member.expect("floor")
    folder = a.server.app[RECORDERS].running[tour].folder
    kept = folder / f"seat-{member.seat}.opus"
    async with asyncio.timeout(5):  # kept once a has looked up the tour and the consent
        while not kept.exists():
            await member.speak(PACKETS, capture=time.time())
            await asyncio.sleep(0.1)
    withdrawn = await b.post("/api/me/consent", headers=world.auth("member"), json={
        "purpose": VOICE_CONSENT, "text_version": "1", "granted": False})
    assert withdrawn.status == 201
    await _until(lambda: not kept.exists(), "the member's voice gone from a's recording")
    # still heard in the tour, never again kept
    _seats_heard(guide)
    said = await member.speak(PACKETS, first_seq=500, capture=time.time())
    assert await guide.heard(len(said)) == said
    await guide.speak(PACKETS * 5, capture=time.time(), pace=0.02)
    await asyncio.sleep(0.3)
    assert not kept.exists()
    await guide.send(wire.EndTour())
    await guide.expect("phase", phase="ended")
    for person in (guide, member):
        await person.close()
    await _until(lambda: not folder.exists(), "the recording stored", timeout=15)
    async with world.client.server.app[SESSIONS]() as db:
        sha = (await db.get(Tour, tour)).recording_sha256  # type: ignore[union-attr]
    recordings = a.server.app[RECORDINGS]
    index = recordings.index(sha or "")
    assert index is not None and [v["seat"] for v in index["voices"]] == [guide.seat]
    voice = recordings.path(index["voices"][0]["sha256"], ".opus")
    assert voice is not None and len(decode(voice)) >= 0.9 * len(PACKETS) * 5 * 960
