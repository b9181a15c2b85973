"""An administrator of a committee oversees that committee's tree only: its tours (in the
API, on the guide's and the member's pages), the branches it may invite, its reports;
an administrator of no organization oversees everything."""

from __future__ import annotations

import pytest

from engine.tour_client import TourClosed
from server.bootstrap import ensure_org, ensure_user
from server.keys import SESSIONS
from tests.server.conftest import PASSWORD, World
from tests.server.live_support import participant
from tests.server.test_tours import _plan, _published


async def _committee_admin(world: World) -> tuple[int, int, dict[str, str]]:
    """A second committee with a branch, a guide and a member, and its own administrator:
    (branch id, the branch's tour id, the administrator's Authorization header)."""
    sessions = world.client.server.app[SESSIONS]
    other = await ensure_org(sessions, "第二党委", "committee")
    branch_c = await ensure_org(sessions, "第三党支部", "branch", other)
    await ensure_user(sessions, "guide-c", PASSWORD, "guide", branch_c)
    await ensure_user(sessions, "member-c", PASSWORD, "member", branch_c)
    await ensure_user(sessions, "admin-2", PASSWORD, "admin", other)
    tokens = {}
    for username in ("guide-c", "admin-2"):
        login = await world.client.post("/api/auth/login", json={"username": username,
                                                                 "password": PASSWORD})
        tokens[username] = {"redhall_session": login.cookies["redhall_session"].value}
        world.client.session.cookie_jar.clear()  # each log-in is a browser of its own
    made = await world.client.post("/api/tours", json=_plan(world, branches=[branch_c]),
                                   cookies=tokens["guide-c"])
    assert made.status == 201, await made.text()
    return branch_c, (await made.json())["id"], tokens["admin-2"]


async def test_a_committee_administrator_sees_the_tours_of_their_tree(world: World) -> None:
    await _published(world)
    ours = await world.client.post("/api/tours", json=_plan(world), headers=world.auth("guide"))
    our_tour = (await ours.json())["id"]
    branch_c, their_tour, admin_2 = await _committee_admin(world)
    get = world.client.get
    listed = await (await get("/api/tours", cookies=admin_2)).json()
    assert [tour["id"] for tour in listed] == [their_tour]
    everything = await (await get("/api/tours", headers=world.auth("admin"))).json()
    assert {tour["id"] for tour in everything} == {our_tour, their_tour}
    assert (await get(f"/api/tours/{their_tour}", cookies=admin_2)).status == 200
    assert (await get(f"/api/tours/{our_tour}", cookies=admin_2)).status == 404
    # changing or registering for another committee's tour: as if it did not exist
    moved = await world.client.patch(f"/api/tours/{our_tour}", cookies=admin_2,
                                     json={"capacity": 9})
    assert moved.status == 404
    assert (await world.client.post(f"/api/tours/{our_tour}/registration",
                                    cookies=admin_2)).status == 404
    # inviting a branch of another committee is refused; its own branch is fine
    refused = await world.client.post("/api/tours", cookies=admin_2,
                                      json=_plan(world, branches=[world.branch_a]))
    assert refused.status == 403
    made = await world.client.post("/api/tours", cookies=admin_2,
                                   json=_plan(world, branches=[branch_c]))
    assert made.status == 201, await made.text()
    # the pages agree with the API
    guide_page = await (await get("/guide/tours", cookies=admin_2)).text()
    assert f"/guide/tours/{their_tour}" in guide_page
    assert f"/guide/tours/{our_tour}\"" not in guide_page
    assert (await get(f"/guide/tours/{our_tour}", cookies=admin_2,
                      allow_redirects=False)).status == 404
    tours_page = await (await get("/tours", cookies=admin_2)).text()
    assert f'id="tour-{their_tour}"' in tours_page and f'id="tour-{our_tour}"' not in tours_page
    form = await (await get("/guide/tours/new", cookies=admin_2)).text()
    assert "第三党支部" in form and "第一党支部" not in form


async def test_a_committee_administrator_reports_on_their_tree(world: World) -> None:
    await _published(world)
    _, _, admin_2 = await _committee_admin(world)
    mine = await (await world.client.get("/api/reports/members?year=2026",
                                         cookies=admin_2)).json()
    assert {row["username"] for row in mine} == {"guide-c", "member-c"}
    branches = await (await world.client.get("/api/reports/branches?year=2026",
                                             cookies=admin_2)).json()
    assert {row["branch"] for row in branches} == {"第三党支部"}
    everyone = await (await world.client.get("/api/reports/members?year=2026",
                                             headers=world.auth("admin"))).json()
    assert {"member-a", "member-b", "member-c"} <= {row["username"] for row in everyone}


async def test_a_committee_administrator_cannot_join_another_committees_tour(
        world: World) -> None:
    await _published(world)
    ours = await world.client.post("/api/tours", json=_plan(world), headers=world.auth("guide"))
    our_tour = (await ours.json())["id"]
    await _committee_admin(world)
    login = await world.client.post("/api/auth/login", json={"username": "admin-2",
                                                             "password": PASSWORD})
    made = await world.client.post("/api/auth/tokens", json={"label": "t"},
                                   cookies=login.cookies)
    world.client.session.cookie_jar.clear()
    token = (await made.json())["token"]
    with pytest.raises(TourClosed) as refused:
        await participant(world.client, our_tour, token).connect()
    assert refused.value.error is not None and refused.value.error.code == "not_allowed"


async def test_a_committee_administrator_manages_only_the_people_of_their_tree(
        world: World) -> None:
    from sqlalchemy import select

    from server.db.models import Credential
    from server.keys import SESSIONS

    await _published(world)
    ours = await world.client.post("/api/tours", json=_plan(world), headers=world.auth("guide"))
    assert ours.status == 201  # an audited act of the first committee's guide
    branch_c, _, admin_2 = await _committee_admin(world)
    client = world.client
    person = {"username": "new-one", "display_name": "新人", "password": PASSWORD,
              "role": "member"}
    # no administrator of everything, no one in another committee; their own branch is fine
    for org, role in ((None, "admin"), (world.branch_a, "member"), (None, "member")):
        refused = await client.post("/api/users", cookies=admin_2,
                                    json={**person, "role": role, "org_id": org})
        assert refused.status == 403, (org, role, await refused.text())
    made = await client.post("/api/users", cookies=admin_2, json={**person, "org_id": branch_c})
    assert made.status == 201, await made.text()
    listed = await (await client.get("/api/users", cookies=admin_2)).json()
    assert {u["username"] for u in listed} == {"guide-c", "member-c", "admin-2", "new-one"}
    assert (await client.post("/api/orgs", cookies=admin_2,
                              json={"name": "总党委", "kind": "committee"})).status == 403
    assert (await client.post("/api/orgs", cookies=admin_2, json={
        "name": "外支部", "kind": "branch", "parent_id": world.committee})).status == 400
    # another committee's member: their data, credits and log-ins are out of reach
    member_a = world.users["member"]
    assert (await client.get(f"/api/users/{member_a}/export", cookies=admin_2)).status == 404
    assert (await client.get(f"/api/credits?user={member_a}", cookies=admin_2)).status == 403
    async with client.server.app[SESSIONS]() as db:
        token = await db.scalar(select(Credential.id).where(Credential.user_id == member_a))
    assert (await client.delete(f"/api/auth/tokens/{token}", cookies=admin_2)).status == 404
    assert (await client.get(f"/api/users/{world.users['member']}/export",
                             headers=world.auth("admin"))).status == 200
    audit = await (await client.get("/api/audit", cookies=admin_2)).json()
    assert audit and all(entry["actor_id"] != world.users["guide"] for entry in audit)
    everything = await (await client.get("/api/audit", headers=world.auth("admin"))).json()
    assert any(entry["actor_id"] == world.users["guide"] for entry in everything)
