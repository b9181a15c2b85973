"""Helpers for live-tour tests: a published sample exhibit, a scheduled tour, clients."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web
from aiohttp.test_utils import TestClient

from engine.tour_client import TourClient
from protocol.package import open_package
from server.db.models import ExhibitVersion, Tour, TourBranch
from server.keys import SESSIONS, STORE
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
