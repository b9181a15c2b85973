"""Tour scheduling: branch invitations, atomic capacity, cancellations, reminders, iCalendar."""

import asyncio
from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from server.bootstrap import ensure_user
from server.db.models import ExhibitVersion, Reminder
from server.keys import SESSIONS
from server.reminders import send_due
from tests.server.conftest import PASSWORD, World


async def _published(world: World) -> None:
    manifest = {"id": "founding", "version": "1.0.0", "title": {"zh-CN": "开天辟地"},
                "summary": {"zh-CN": "创建"}, "publisher": "t", "languages": ["zh-CN"],
                "scenes": [], "thumbnails": []}
    async with world.client.server.app[SESSIONS].begin() as db:
        db.add(ExhibitVersion(exhibit_id="founding", version="1.0.0", sha256="0" * 64, size=1,
                              manifest=manifest, published=True,
                              uploaded_by=world.users["editor"]))


def _plan(world: World, **changes: object) -> dict[str, object]:
    start = datetime.now(UTC) + timedelta(days=2)
    return {"exhibit_id": "founding", "version": "1.0.0", "title": "主题党日：走进一大会址",
            "starts_at": start.isoformat(), "duration_minutes": 60, "capacity": 5,
            "branches": [world.branch_a], **changes}


async def test_guides_schedule_for_their_own_branch(world: World) -> None:
    await _published(world)
    client = world.client
    made = await client.post("/api/tours", json=_plan(world), headers=world.auth("guide"))
    assert made.status == 201, await made.text()
    assert (await client.post("/api/tours", json=_plan(world, branches=[world.branch_b]),
                              headers=world.auth("guide"))).status == 403
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    assert (await client.post("/api/tours", json=_plan(world, starts_at=past),
                              headers=world.auth("guide"))).status == 400
    naive = await client.post("/api/tours", json=_plan(world, starts_at="2030-01-01T10:00:00"),
                              headers=world.auth("guide"))
    assert naive.status == 400 and "timezone" in await naive.text()
    assert (await client.post("/api/tours", json=_plan(world, version="9.9.9"),
                              headers=world.auth("admin"))).status == 400
    assert (await client.post("/api/tours", json=_plan(world),
                              headers=world.auth("member"))).status == 403
    mine = await (await client.get("/api/tours", headers=world.auth("member"))).json()
    theirs = await (await client.get("/api/tours", headers=world.auth("member_b"))).json()
    assert len(mine) == 1 and theirs == []
    tour_id = mine[0]["id"]
    outsider = await client.post(f"/api/tours/{tour_id}/registration",
                                 headers=world.auth("member_b"))
    assert outsider.status == 404


async def test_concurrent_registrations_never_overfill(world: World) -> None:
    await _published(world)
    client = world.client
    tour = await (await client.post("/api/tours", json=_plan(world, capacity=5),
                                    headers=world.auth("guide"))).json()
    sessions = client.server.app[SESSIONS]
    headers = []
    for index in range(12):
        name = f"crowd-{index}"
        await ensure_user(sessions, name, PASSWORD, "member", world.branch_a)
        login = await client.post("/api/auth/login", json={"username": name,
                                                           "password": PASSWORD})
        token = await (await client.post("/api/auth/tokens", json={},
                                         cookies=login.cookies)).json()
        headers.append({"Authorization": f"Bearer {token['token']}"})
    client.session.cookie_jar.clear()
    answers = await asyncio.gather(*(client.post(f"/api/tours/{tour['id']}/registration",
                                                 headers=h) for h in headers))
    statuses = sorted(a.status for a in answers)
    assert statuses.count(201) == 5 and statuses.count(409) == 7
    listed = await (await client.get("/api/tours", headers=world.auth("guide"))).json()
    assert listed[0]["registered"] == 5
    winner = headers[[a.status for a in answers].index(201)]
    again = await client.post(f"/api/tours/{tour['id']}/registration", headers=winner)
    assert again.status == 200  # registering twice is harmless
    freed = await client.delete(f"/api/tours/{tour['id']}/registration", headers=winner)
    assert freed.status == 200
    loser = headers[[a.status for a in answers].index(409)]
    assert (await client.post(f"/api/tours/{tour['id']}/registration",
                              headers=loser)).status == 201


async def test_reminders_are_queued_sent_once_and_dropped_on_cancel(world: World) -> None:
    await _published(world)
    client = world.client
    soon = (datetime.now(UTC) + timedelta(minutes=90)).isoformat()
    tour = await (await client.post("/api/tours", json=_plan(world, starts_at=soon),
                                    headers=world.auth("guide"))).json()
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("member"))
    app = client.server.app
    from sqlalchemy import select

    async with app[SESSIONS]() as db:
        queued = (await db.scalars(select(Reminder))).all()
    assert len(queued) == 1  # the day-before reminder is already past; the 1-hour one waits
    assert await send_due(app) == 0
    async with app[SESSIONS].begin() as db:
        for row in (await db.scalars(select(Reminder))).all():
            row.due_at = datetime.now(UTC) - timedelta(seconds=1)
    sent: list[int] = []

    async def record(reminder: Reminder) -> None:
        sent.append(reminder.user_id)

    assert await send_due(app, record) == 1 and await send_due(app, record) == 0
    assert sent == [world.users["member"]]
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("admin"))
    await client.delete(f"/api/tours/{tour['id']}/registration", headers=world.auth("admin"))
    async with app[SESSIONS]() as db:
        pending = (await db.scalars(select(Reminder).where(Reminder.sent_at.is_(None)))).all()
    assert pending == []


async def test_members_get_a_private_icalendar_feed(world: World) -> None:
    await _published(world)
    client = world.client
    tour = await (await client.post("/api/tours", json=_plan(world),
                                    headers=world.auth("guide"))).json()
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("member"))
    address = (await (await client.get("/api/me/calendar",
                                       headers=world.auth("member"))).json())["url"]
    feed = await client.get(address)  # no credentials: the secret URL is the credential
    assert feed.status == 200 and feed.content_type == "text/calendar"
    calendar = Calendar.from_ical(await feed.read())
    (event,) = calendar.walk("VEVENT")
    assert str(event["summary"]) == "主题党日：走进一大会址"
    start = datetime.fromisoformat(tour["starts_at"]).replace(microsecond=0)  # iCal: seconds
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") - event.decoded("dtstart") == timedelta(minutes=60)
    assert (await client.get("/calendar/not-a-real-token-at-all.ics")).status == 404
