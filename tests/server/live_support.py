"""Helpers for live-tour tests: a published sample exhibit, a scheduled tour, clients."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiohttp.test_utils import TestClient
from pydantic import BaseModel

from engine.tour_client import TourClient
from protocol import tour as wire
from protocol.package import open_package
from protocol.voice import VOICE_FRAME_KIND, VoiceEntry, decode_voice_frame, encode_voice
from server.background import stop
from server.bootstrap import ensure_user
from server.db.models import ExhibitVersion, Tour, TourBranch
from server.keys import SESSIONS, STORE
from tests.server.conftest import PASSWORD, World
from tools.build import BuildResult


async def publish(client: TestClient | web.Application, package: BuildResult,
                  editor: int) -> int:
    """Stores a built package as a published version, as an upload would; returns its id."""
    data = package.path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    app = client if isinstance(client, web.Application) else client.server.app
    target = app[STORE].path(sha)
    if not target.exists():
        shutil.copyfile(package.path, target)
    manifest = open_package(Path(target), None).manifest
    async with app[SESSIONS].begin() as db:
        version = ExhibitVersion(exhibit_id=manifest.id, version=manifest.version, sha256=sha,
                                 size=len(data), manifest=manifest.model_dump(mode="json"),
                                 published=True, uploaded_by=editor)
        db.add(version)
        await db.flush()
        return version.id


async def schedule(client: TestClient | web.Application, version_id: int, guide: int,
                   branches: list[int], capacity: int = 50) -> int:
    app = client if isinstance(client, web.Application) else client.server.app
    async with app[SESSIONS].begin() as db:
        tour = Tour(exhibit_version_id=version_id, guide_id=guide, title="主题党日",
                    starts_at=datetime.now(UTC) + timedelta(minutes=5), duration_minutes=60,
                    capacity=capacity)
        db.add(tour)
        await db.flush()
        db.add_all(TourBranch(tour_id=tour.id, org_id=b) for b in branches)
        return tour.id


def live_url(client: TestClient, tour: int) -> str:
    return str(client.make_url(f"/api/tours/{tour}/live"))


def participant(client: TestClient, tour: int, token: str) -> TourClient:
    return TourClient(live_url(client, tour), token, session=client.session)


class ThreadedServer:
    """The real server on a loopback port, run by its own event loop in a thread, so that
    synchronous tests (hypothesis) can talk to it over real sockets."""

    def __init__(self, app: web.Application) -> None:
        import asyncio
        import threading

        self.app = app
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.runner = web.AppRunner(app)
        self.port = 0

    def _serve(self) -> None:
        self.loop.run_forever()
        self.loop.close()  # in its own thread: its sockets close now, not at a later GC

    def start(self) -> None:
        self.thread.start()
        self.call(self._start())

    async def _start(self) -> None:
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def call(self, coroutine, timeout: float = 60):  # type: ignore[no-untyped-def]
        import asyncio

        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()



class VoiceParticipant:
    """A tour participant that speaks and keeps the voice it hears apart from control
    messages (pose frames are counted, not read). Independent of the engine's client, so
    the server's relay is tested against the wire format alone."""

    def __init__(self, url: str, token: str, session: aiohttp.ClientSession) -> None:
        self.url, self.token, self.session = url, token, session
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.welcome: wire.Welcome | None = None
        self.messages: asyncio.Queue[Any] = asyncio.Queue()  # None once closed
        self.voice: asyncio.Queue[VoiceEntry] = asyncio.Queue()
        self.voice_frames = 0
        self.pose_frames = 0
        self.closed_with: int | None = None
        self._reader: asyncio.Task[None] | None = None

    @property
    def seat(self) -> int:
        assert self.welcome is not None
        return self.welcome.seat

    async def connect(self) -> wire.Welcome:
        self.ws = await self.session.ws_connect(self.url, autoping=True)
        await self.ws.send_str(wire.Hello(version=wire.TOUR_PROTOCOL,
                                          token=self.token).model_dump_json())
        first = await self.ws.receive(timeout=15)
        welcome = wire.SERVER.validate_json(first.data)
        assert isinstance(welcome, wire.Welcome), welcome
        self.welcome = welcome
        self._reader = asyncio.create_task(self._read())
        return welcome

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                if msg.data[0] == VOICE_FRAME_KIND:
                    self.voice_frames += 1
                    for entry in decode_voice_frame(msg.data):
                        self.voice.put_nowait(entry)
                else:
                    self.pose_frames += 1
            elif msg.type == aiohttp.WSMsgType.TEXT:
                self.messages.put_nowait(wire.SERVER.validate_json(msg.data))
        self.closed_with = self.ws.close_code
        self.messages.put_nowait(None)

    async def send(self, message: BaseModel) -> None:
        assert self.ws is not None
        await self.ws.send_str(message.model_dump_json())

    async def send_bytes(self, data: bytes) -> None:
        assert self.ws is not None
        await self.ws.send_bytes(data)

    async def speak(self, packets: list[bytes], first_seq: int = 0, capture: float = 1000.0,
                    pace: float = 0.0) -> list[VoiceEntry]:
        """Sends Opus packets as voice messages, 20 ms of capture time apart (and ``pace``
        seconds apart in real time); returns them as a listener should hear them."""
        heard = [VoiceEntry(self.seat, (first_seq + i) & 0xFFFF, capture + 0.02 * i, p)
                 for i, p in enumerate(packets)]
        for entry in heard:
            await self.send_bytes(encode_voice(entry.seq, entry.capture, entry.payload))
            if pace:
                await asyncio.sleep(pace)
        return heard

    # a deadline for the whole wait, like asyncio.wait_for's
    async def expect(self, kind: str, timeout: float = 5.0, **fields: Any) -> Any:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            while True:
                message = await self.messages.get()
                assert message is not None, f"closed ({self.closed_with}) before a {kind}"
                if message.type == kind and all(getattr(message, k) == v
                                                for k, v in fields.items()):
                    return message

    async def heard(self, count: int, timeout: float = 5.0) -> list[VoiceEntry]:  # noqa: ASYNC109
        """The next ``count`` voice entries heard."""
        async with asyncio.timeout(timeout):
            return [await self.voice.get() for _ in range(count)]

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self._reader is not None:
            await stop(self._reader)


def voice_participant(client: TestClient, tour: int, token: str) -> VoiceParticipant:
    return VoiceParticipant(live_url(client, tour), token, client.session)


def opus_packets(count: int, frequency: float = 440.0) -> list[bytes]:
    """``count`` real Opus packets (20 ms each, mono, 48 kHz, 20 kbit/s) of a tone, made by
    libopus through PyAV."""
    import av
    import numpy as np

    context = av.CodecContext.create("libopus", "w")
    assert isinstance(context, av.AudioCodecContext)
    context.sample_rate, context.layout, context.format = 48_000, "mono", "s16"
    context.bit_rate = 20_000
    context.options = {"frame_duration": "20", "application": "voip"}
    t = np.arange(count * 960) / 48_000
    pcm = (np.sin(2 * np.pi * frequency * t) * 8000).astype(np.int16)
    packets: list[bytes] = []
    for i in range(count):
        frame = av.AudioFrame.from_ndarray(pcm[i * 960:(i + 1) * 960].reshape(1, -1),
                                           format="s16", layout="mono")
        frame.sample_rate, frame.pts = 48_000, i * 960
        packets += [bytes(p) for p in context.encode(frame)]
    packets += [bytes(p) for p in context.encode(None)]
    return packets[:count]


async def member_tokens(world: World, count: int, prefix: str = "listener") -> list[str]:
    """Bearer tokens of ``count`` new members of branch A (``prefix-0`` ...)."""
    sessions = world.client.server.app[SESSIONS]
    tokens = []
    for i in range(count):
        name = f"{prefix}-{i}"
        await ensure_user(sessions, name, PASSWORD, "member", world.branch_a)
        login = await world.client.post("/api/auth/login", json={"username": name,
                                                                 "password": PASSWORD})
        made = await world.client.post("/api/auth/tokens", json={}, cookies=login.cookies)
        tokens.append((await made.json())["token"])
    world.client.session.cookie_jar.clear()
    return tokens
