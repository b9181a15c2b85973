"""A live tour over real websockets is recorded; those invited list and download it (with
ranges); a recording cut off by a crash is stored when the server starts again."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from sqlalchemy import select

from engine.replay_recording import load_recording
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform, encode_pose
from server.app import create_app
from server.bootstrap import ensure_user
from server.db.models import Consent, Tour
from server.keys import HUB, SESSIONS, SETTINGS
from server.recording import VOICE_CONSENT
from server.recording.events import read_lines
from tests.server.conftest import PASSWORD, World
from tests.server.live_support import publish, schedule, voice_participant
from tests.server.recording_support import decode, opus_packets, rms, tone
from tools.build import BuildResult

ROOT = Path(__file__).resolve().parents[2]


async def _token(world: World, username: str) -> str:
    login = await world.client.post("/api/auth/login", json={"username": username,
                                                             "password": PASSWORD})
    response = await world.client.post("/api/auth/tokens", json={"label": "t"},
                                       cookies=login.cookies)
    world.client.session.cookie_jar.clear()
    return str((await response.json())["token"])


async def _recorded(world: World, tour: int) -> str:
    async with asyncio.timeout(15):
        while True:
            async with world.client.server.app[SESSIONS]() as db:
                sha = await db.scalar(select(Tour.recording_sha256).where(Tour.id == tour))
            if sha:
                return str(sha)
            await asyncio.sleep(0.05)


async def test_a_live_tour_is_recorded_and_listed_for_those_invited(
        world: World, samples: dict[str, BuildResult], tmp_path: Path) -> None:
    app = world.client.server.app
    app[HUB].retire_seconds = 0.2
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    sessions = app[SESSIONS]
    silent = await ensure_user(sessions, "member-c", PASSWORD, "member", world.branch_a)
    async with sessions.begin() as db:
        (await db.get(Tour, tour)).keep_member_voices = True
        db.add(Consent(user_id=world.users["member"], purpose=VOICE_CONSENT,
                       text_version="1", granted=True))
        db.add(Consent(user_id=silent, purpose=VOICE_CONSENT, text_version="1",
                       granted=True))
        db.add(Consent(user_id=silent, purpose=VOICE_CONSENT, text_version="1",
                       granted=False))  # withdrawn: the latest answer stands
    guide = voice_participant(world.client, tour, world.tokens["guide"])
    member = voice_participant(world.client, tour, world.tokens["member"])
    other = voice_participant(world.client, tour, await _token(world, "member-c"))
    for one in (guide, member, other):
        await one.connect()
    await guide.send(wire.Start())
    await guide.expect("phase", phase="live")
    for one in (member, other):
        await guide.send(wire.GiveFloor(seat=one.seat))
        await guide.expect("floor")
    await asyncio.sleep(0.2)  # the consents are looked up as they join
    now = time.time()  # the tour clock: this machine's, as the server's
    plan = app[HUB].rooms[tour].state.plan
    hotspot = sorted(plan.scenes[plan.first_scene].hotspots)[0]
    await guide.send(wire.HighlightHotspot(hotspot=hotspot))
    for i in range(12):
        await guide.send_bytes(encode_pose(Pose(Transform((i * 0.5, 1.6, 2.0)), seq=i)))
        await asyncio.sleep(0.11)
    await guide.speak(opus_packets(tone(1.0, 440)), capture=now + 0.2)
    await member.speak(opus_packets(tone(0.5, 660)), capture=now + 1.4)
    await other.speak(opus_packets(tone(0.5, 880)), capture=now + 1.4)
    await asyncio.sleep(0.3)
    await guide.send(wire.EndTour())
    await guide.expect("phase", phase="ended")
    for one in (guide, member, other):
        await one.close()
    sha = await _recorded(world, tour)

    listing = await world.client.get(f"/api/tours/{tour}/recording",
                                     headers=world.auth("member"))
    assert listing.status == 200, await listing.text()
    index = await listing.json()
    assert index["exhibit"] == "founding" and index["scene"] == plan.first_scene
    seats = {v["seat"]: v for v in index["voices"]}
    assert set(seats) == {guide.seat, member.seat}  # member-c withdrew consent
    assert seats[guide.seat]["role"] == "guide"
    assert seats[member.seat]["user"] == world.users["member"]
    # the guide's voice, downloaded and decoded, is the guide's 440 Hz where it was said
    download = await world.client.get(seats[guide.seat]["url"], headers=world.auth("member"))
    assert download.status == 200
    assert download.headers["Content-Type"].startswith("audio/ogg")
    (tmp_path / "guide.opus").write_bytes(await download.read())
    audio = decode(tmp_path / "guide.opus")
    t0 = 0.2 + now - index["start"]
    part = audio[int((t0 + 0.2) * 48_000):int((t0 + 0.8) * 48_000)]
    assert rms(part, 0, 1) > 3000
    spectrum = np.abs(np.fft.rfft(part))
    assert abs(np.argmax(spectrum) * 48_000 / len(part) - 440) < 5
    ranged = await world.client.get(seats[guide.seat]["url"], headers={
        **world.auth("guide"), "Range": "bytes=0-99"})
    assert ranged.status == 206 and len(await ranged.read()) == 100
    events = await world.client.get(index["events"]["url"], headers=world.auth("admin"))
    assert events.status == 200
    (tmp_path / "events.jsonl").write_bytes(await events.read())
    lines = list(read_lines(tmp_path / "events.jsonl"))
    kinds = [line["message"]["type"] for line in lines if "message" in line]
    assert {"joined", "phase", "highlighted", "floor"} <= set(kinds)
    poses = [line["pose"] for line in lines if "pose" in line]
    assert len(poses) >= 8 and poses[-1]["head"][0] >= 4.0
    # saved with its files, the listing is what the engine replays
    (tmp_path / "recording.json").write_text(json.dumps(index))
    (tmp_path / "events.jsonl").rename(tmp_path / f"{index['events']['sha256']}.jsonl")
    (tmp_path / "guide.opus").rename(tmp_path / f"{seats[guide.seat]['sha256']}.opus")
    member_voice = await world.client.get(seats[member.seat]["url"], headers=world.auth("member"))
    (tmp_path / f"{seats[member.seat]['sha256']}.opus").write_bytes(await member_voice.read())
    replay = load_recording(tmp_path / "recording.json")
    assert replay.guide_seat == guide.seat and replay.tour == tour
    walked = replay.poses[guide.seat]
    assert walked[0].head[0] == 0.0 and walked[-1].head[0] >= 4.0
    assert any(isinstance(m, wire.Highlighted) for _, m in replay.messages)
    # not invited, not logged in, not a file of this recording, a range past the end
    for who in ("member_b", "editor"):
        refused = await world.client.get(f"/api/tours/{tour}/recording", headers=world.auth(who))
        assert refused.status == 404, who
    assert (await world.client.get(f"/api/tours/{tour}/recording")).status == 401
    stranger = f"/api/tours/{tour}/recording/{sha}.opus"  # the index is not a voice
    assert (await world.client.get(stranger, headers=world.auth("admin"))).status == 404
    past = await world.client.get(seats[guide.seat]["url"], headers={
        **world.auth("admin"), "Range": "bytes=999999999-"})
    assert past.status == 416
    nothing = await world.client.get("/api/tours/999999/recording", headers=world.auth("admin"))
    assert nothing.status == 404


async def test_a_recording_cut_off_by_a_crash_is_stored_at_the_next_start(  # type: ignore[no-untyped-def]
        world: World, samples: dict[str, BuildResult], aiohttp_client) -> None:
    app = world.client.server.app
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    folder = app[SETTINGS].data_dir / "recordings" / "live" / f"{tour}-1"
    writer = subprocess.Popen([sys.executable, "-m", "tests.server.recording_writer",
                               str(folder), str(tour)], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)
    assert writer.stdout is not None
    handed = 0
    while handed < 50:
        handed = int(await asyncio.to_thread(writer.stdout.readline) or 0)
    os.kill(writer.pid, signal.SIGKILL)
    await asyncio.to_thread(writer.wait, 10)
    writer.stdout.close()
    again = await aiohttp_client(create_app(app[SETTINGS]))  # the server starts again
    sha = await _recorded(world, tour)
    listing = await again.get(f"/api/tours/{tour}/recording", headers=world.auth("guide"))
    assert listing.status == 200
    [voice] = (await listing.json())["voices"]
    assert voice["seconds"] >= handed * 0.02 - 0.2
    assert not folder.exists()
    assert len(sha) == 64
