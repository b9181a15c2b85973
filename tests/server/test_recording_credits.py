"""Replays of recorded tours earn credit only where the rule says so (``replay: {share}``),
never count as a visit or attendance, and show apart in the reports and statements."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from server.db.models import ExhibitVersion
from server.keys import SESSIONS
from tests.server.conftest import World
from tests.server.live_support import schedule
from tests.server.test_credits import YEAR, _deliver, _lrs_headers, _visit, founding

__all__ = ["founding"]  # the fixture, shared with the credit tests
SCENE = "first-congress-site"


async def _replay_credit(world: World, version: int, share: float | None) -> None:
    """Gives the scene's rule a replay share (the published manifest, as a build would)."""
    async with world.client.server.app[SESSIONS].begin() as db:
        row = await db.scalar(select(ExhibitVersion).where(ExhibitVersion.id == version))
        assert row is not None
        manifest = dict(row.manifest)
        scenes = [dict(s) for s in manifest["scenes"]]
        for scene in scenes:
            if scene["id"] == SCENE and share is not None:
                scene["credit"] = {**scene["credit"], "replay": {"share": share}}
        row.manifest = {**manifest, "scenes": scenes}


def _replayed(facts: list[dict[str, Any]], tour: int) -> list[dict[str, Any]]:
    return [{**fact, "replay_of": tour} for fact in facts]


async def _credits(world: World) -> dict[str, Any]:
    reply = await world.client.get(f"/api/credits?year={YEAR}", headers=world.auth("member"))
    return dict(await reply.json())


async def test_a_replay_earns_its_share_and_is_reported_apart(
        world: World, founding: dict[str, Any]) -> None:
    await _replay_credit(world, founding["version"], 0.5)
    tour = await schedule(world.client, founding["version"], world.users["guide"],
                          [world.branch_a])
    site = founding["scenes"][SCENE]
    facts = _visit(SCENE, sorted(site.hotspots), site.quiz, minutes=13, right=len(site.quiz))
    await _deliver(world, _replayed(facts, tour))
    progress = await _credits(world)
    [award] = progress["awards"]
    assert progress["hours"] == 0.25  # half of the scene's 0.5
    assert award["subject"]["kind"] == "replay" and award["subject"]["tours"] == [tour]
    explained = await (await world.client.get(f"/api/credits/explain?year={YEAR}",
                                              headers=world.auth("member"))).json()
    kinds = {item["kind"] for item in explained["items"]}
    assert kinds == {"replay"}  # a replay is no visit
    admin = world.auth("admin")
    members = await (await world.client.get(f"/api/reports/members?year={YEAR}",
                                            headers=admin)).json()
    me = next(r for r in members if r["username"] == "member-a")
    assert me["hours"] == 0.25 and me["replay_hours"] == 0.25
    exhibits = await (await world.client.get(f"/api/reports/exhibits?year={YEAR}",
                                             headers=admin)).json()
    founding_row = next(r for r in exhibits if r["exhibit"] == "founding")
    assert founding_row["replay_viewers"] == 1 and founding_row["tours"] == 0
    csv = await (await world.client.get(f"/api/reports/members?year={YEAR}&format=csv&lang=en",
                                        headers=admin)).text()
    assert "Of which by replays" in csv.splitlines()[0]
    # the statements say what was replayed
    statements = (await (await world.client.get("/xapi/statements?limit=0",
                                                headers=await _lrs_headers(world))).json()
                  )["statements"]
    marked = [s for s in statements if any(k.endswith("/replay-of") for k in
                                           s["context"].get("extensions", {}))]
    assert len(marked) == len(facts)
    # a visit of the same scene afterwards earns the visit's own credit besides
    await _deliver(world, _visit(SCENE, sorted(site.hotspots), site.quiz, minutes=13,
                                 right=len(site.quiz)))
    assert (await _credits(world))["hours"] == 0.75


async def test_without_a_replay_share_a_replay_earns_nothing(
        world: World, founding: dict[str, Any]) -> None:
    site = founding["scenes"][SCENE]
    facts = _visit(SCENE, sorted(site.hotspots), site.quiz, minutes=13, right=len(site.quiz))
    await _deliver(world, _replayed(facts, 1))
    progress = await _credits(world)
    assert progress["hours"] == 0 and progress["awards"] == []


async def test_a_replay_after_a_visit_earns_nothing_more(
        world: World, founding: dict[str, Any]) -> None:
    await _replay_credit(world, founding["version"], 0.5)
    site = founding["scenes"][SCENE]
    visit = _visit(SCENE, sorted(site.hotspots), site.quiz, minutes=13, right=len(site.quiz))
    await _deliver(world, visit)
    await _deliver(world, _replayed(_visit(SCENE, sorted(site.hotspots), site.quiz,
                                           minutes=13, right=len(site.quiz)), 1))
    progress = await _credits(world)
    assert progress["hours"] == 0.5
    explained = await (await world.client.get(f"/api/credits/explain?year={YEAR}",
                                              headers=world.auth("member"))).json()
    replay = next(item for item in explained["items"] if item["kind"] == "replay")
    assert not replay["eligible"] and replay["awarded"] is None
    assert replay["conditions"][0] == {"name": "not_credited_otherwise", "required": 1,
                                       "actual": 0, "met": False}
