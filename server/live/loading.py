"""Builds a tour's plan from the database and its exhibit package."""

from __future__ import annotations

import asyncio
import json

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from protocol.manifest import PackagedScene
from protocol.package import open_package
from server.catalog_store import PackageStore
from server.db.models import ExhibitVersion, ParticipationRecord, Registration, Tour
from server.failures import Conflict, NotFound
from server.live.plan import SceneOutline, TourPlan, outline


class NoSuchTour(NotFound, LookupError):
    """No such tour, or it was cancelled."""

    def __init__(self, tour_id: int) -> None:
        super().__init__(f"there is no tour {tour_id} (or it was cancelled)")
        self.tour_id = tour_id


class TourOver(Conflict, LookupError):
    """The tour has ended; it does not start again."""

    def __init__(self, tour_id: int) -> None:
        super().__init__(f"tour {tour_id} has ended")
        self.tour_id = tour_id


def outlines(store: PackageStore, sha256: str) -> tuple[dict[str, SceneOutline], str]:
    package = open_package(store.path(sha256), None)  # verified on upload; hashes re-checked
    scenes = {}
    for ref in package.manifest.scenes:
        scene = PackagedScene.model_validate(json.loads(package.read(ref.script)))
        scenes[ref.id] = outline(scene)
    return scenes, package.manifest.scenes[0].id


async def load_plan(sessions: async_sessionmaker[AsyncSession], store: PackageStore,
                    tour_id: int, hold_seconds: float) -> TourPlan:
    async with sessions() as db:
        tour = await db.get(Tour, tour_id)
        if tour is None or tour.cancelled_at is not None:
            raise NoSuchTour(tour_id)
        ended = await db.scalar(select(ParticipationRecord.number).where(
            ParticipationRecord.tour_id == tour_id, ParticipationRecord.kind == "tour_ended"
        ).limit(1))
        if ended is not None:  # its room was let go after the end (``Hub.retire``)
            raise TourOver(tour_id)
        version = await db.get(ExhibitVersion, tour.exhibit_version_id)
        assert version is not None
        reserved = (await db.scalars(select(Registration.user_id).where(
            Registration.tour_id == tour_id, Registration.cancelled_at.is_(None)))).all()
    scenes, first = await asyncio.to_thread(outlines, store, version.sha256)
    return TourPlan(tour=tour_id, guide=tour.guide_id, capacity=tour.capacity, scenes=scenes,
                    first_scene=first, reserved=frozenset(reserved), hold_seconds=hold_seconds,
                    exhibit=version.exhibit_id, exhibit_version=version.version)
