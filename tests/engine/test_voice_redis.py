"""Voice across two server processes sharing a tour through Redis: the guide speaks to one,
a member listening on the other records the guide's words."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import numpy as np
import pytest
from aiohttp.test_utils import TestClient
from pydantic import SecretStr

from engine.tour_client import TourClient
from engine.voice import read_speech, read_wav
from protocol import tour as wire
from server.app import create_app
from server.settings import Settings
from tests.engine.tour_support import speech_wav, window_matches
from tests.server.conftest import (  # noqa: F401 (fixtures)
    KEY,
    World,
    database_url,
    postgres,
    redis_url,
    world,
)
from tests.server.live_support import live_url, publish, schedule
from tools.build import BuildResult

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)

Start = Callable[[], Awaitable[TestClient]]  # type: ignore[type-arg]


@pytest.fixture
async def nodes(aiohttp_client, world: World, database_url: str,  # type: ignore[no-untyped-def]  # noqa: F811
                redis_url: str, tmp_path: Path) -> AsyncIterator[Start]:  # noqa: F811
    """Server processes on the world's database sharing Redis under a prefix of their own."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    started: list[TestClient] = []  # type: ignore[type-arg]

    async def start() -> TestClient:  # type: ignore[type-arg]
        settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                            encryption_key=SecretStr(KEY), redis_url=redis_url, redis_prefix=prefix)
        started.append(await aiohttp_client(create_app(settings)))
        return started[-1]
    yield start
    for client in reversed(started):
        await client.close()


async def test_voice_crosses_server_processes(world: World, nodes: Start,  # noqa: F811
                                              samples: dict[str, BuildResult],
                                              tmp_path: Path) -> None:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    a, b = await nodes(), await nodes()
    guide = TourClient(live_url(a, tour), world.tokens["guide"], session=a.session)
    member = TourClient(live_url(b, tour), world.tokens["member"], session=b.session)
    await guide.connect()
    await member.connect()
    try:
        await guide.send(wire.Start())
        await member.expect("phase", phase="live")
        source = speech_wav(tmp_path)
        member.record_to(tmp_path / "heard.wav")
        await guide.speak_file(source)
        await asyncio.sleep(0.5)
        member.stop_recording()
        scores = window_matches(read_wav(tmp_path / "heard.wav"), read_speech(source))
        assert len(scores) > 15 and np.median(scores) > 0.85, scores
        assert guide.seat in member.voice.speakers
    finally:
        await member.close()
        await guide.close()
