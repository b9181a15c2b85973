"""Why a credit was or was not given (``/api/credits/explain``), from the same judgements
that make the awards; and the guide's credit for leading a tour."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from server.db.models import LedgerEntry
from server.keys import CREDITS, LEARNING, SESSIONS, STORE
from server.live.loading import outlines
from server.participation_store import row, store
from server.settings import Settings
from tests.server.conftest import World
from tests.server.live_support import publish, schedule
from tools.build import BuildResult

YEAR = 2026
T0 = datetime(YEAR, 7, 1, 9, 0, tzinfo=UTC).timestamp()


@pytest.fixture
async def founding(world: World, samples: dict[str, BuildResult]) -> dict[str, Any]:
    app = world.client.server.app
    version = await publish(world.client, samples["founding"], world.users["editor"])
    from server.db.models import ExhibitVersion

    async with app[SESSIONS]() as db:
        sha = (await db.get(ExhibitVersion, version)).sha256
    scenes, _ = outlines(app[STORE], sha)
    return {"version": version, "scenes": scenes}


def _fact(kind: str, scene: str, at: float, session: str, **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": kind, "at": at, "session": session,
            "exhibit": "founding", "exhibit_version": "1.0.0", "scene": scene, **fields}


async def _explain(world: World, who: str, query: str = "") -> Any:
    reply = await world.client.get(f"/api/credits/explain?year={YEAR}{query}",
                                   headers=world.auth(who))
    assert reply.status == 200, await reply.text()
    return await reply.json()


async def test_explain_shows_each_condition_met_or_missed(world: World,
                                                          founding: dict[str, Any]) -> None:
    scene = "first-congress-site"
    site = founding["scenes"][scene]
    session = str(uuid.uuid4())
    hotspots = sorted(site.hotspots)
    facts = [_fact("scene_entered", scene, T0, session),
             _fact("hotspot_viewed", scene, T0 + 5, session, hotspot=hotspots[0],
                   dwell_seconds=3.0),
             _fact("scene_left", scene, T0 + 300, session, seconds=300.0)]
    reply = await world.client.post("/api/participation", json={"facts": facts},
                                    headers=world.auth("member"))
    assert reply.status == 200
    await world.client.server.app[CREDITS].idle()
    data = await _explain(world, "member")
    assert data["user"] == world.users["member"] and data["failures"] == []
    visit = next(i for i in data["items"] if i["kind"] == "visit" and i["scene"] == scene)
    assert visit["awarded"] is None and visit["eligible"] is False
    conditions = {c["name"]: c for c in visit["conditions"]}
    assert conditions["minutes"] == {"name": "minutes", "required": 12.0, "actual": 5.0,
                                     "met": False}
    assert conditions["hotspots"]["actual"] == 1 and not conditions["hotspots"]["met"]
    assert conditions["hotspots"]["required"] > 1
    exhibit = next(i for i in data["items"] if i["kind"] == "exhibit")
    scenes = next(c for c in exhibit["conditions"] if c["name"] == "scenes")
    assert scenes["actual"] == 0 and scenes["required"] == len(founding["scenes"])
    # the member completes it: the same judgement now says awarded
    more = [_fact("scene_entered", scene, T0 + 3600, str(uuid.uuid4()))]
    more += [_fact("hotspot_viewed", scene, T0 + 3601 + i, more[0]["session"], hotspot=h,
                   dwell_seconds=3.0) for i, h in enumerate(hotspots)]
    more += [_fact("quiz_answered", scene, T0 + 3700 + i, more[0]["session"], item=item,
                   response=answer, correct=True)
             for i, (item, (_, answer)) in enumerate(sorted(site.quiz.items()))]
    more.append(_fact("scene_left", scene, T0 + 4400, more[0]["session"], seconds=800.0))
    await world.client.post("/api/participation", json={"facts": more},
                            headers=world.auth("member"))
    await world.client.server.app[CREDITS].idle()
    visit = next(i for i in (await _explain(world, "member"))["items"]
                 if i["kind"] == "visit" and i["scene"] == scene)
    assert visit["awarded"] == 0.5 and visit["eligible"]
    assert all(c["met"] for c in visit["conditions"])
    # a guide of the same branch may look, a member of another may not, nor a guide of
    # another branch; hostile parameters are refused
    member = world.users["member"]
    assert (await _explain(world, "guide", f"&user={member}"))["user"] == member
    assert (await _explain(world, "admin", f"&user={member}"))["items"]
    for who, query, status in (("member_b", f"&user={member}", 403),
                               ("member", "&user=-1", 400), ("member", "&user=1e3", 400),
                               ("member", "&user=99999999999", 400),
                               ("member", "&user=٣", 400), ("member", "&user=424242", 404)):
        reply = await world.client.get(f"/api/credits/explain?year={YEAR}{query}",
                                       headers=world.auth(who))
        assert reply.status == status, (who, query, await reply.text())
    for year in ("20266", "1999", "nan", "", "٢٠٢٦"):
        reply = await world.client.get(f"/api/credits/explain?year={year}",
                                       headers=world.auth("member"))
        assert reply.status == 400, year
    assert (await world.client.get("/api/credits/explain")).status == 401


async def _lrs(world: World) -> dict[str, str]:
    reply = await world.client.post("/api/lrs-clients", json={"name": "auditor",
                                                              "scopes": ["read"]},
                                    headers=world.auth("admin"))
    data = await reply.json()
    basic = base64.b64encode(f"{data['key']}:{data['secret']}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}


async def _tour(world: World, founding: dict[str, Any], minutes: float,
                members: tuple[str, ...] = ("member",), start: float = T0,
                stops: tuple[str, ...] = ()) -> int:
    app = world.client.server.app
    tour = await schedule(world.client, founding["version"], world.users["guide"],
                          [world.branch_a])
    guide = world.users["guide"]

    def fact(kind: str, user: int, minute: float, **detail: Any) -> dict[str, Any]:
        return row(str(uuid.uuid4()), user, kind, start + minute * 60,
                   {"tour": tour, "seat": 0, **detail}, tour=tour)

    rows = [fact("joined", guide, 0), fact("tour_started", guide, 0)]
    rows += [fact("joined", world.users[who], 1) for who in members]
    rows += [fact("stop_reached", guide, 2 + n, scene=scene, stop=f"stop-{n}")
             for n, scene in enumerate(stops)]
    rows.append(fact("tour_ended", guide, minutes))
    app[CREDITS].consider_soon(await store(app[SESSIONS], rows, app[LEARNING]))
    await app[CREDITS].idle()
    return tour


async def test_leading_a_tour_earns_the_guide_credit_once(world: World,
                                                          founding: dict[str, Any]) -> None:
    app = world.client.server.app
    guide = world.users["guide"]
    long_tour = await _tour(world, founding, 45)
    short_tour = await _tour(world, founding, 20)
    empty_tour = await _tour(world, founding, 60, members=())
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("guide"))).json()
    assert progress["target"] == 56.0 and progress["hours"] == 2.0
    [award] = progress["awards"]
    assert award["subject"]["kind"] == "lead" and award["subject"]["tour"] == long_tour
    async with app[SESSIONS]() as db:
        from sqlalchemy import select

        keys = (await db.scalars(select(LedgerEntry.award_key).where(
            LedgerEntry.user_id == guide))).all()
    assert keys == [f"lead/{guide}/{long_tour}"]
    again = await world.client.post("/api/credits/evaluate", json={},
                                    headers=world.auth("admin"))
    assert not [a for a in (await again.json())["awarded"] if a["user"] == guide]
    data = await _explain(world, "guide")
    leads = {i["tour"]: i for i in data["items"] if i["kind"] == "lead"}
    assert leads[long_tour]["awarded"] == 2.0
    short = {c["name"]: c for c in leads[short_tour]["conditions"]}
    assert short["minutes"] == {"name": "minutes", "required": 30.0, "actual": 20.0,
                                "met": False}
    empty = {c["name"]: c for c in leads[empty_tour]["conditions"]}
    assert empty["participants"]["actual"] == 0 and not empty["participants"]["met"]
    # the member sees one item for the tour taken, and the exhibit award judged on it
    taken = (await _explain(world, "member"))["items"]
    [mine] = [i for i in taken if i["tour"] == long_tour]
    assert mine["kind"] == "tour" and mine["awarded"] == 0.5  # the first scene only
    through = [i for i in taken if i["via_tour"] == long_tour]
    assert [i["kind"] for i in through] == ["exhibit"] and through[0]["tour"] is None
    scenes = next(c for c in through[0]["conditions"] if c["name"] == "scenes")
    assert scenes["actual"] < scenes["required"] and through[0]["awarded"] is None
    headers = await _lrs(world)
    reply = await world.client.get(
        "/xapi/statements?verb=http://adlnet.gov/expapi/verbs/completed", headers=headers)
    completed = [s for s in (await reply.json())["statements"]
                 if s["actor"]["account"]["name"] == str(guide)]
    assert len(completed) == 1
    assert completed[0]["object"]["id"].endswith(f"/xapi/activities/tours/{long_tour}")
    assert 2.0 in completed[0]["result"]["extensions"].values()


async def _study_every_scene(world: World, founding: dict[str, Any]) -> None:
    """member-a earns every scene of the exhibit, and so its extra award, by visits."""
    for n, (name, scene) in enumerate(sorted(founding["scenes"].items())):
        session, start = str(uuid.uuid4()), T0 + 86400 + n * 3600
        facts = [_fact("scene_entered", name, start, session)]
        facts += [_fact("hotspot_viewed", name, start + 1, session, hotspot=h,
                        dwell_seconds=4.0) for h in sorted(scene.hotspots)]
        facts += [_fact("quiz_answered", name, start + 2, session, item=item,
                        response=answer, correct=True)
                  for item, (_, answer) in sorted(scene.quiz.items())]
        facts.append(_fact("scene_left", name, start + 800, session, seconds=800.0))
        reply = await world.client.post("/api/participation", json={"facts": facts},
                                        headers=world.auth("member"))
        assert reply.status == 200
    await world.client.app[CREDITS].idle()


async def test_the_exhibit_award_shows_only_on_what_earned_it(world: World,
                                                              founding: dict[str, Any]
                                                              ) -> None:
    """Visits and tours share the exhibit's award (one a year): a failed tour of an exhibit
    whose award came from visits does not show as having earned it, and the other way."""
    failed = await _tour(world, founding, 3)
    await _study_every_scene(world, founding)
    items = (await _explain(world, "member"))["items"]
    exhibits = [i for i in items if i["kind"] == "exhibit"]
    [by_tour] = [i for i in exhibits if i["via_tour"] == failed]
    [by_visits] = [i for i in exhibits if i["via_tour"] is None]
    assert by_visits["eligible"] and by_visits["awarded"] == by_visits["hours"] > 0
    assert not by_tour["eligible"] and by_tour["awarded"] is None
    [taken] = [i for i in items if i["kind"] == "tour"]
    assert taken["tour"] == failed and taken["awarded"] is None
    # member-b earns it on a tour through every scene, then studies one scene alone: only
    # the tour's item shows it
    passed = await _tour(world, founding, 60, members=("member_b",),
                         stops=tuple(sorted(founding["scenes"])))
    scene = min(founding["scenes"])
    session = str(uuid.uuid4())
    visit = [_fact("scene_entered", scene, T0 + 90000, session),
             _fact("scene_left", scene, T0 + 90060, session, seconds=60.0)]
    assert (await world.client.post("/api/participation", json={"facts": visit},
                                    headers=world.auth("member_b"))).status == 200
    await world.client.app[CREDITS].idle()
    other = (await _explain(world, "admin", f"&user={world.users['member_b']}"))["items"]
    shown = {i["via_tour"]: (i["eligible"], i["awarded"]) for i in other
             if i["kind"] == "exhibit"}
    assert shown == {passed: (True, by_visits["hours"]), None: (False, None)}


async def test_explanations_count_only_the_tours_of_the_year(world: World,
                                                             founding: dict[str, Any]
                                                             ) -> None:
    earlier = await _tour(world, founding, 45,
                          start=datetime(YEAR - 1, 6, 1, 9, tzinfo=UTC).timestamp())
    now = await _tour(world, founding, 45)
    leads = [i["tour"] for i in (await _explain(world, "guide"))["items"]
             if i["kind"] == "lead"]
    assert leads == [now]
    reply = await world.client.get(f"/api/credits/explain?year={YEAR - 1}",
                                   headers=world.auth("guide"))
    assert [i["tour"] for i in (await reply.json())["items"] if i["kind"] == "lead"] == \
        [earlier]


def test_the_guide_credit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDHALL_GUIDE_CREDIT", '{"hours": 3, "min_minutes": 45}')
    assert Settings().guide_credit.hours == 3 and Settings().guide_credit.min_minutes == 45
    for bad in ('{"hours": 9}', '{"hours": -1}', '{"min_minutes": "Infinity"}',
                '{"hours": NaN}', '{"surprise": 1}'):
        monkeypatch.setenv("REDHALL_GUIDE_CREDIT", bad)
        with pytest.raises(ValueError):
            Settings()
