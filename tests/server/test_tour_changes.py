"""Moving and cancelling tours: who may, when they may not, what registrants are told, and
that reminders for the old time never fire."""

from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import select

from server.db.models import AuditEntry, ExhibitVersion, ParticipationRecord, Registration, Reminder
from server.keys import SESSIONS
from server.reminders import send_due
from tests.server.conftest import World
from tests.server.test_tours import _plan, _published

BEIJING = timezone(timedelta(hours=8))


async def _tour(world: World, **changes: object) -> dict:
    async with world.client.server.app[SESSIONS]() as db:
        if await db.scalar(select(ExhibitVersion.id)) is None:
            await _published(world)
    made = await world.client.post("/api/tours", json=_plan(world, **changes),
                                   headers=world.auth("guide"))
    assert made.status == 201, await made.text()
    return await made.json()


async def _reminders(world: World, tour_id: int) -> list[Reminder]:
    async with world.client.server.app[SESSIONS]() as db:
        return list((await db.scalars(select(Reminder).where(Reminder.tour_id == tour_id)
                                      .order_by(Reminder.id))).all())


async def _fact(world: World, tour_id: int, kind: str, user: str = "guide") -> None:
    async with world.client.server.app[SESSIONS].begin() as db:
        count = len((await db.scalars(select(ParticipationRecord.number))).all())
        db.add(ParticipationRecord(id=f"fact-{tour_id}-{kind}-{count}",
                                   user_id=world.users[user], tour_id=tour_id, kind=kind,
                                   at=datetime.now(UTC), detail={"tour": tour_id, "seat": 0}))


async def test_a_guide_moves_a_tour_and_registrants_are_told(world: World) -> None:
    client = world.client
    tour = await _tour(world, starts_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("member"))
    before = [r for r in await _reminders(world, tour["id"]) if r.kind == "reminder"]
    assert len(before) == 2  # a day before and an hour before
    new_start = (datetime.now(BEIJING) + timedelta(days=5)).replace(microsecond=0)
    moved = await client.patch(f"/api/tours/{tour['id']}", headers=world.auth("guide"), json={
        "starts_at": new_start.isoformat(), "duration_minutes": 90, "capacity": 3,
        "title": "主题党日（改期）"})
    assert moved.status == 200, await moved.text()
    out = await moved.json()
    assert out["starts_at"] == new_start.isoformat() and out["time_zone"] == "+08:00"
    assert out["ends_at"] == (new_start + timedelta(minutes=90)).isoformat()
    assert out["capacity"] == 3 and out["title"] == "主题党日（改期）"
    assert out["sequence"] == 1 and out["state"] == "scheduled"
    queued = await _reminders(world, tour["id"])
    reminders = [r for r in queued if r.kind == "reminder"]
    assert {r.due_at for r in reminders} == {new_start - timedelta(minutes=24 * 60),
                                             new_start - timedelta(minutes=60)}
    assert not {r.due_at for r in before} & {r.due_at for r in queued}  # the old ones went
    (notice,) = [r for r in queued if r.kind == "tour_moved"]
    assert notice.user_id == world.users["member"] and notice.due_at <= datetime.now(UTC)
    assert notice.detail["now"]["starts_at"] == new_start.isoformat()
    sent: list[tuple[str, int]] = []

    async def record(reminder: Reminder) -> None:
        sent.append((reminder.kind, reminder.user_id))

    assert await send_due(client.server.app, record) == 1
    assert sent == [("tour_moved", world.users["member"])]
    async with client.server.app[SESSIONS]() as db:
        audit = (await db.scalars(select(AuditEntry).where(
            AuditEntry.target == f"tour:{tour['id']}"))).all()
    assert [a.action for a in audit] == ["tour.schedule", "tour.move"]
    assert audit[1].actor_id == world.users["guide"] and audit[1].detail["capacity"] == 3


async def test_old_reminders_never_fire_after_a_move_or_a_cancel(world: World) -> None:
    client, app = world.client, world.client.server.app
    soon = (datetime.now(UTC) + timedelta(minutes=90)).isoformat()
    tour = await _tour(world, starts_at=soon)
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("member"))
    later = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    assert (await client.patch(f"/api/tours/{tour['id']}", json={"starts_at": later},
                               headers=world.auth("guide"))).status == 200
    # the clock reaches the old reminder's time: nothing for the old time is sent
    async with app[SESSIONS].begin() as db:
        for row in (await db.scalars(select(Reminder).where(Reminder.kind == "reminder"))).all():
            assert row.due_at > datetime.now(UTC) + timedelta(hours=1)
    kinds: list[str] = []

    async def record(reminder: Reminder) -> None:
        kinds.append(reminder.kind)

    await send_due(app, record)
    assert kinds == ["tour_moved"]
    cancelled = await client.delete(f"/api/tours/{tour['id']}", headers=world.auth("guide"))
    assert cancelled.status == 200, await cancelled.text()
    out = await cancelled.json()
    assert out["state"] == "cancelled" and out["cancelled"] and out["sequence"] == 2
    assert out["cancelled_at"].endswith("+00:00") or out["cancelled_at"][-6] in "+-"
    pending = [r for r in await _reminders(world, tour["id"]) if r.sent_at is None]
    assert [(r.kind, r.user_id) for r in pending] == [("tour_cancelled", world.users["member"])]
    kinds.clear()
    async with app[SESSIONS].begin() as db:  # even long after, only the notice goes out
        for row in (await db.scalars(select(Reminder))).all():
            row.due_at = datetime.now(UTC) - timedelta(seconds=1)
    await send_due(app, record)
    assert kinds == ["tour_cancelled"]
    again = await client.delete(f"/api/tours/{tour['id']}", headers=world.auth("guide"))
    assert again.status == 200 and (await again.json())["sequence"] == 2  # nothing new
    assert [r for r in await _reminders(world, tour["id"]) if r.sent_at is None] == []


async def test_a_cancelled_tour_is_closed_to_everything(world: World) -> None:
    client = world.client
    tour = await _tour(world)
    assert (await client.delete(f"/api/tours/{tour['id']}",
                                headers=world.auth("admin"))).status == 200
    joined = await client.post(f"/api/tours/{tour['id']}/registration",
                               headers=world.auth("member"))
    assert joined.status == 409 and "cancelled" in (await joined.json())["error"]
    moved = await client.patch(f"/api/tours/{tour['id']}", json={"title": "x"},
                               headers=world.auth("guide"))
    assert moved.status == 409 and "cancelled" in (await moved.json())["error"]
    from protocol import tour as wire

    async with client.ws_connect(f"/api/tours/{tour['id']}/live") as ws:
        await ws.send_str(wire.Hello(version=wire.TOUR_PROTOCOL,
                                     token=world.tokens["member"]).model_dump_json())
        refused = await ws.receive_json()
        assert refused["type"] == "error" and "cancelled" in refused["message"]


async def test_live_and_ended_tours_cannot_be_moved_or_cancelled(world: World) -> None:
    client = world.client
    tour = await _tour(world)
    await _fact(world, tour["id"], "tour_started")
    for method in ("patch", "delete"):
        answer = await client.request(method, f"/api/tours/{tour['id']}",
                                      json={"capacity": 9}, headers=world.auth("guide"))
        assert answer.status == 409 and "live" in (await answer.json())["error"]
    listed = await (await client.get(f"/api/tours/{tour['id']}",
                                     headers=world.auth("guide"))).json()
    assert listed["state"] == "live"
    await _fact(world, tour["id"], "tour_ended")
    for method in ("patch", "delete"):
        answer = await client.request(method, f"/api/tours/{tour['id']}",
                                      json={"capacity": 9}, headers=world.auth("admin"))
        assert answer.status == 409 and "ended" in (await answer.json())["error"]
    assert (await client.post(f"/api/tours/{tour['id']}/registration",
                              headers=world.auth("member"))).status == 409


async def test_only_the_tours_guide_or_an_admin_may_change_it(world: World) -> None:
    from server.bootstrap import ensure_user
    from tests.server.conftest import PASSWORD

    client = world.client
    tour = await _tour(world)
    path = f"/api/tours/{tour['id']}"
    await ensure_user(client.server.app[SESSIONS], "guide-a2", PASSWORD, "guide", world.branch_a)
    await ensure_user(client.server.app[SESSIONS], "guide-b", PASSWORD, "guide", world.branch_b)
    headers = {}
    for name in ("guide-a2", "guide-b"):
        login = await client.post("/api/auth/login", json={"username": name,
                                                           "password": PASSWORD})
        token = (await (await client.post("/api/auth/tokens", json={},
                                          cookies=login.cookies)).json())["token"]
        headers[name] = {"Authorization": f"Bearer {token}"}
    client.session.cookie_jar.clear()
    for method in ("patch", "delete"):
        assert (await client.request(method, path, json={"capacity": 4})).status == 401
        for who in ("member", "editor"):
            assert (await client.request(method, path, json={"capacity": 4},
                                         headers=world.auth(who))).status == 403
        # a guide of the invited branch sees the tour but may not change another's
        other = await client.request(method, path, json={"capacity": 4},
                                     headers=headers["guide-a2"])
        assert other.status == 403 and "guide" in (await other.json())["error"]
        # a guide of another branch does not learn that it exists
        assert (await client.request(method, path, json={"capacity": 4},
                                     headers=headers["guide-b"])).status == 404
        assert (await client.request(method, "/api/tours/999999", json={"capacity": 4},
                                     headers=world.auth("admin"))).status == 404
    assert (await client.patch(path, json={"branches": [world.branch_b]},
                               headers=world.auth("guide"))).status == 403
    assert (await client.patch(path, json={"capacity": 4},
                               headers=world.auth("admin"))).status == 200


async def test_capacity_never_goes_below_the_registered(world: World) -> None:
    client = world.client
    tour = await _tour(world, capacity=5)
    path = f"/api/tours/{tour['id']}"
    for who in ("member", "admin"):
        assert (await client.post(path + "/registration", headers=world.auth(who))).status == 201
    low = await client.patch(path, json={"capacity": 1}, headers=world.auth("guide"))
    assert low.status == 409 and "2 members are registered" in (await low.json())["error"]
    assert (await (await client.patch(path, json={"capacity": 2}, headers=world.auth("guide")
                                      )).json())["capacity"] == 2
    assert (await client.post(path + "/registration",
                              headers=world.auth("guide"))).status == 409  # full


async def test_a_branch_no_longer_invited_loses_its_places(world: World) -> None:
    client = world.client
    tour = await _tour(world)
    path = f"/api/tours/{tour['id']}"
    both = await client.patch(path, json={"branches": [world.branch_a, world.branch_b]},
                              headers=world.auth("admin"))
    assert (await both.json())["branches"] == sorted([world.branch_a, world.branch_b])
    for who in ("member", "member_b", "admin"):
        assert (await client.post(path + "/registration", headers=world.auth(who))).status == 201
    only_b = await client.patch(path, json={"branches": [world.branch_b]},
                                headers=world.auth("admin"))
    out = await only_b.json()
    assert out["branches"] == [world.branch_b] and out["registered"] == 2
    async with client.server.app[SESSIONS]() as db:
        places = (await db.scalars(select(Registration.user_id).where(
            Registration.tour_id == tour["id"], Registration.cancelled_at.is_(None)))).all()
    assert sorted(places) == sorted([world.users["member_b"], world.users["admin"]])
    notices = [(r.kind, r.user_id) for r in await _reminders(world, tour["id"])
               if r.kind != "reminder"]
    assert notices == [("tour_cancelled", world.users["member"])]
    assert (await client.get(path, headers=world.auth("member"))).status == 404
