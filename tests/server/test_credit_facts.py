"""Credit evaluation reads stored facts through typed models: a member's own facts sent
during a live tour, or any fact a client may legally send, never break it; one tour's
failure is reported and the others are still judged."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from engine.tour_client import TourClient
from protocol import tour as wire
from protocol.participation import HotspotViewed, QuizAnswered, SceneLeft, StopReached
from server.credits.facts import read
from server.db.models import ParticipationRecord
from server.keys import CREDITS, HUB, LEARNING, SESSIONS
from server.participation_store import row, store
from tests.server.conftest import World
from tests.server.live_support import participant, publish, schedule
from tools.build import BuildResult

YEAR = 2026
T0 = datetime(YEAR, 7, 1, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture
async def version(world: World, samples: dict[str, BuildResult]) -> int:
    return await publish(world.client, samples["founding"], world.users["editor"])


async def _join(world: World, tour: int, who: str) -> TourClient:
    client = participant(world.client, tour, world.tokens[who])
    await client.connect()
    return client


async def test_a_members_facts_in_a_live_tour_do_not_break_credits(
        world: World, version: int) -> None:
    app = world.client.server.app
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    guide = await _join(world, tour, "guide")
    member = await _join(world, tour, "member")
    await guide.send(wire.Start())
    await member.expect("phase", phase="live")
    plan = app[HUB].rooms[tour].state.plan
    scene, outline = plan.first_scene, plan.scenes[plan.first_scene]
    common: dict[str, Any] = {"session": uuid.uuid4(), "exhibit": "founding",
                              "exhibit_version": "1.0.0", "scene": scene}
    now = datetime.now(UTC).timestamp()
    # what the engine reports during a tour: the member's own stop, hotspot and answer
    for fact in (StopReached(id=uuid.uuid4(), at=now, stop=outline.stops[0], **common),
                 HotspotViewed(id=uuid.uuid4(), at=now, hotspot=sorted(outline.hotspots)[0],
                               dwell_seconds=4.0, **common),
                 QuizAnswered(id=uuid.uuid4(), at=now, item=sorted(outline.quiz)[0],
                              response=0, correct=True, **common),
                 SceneLeft(id=uuid.uuid4(), at=now, seconds=3.0, **common)):
        await member.send(wire.Fact(fact=fact))
        await member.expect("ack", id=str(fact.id))
    await guide.send(wire.EndTour())
    await member.closed()
    await guide.closed()
    await app[CREDITS].idle()
    reply = await world.client.post("/api/credits/evaluate", json={},
                                    headers=world.auth("admin"))
    assert reply.status == 200, await reply.text()
    assert (await reply.json())["failures"] == []
    explained = await (await world.client.get(
        f"/api/credits/explain?year={datetime.now(UTC).year}",
        headers=world.auth("member"))).json()
    mine = [item for item in explained["items"] if item.get("tour") == tour]
    assert mine and mine[0]["kind"] == "tour"
    minutes = next(c for c in mine[0]["conditions"] if c["name"] == "minutes")
    assert minutes["met"] is False and minutes["actual"] < minutes["required"]


async def test_one_broken_tour_is_reported_and_the_rest_are_judged(
        world: World, version: int) -> None:
    app = world.client.server.app
    guide, member = world.users["guide"], world.users["member"]
    broken = await schedule(world.client, version, guide, [world.branch_a])
    good = await schedule(world.client, version, guide, [world.branch_a])

    def fact(tour: int, kind: str, user: int, minute: float, **detail: Any) -> dict[str, Any]:
        return row(str(uuid.uuid4()), user, kind, T0 + minute * 60,
                   {"tour": tour, "seat": 0, **detail}, tour=tour)

    rows = []
    for tour in (broken, good):
        rows += [fact(tour, "tour_started", guide, 0), fact(tour, "joined", member, 0),
                 fact(tour, "tour_ended", guide, 40)]
    async with app[SESSIONS].begin() as db:  # the broken tour's exhibit cannot be read
        from server.db.models import ExhibitVersion, Tour

        other = ExhibitVersion(exhibit_id="lost", version="1.0.0", sha256="f" * 64, size=1,
                               manifest={"scenes": "not a list"},
                               uploaded_by=world.users["editor"])
        db.add(other)
        await db.flush()
        (await db.get(Tour, broken)).exhibit_version_id = other.id
    await store(app[SESSIONS], rows, app[LEARNING])
    reply = await world.client.post("/api/credits/evaluate", json={},
                                    headers=world.auth("admin"))
    assert reply.status == 200, await reply.text()
    data = await reply.json()
    assert [f["tour"] for f in data["failures"]] == [broken]
    assert data["failures"][0]["reason"]
    assert {a["subject"].get("tour") for a in data["awarded"]} >= {good}


def _record(kind: str, detail: dict[str, Any], tour: int | None = None) -> ParticipationRecord:
    return ParticipationRecord(id=str(uuid.uuid4()), user_id=1, tour_id=tour, kind=kind,
                               at=datetime.fromtimestamp(T0, UTC), detail=detail)


def test_facts_are_read_by_kind_and_the_unusable_are_skipped_with_a_reason() -> None:
    common = {"id": str(uuid.uuid4()), "at": T0, "session": str(uuid.uuid4()),
              "exhibit": "founding", "exhibit_version": "1.0.0", "scene": "nanhu-red-boat"}
    left = read(_record("scene_left", {**common, "kind": "scene_left", "seconds": 60.0}))
    assert left.fact is not None and left.fact.kind == "scene_left"
    stop = read(_record("stop_reached", {"tour": 1, "seat": 0, "scene": "a", "stop": "b"}, 1))
    assert stop.fact is not None and stop.fact.scene == "a"
    reported = read(_record("stop_reached", {"tour": 1, "seat": 2, "fact": {
        **common, "kind": "stop_reached", "stop": "overview"}}, 1))
    assert reported.fact is not None and reported.fact.reported
    for kind, detail in (("stop_reached", {"tour": 1, "seat": 0}),
                         ("quiz_answered", {"tour": 1, "seat": 0, "item": "q"}),
                         ("scene_left", {**common, "kind": "scene_left", "seconds": -1}),
                         ("scene_left", {**common, "kind": "scene_left",
                                         "seconds": float("nan")}),
                         ("mystery", {})):
        skipped = read(_record(kind, detail, 1 if "tour" in detail else None))
        assert skipped.fact is None and skipped.reason, (kind, detail)
