"""A member's facts in a live tour go to the tour (stored with it), not to the outbox that
`redhall deliver` would count as a self-guided visit; after the tour, to the outbox again."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.outbox import Outbox
from engine.tour_facts import TourFactSink
from engine.tour_link import TourLink
from engine.tour_scenes import TourSession
from engine.view import ExhibitView
from protocol import tour as wire
from server.db.models import ParticipationRecord
from server.keys import SESSIONS
from tests.engine.tour_support import tour_of, until
from tests.server.conftest import World, world  # noqa: F401 (fixture)
from tests.server.live_support import live_url, participant
from tools.build import BuildResult


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{tmp_path}/redhall.db"


async def _stored(world: World, tour: int) -> list[ParticipationRecord]:  # noqa: F811
    async with world.client.server.app[SESSIONS]() as db:
        return list((await db.scalars(select(ParticipationRecord).where(
            ParticipationRecord.user_id == world.users["member"],
            ParticipationRecord.tour_id == tour))).all())


async def test_facts_go_to_the_tour_while_it_is_on(
        world: World, samples: dict[str, BuildResult],  # noqa: F811
        open_view: Callable[..., ExhibitView], tmp_path: Path) -> None:
    tour = await tour_of(world, samples)
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    link = TourLink(live_url(world.client, tour), world.tokens["member"])
    welcome = await asyncio.to_thread(link.connect)
    outbox = Outbox(tmp_path / "outbox")
    sink = TourFactSink(link, outbox)
    view = open_view("first-congress-site", sink=sink)
    session = TourSession(view, link, welcome)
    sink.ended = lambda: session.tour.ended
    try:
        await guide.send(wire.Start())
        hotspot = view.scene.script.hotspots[0].id
        view.select(hotspot)
        view.app.step(2.0)
        view.close_panel()  # the dwell ends: hotspot_viewed

        async def kinds() -> set[str]:
            return {r.kind for r in await _stored(world, tour)}

        for _ in range(100):
            if {"scene_entered", "hotspot_viewed"} <= await kinds():
                break
            await until(session, lambda: True)
        assert {"scene_entered", "hotspot_viewed"} <= await kinds()
        assert outbox.pending() == []  # nothing a delivery would count as a visit
        await guide.send(wire.EndTour())
        await until(session, lambda: session.tour.ended)
        view.select(hotspot)  # the member goes on alone: a visit again
        view.app.step(2.0)
        view.close_panel()
        assert [f.kind for f in outbox.pending()] == ["hotspot_viewed"]
    finally:
        await asyncio.to_thread(link.close)
        await guide.close()
