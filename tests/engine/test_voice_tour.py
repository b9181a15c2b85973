"""Voice through a real server: the guide's engine client speaks an espeak-ng recording,
members' clients record what they hear, and the recordings match the source; a member's
engine shows the guide speaking."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from engine.tour_bar import TourBar
from engine.tour_client import TourClient
from engine.view import ExhibitView
from engine.voice import frames_of, read_speech, read_wav
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from tests.engine.tour_support import join, speech_wav, until, window_matches
from tests.server.conftest import World, world  # noqa: F401 (fixture)
from tests.server.live_support import participant, publish, schedule
from tools.build import BuildResult

TAIL = 0.5  # seconds the listener keeps recording after the speech, for the jitter buffer


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{tmp_path}/redhall.db"


@pytest.fixture
async def tour(world: World, samples: dict[str, BuildResult]) -> int:  # noqa: F811
    version = await publish(world.client, samples["founding"], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a])


async def _join(world: World, tour: int, who: str) -> TourClient:  # noqa: F811
    client = participant(world.client, tour, world.tokens[who])
    await client.connect()
    return client


async def _speak_and_record(speaker: TourClient, listener: TourClient, source: Path,
                            heard: Path, drop: set[int] | None = None) -> int:
    listener.record_to(heard)
    sent = await speaker.speak_file(source, drop=None if drop is None else drop.__contains__)
    await asyncio.sleep(TAIL)
    listener.stop_recording()
    return sent


async def test_members_hear_the_guide(world: World, tour: int,  # noqa: F811
                                      tmp_path: Path) -> None:
    guide, member = await _join(world, tour, "guide"), await _join(world, tour, "member")
    try:
        await guide.send(wire.Start())
        await member.expect("phase", phase="live")
        source = speech_wav(tmp_path)
        sent = await _speak_and_record(guide, member, source, tmp_path / "heard.wav")
        speech, heard = read_speech(source), read_wav(tmp_path / "heard.wav")
        scores = window_matches(heard, speech)
        assert sent > 200 and len(scores) > 15
        buffer = member.voice.speakers[guide.seat].buffer
        print("windows", np.round(scores, 2).tolist(), "late", buffer.late, "lost",
              buffer.lost, "played", buffer.played, "sent", sent)
        assert np.median(scores) > 0.85 and np.percentile(scores, 10) > 0.6, scores
        latencies = np.asarray(member.voice.latencies)
        assert len(latencies) > 0.9 * sent
        print("mouth to ear p50", np.percentile(latencies, 50), "p99",
              np.percentile(latencies, 99))
        # capture → played: 20 ms of capture, up to a 50 ms server tick, the jitter
        # buffer's 60–200 ms, on a two-core machine shared with the browser tests (0.53 s
        # measured once while Chromium drew a scene beside it). A buffer that kept growing
        # would pass seconds; the real figure is bench/voice's (p99 168 ms at 1,000 listeners)
        assert np.percentile(latencies, 99) < 0.8, "capture to playout on loopback"
        assert member.bad_voice == 0 and guide.last_error is None
    finally:
        await member.close()
        await guide.close()


async def test_lost_packets_are_concealed(world: World, tour: int,  # noqa: F811
                                          tmp_path: Path) -> None:
    guide, member = await _join(world, tour, "guide"), await _join(world, tour, "member")
    try:
        await guide.send(wire.Start())
        source = speech_wav(tmp_path)
        rng = np.random.default_rng(4)
        lost = {int(s) for s in rng.choice(np.arange(10, 400), size=35, replace=False)}
        await _speak_and_record(guide, member, source, tmp_path / "heard.wav", drop=lost)
        scores = window_matches(read_wav(tmp_path / "heard.wav"), read_speech(source))
        buffer = member.voice.speakers[guide.seat].buffer
        assert buffer.lost >= 20, "the gaps were seen as losses and concealed"
        assert np.median(scores) > 0.8, scores
    finally:
        await member.close()
        await guide.close()


async def test_a_member_is_heard_only_with_the_floor(world: World, tour: int,  # noqa: F811
                                                     tmp_path: Path) -> None:
    guide, member = await _join(world, tour, "guide"), await _join(world, tour, "member")
    try:
        await guide.send(wire.Start())
        source = speech_wav(tmp_path, "Where was the first congress held?")
        await _speak_and_record(member, guide, source, tmp_path / "unheard.wav")
        refused = await member.expect("error", about="voice")
        assert refused.code == "not_allowed"
        assert float(np.abs(read_wav(tmp_path / "unheard.wav")).max()) == 0.0
        assert member.seat not in guide.voice.speakers

        await guide.send(wire.GiveFloor(seat=member.seat))
        await member.expect("floor")
        await _speak_and_record(member, guide, source, tmp_path / "heard.wav")
        scores = window_matches(read_wav(tmp_path / "heard.wav"), read_speech(source))
        assert np.median(scores) > 0.85, scores

        await guide.send(wire.TakeFloor(seat=member.seat))
        await member.expect("floor")
        await _speak_and_record(member, guide, source, tmp_path / "again.wav")
        assert float(np.abs(read_wav(tmp_path / "again.wav")).max()) == 0.0
    finally:
        await member.close()
        await guide.close()


async def test_the_member_s_engine_shows_the_guide_speaking(
        world: World, tour: int, tmp_path: Path,  # noqa: F811
        open_view: Callable[..., ExhibitView]) -> None:
    guide = await _join(world, tour, "guide")
    session = await join(world, tour, "member", open_view("first-congress-site"))
    bar = TourBar(session)
    try:
        await guide.send(wire.Start())
        pose = Pose(Transform((2.0, 1.0, 1.6)))
        await guide.send_pose(pose)
        speaking = asyncio.create_task(guide.speak_file(speech_wav(tmp_path)))
        await until(session, lambda: guide.seat in session.tour.speaking,
                    what="the member's engine never heard the guide speak")
        assert str(guide.seat) in session.view.avatars.speaking
        assert "正在发言" in bar.text
        assert session.tour.audio_missing, "no sound card here: said on the bar"
        assert "未找到音频设备" in bar.text
        await speaking
        await until(session, lambda: not session.tour.speaking,
                    what="the guide stopped, the indicator stayed")
    finally:
        await asyncio.to_thread(session.link.close)
        await guide.close()


async def test_the_microphone_path_without_a_sound_card(world: World, tour: int,  # noqa: F811
                                                        tmp_path: Path) -> None:
    guide, member = await _join(world, tour, "guide"), await _join(world, tour, "member")
    try:
        await guide.send(wire.Start())
        devices = guide.start_audio("vad")
        assert devices.reason is not None and devices.microphone is None
        speech = read_speech(speech_wav(tmp_path))
        assert guide.sender is not None
        guide.talk_allowed = False  # as the engine does while a seat lacks the floor
        for frame in list(frames_of(speech))[:50]:
            guide._captured(frame)  # what PortAudio's callback hands the event loop
        assert guide.sender.sent == 0
        guide.talk_allowed = True
        member.record_to(tmp_path / "heard.wav")
        started = time.monotonic()
        for index, frame in enumerate(frames_of(speech)):  # at the sound card's pace
            await asyncio.sleep(max(0.0, started + (index + 1) * 0.02 - time.monotonic()))
            guide._captured(frame)
        await asyncio.sleep(TAIL)
        member.stop_recording()
        assert guide.sender.sent > 200
        scores = window_matches(read_wav(tmp_path / "heard.wav"), speech)
        assert np.median(scores) > 0.8, scores
    finally:
        await member.close()
        await guide.close()
