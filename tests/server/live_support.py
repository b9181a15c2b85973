"""Helpers for live-tour tests: a published sample exhibit, a scheduled tour, clients."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp.test_utils import TestClient

from engine.tour_client import TourClient
from protocol.package import open_package
from server.db.models import ExhibitVersion, Tour, TourBranch
from server.keys import SESSIONS, STORE
from tools.build import BuildResult


async def publish(client: TestClient, package: BuildResult, editor: int) -> int:
    """Stores a built package as a published version, as an upload would; returns its id."""
    data = package.path.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    app = client.server.app
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


async def schedule(client: TestClient, version_id: int, guide: int, branches: list[int],
                   capacity: int = 50) -> int:
    async with client.server.app[SESSIONS].begin() as db:
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
