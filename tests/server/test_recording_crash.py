"""`redhall serve` killed with SIGKILL in the middle of a guide's sentence: the voice
written so far decodes with PyAV, and the server, started again, stores the recording and
names it in the tour's row."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from protocol import tour as wire
from server.db.models import Tour
from server.demo import DEMO_PASSWORD, prepare
from server.recording.recorder import voice_name
from server.recording.store import Recordings
from server.settings import Settings
from tests.server.conftest import KEY
from tests.server.live_support import VoiceParticipant
from tests.server.recording_support import decode, opus_packets, rms, tone
from tests.server.test_crash import _free_port, _serve
from tools.build import BuildResult


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_server_killed_mid_sentence_leaves_a_playable_recording(
        database_url: str, tmp_path: Path, samples: dict[str, BuildResult],
        key_files: tuple[Path, Path]) -> None:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY, port=_free_port(), trusted_keys=[key_files[1]])
    runner, _ = await prepare(settings, [samples["founding"].path])  # tour 1, guide-1
    await runner.cleanup()
    url = f"http://127.0.0.1:{settings.port}"
    process = await _serve(settings)
    try:
        async with aiohttp.ClientSession(url, cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            login = await http.post("/api/auth/login", json={"username": "guide-1",
                                                             "password": DEMO_PASSWORD})
            assert login.status == 200
            token = (await (await http.post("/api/auth/tokens", json={"label": "t"})).json()
                     )["token"]
            guide = VoiceParticipant(f"{url}/api/tours/1/live", token, http)
            await guide.connect()
            await guide.send(wire.Start())
            await guide.expect("phase", phase="live")
            said_at = time.time()
            await guide.speak(opus_packets(tone(2.0, 440)), capture=said_at, pace=0.02)
            await asyncio.sleep(0.3)  # the last packets reach the file
            process.kill()  # SIGKILL, mid-tour: no shutdown, no close
            await asyncio.to_thread(process.wait, 10)
            await guide.close()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    [folder] = [p for p in (settings.data_dir / "recordings" / "live").iterdir() if p.is_dir()]
    audio = decode(folder / voice_name(guide.seat))
    start = float(folder.name.split("-")[1]) / 1000
    began = said_at - start
    assert len(audio) / 48_000 >= began + 1.9
    assert rms(audio, began + 0.2, began + 1.8) > 3000  # the words, where they were said
    engine = create_async_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    process = await _serve(settings)  # the next start stores what the kill cut off
    try:
        async with sessions() as db:
            sha = await db.scalar(select(Tour.recording_sha256).where(Tour.id == 1))
        assert sha is not None and not folder.exists()
        index = Recordings(settings.data_dir).index(sha)
        assert index is not None
        [voice] = index["voices"]
        assert voice["role"] == "guide" and voice["seconds"] >= began + 1.9
        stored = settings.data_dir / "blobs" / f"{voice['sha256']}.opus"
        assert len(decode(stored)) == len(audio)
    finally:
        process.terminate()
        await asyncio.to_thread(process.wait, 10)
        await engine.dispose()
