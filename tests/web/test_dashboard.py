"""The committee's dashboard (党建驾驶舱): its figures against a small population built by
hand (what each member earned and when they took part is known, so hours, pace, flags and
members at risk follow from the rules), its scope, its spreadsheets, and its pages in a
browser on a phone and a desktop."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime

import openpyxl
import pytest
from sqlalchemy import insert, update

from server.bootstrap import ensure_org, ensure_user
from server.db.models import LedgerEntry, User
from server.keys import SESSIONS
from server.participation_store import row, store
from tests.server.conftest import PASSWORD
from tests.web.conftest import Portal, Visit, look

YEAR = 2025  # a year gone by: all of it is due, and Q3's end is 9/12 of it
TARGET = {"member": 32.0, "guide": 56.0}  # the server's default targets
A2_TARGET = 40.0  # member-a2 has a target of their own
# (who, hours, exhibit, when awarded): the ledger; the last one, for a December visit, was
# awarded in the new year and counts in December
AWARDS = [("member-a", "10", "founding", "2025-03-10T09:00:00.000Z"),
          ("member-a", "14", "long-march", "2025-09-05T09:00:00.000Z"),
          ("member-a2", "2", "founding", "2025-01-20T09:00:00.000Z"),
          ("member-b", "30", "founding", "2025-08-01T09:00:00.000Z"),
          ("member-b", "4", "long-march", "2026-01-05T09:00:00.000Z")]
# (who, month): a participation fact on the 15th of that month of YEAR
FACTS = [("member-a", 3), ("member-a", 9), ("member-a2", 1), ("member-b", 8)]
Q3_SHARE = 9 / 12  # pace: a twelfth of the target a month, so 75 % by September's end


def _populate(portal: Portal) -> None:
    async def go() -> None:
        async with portal.server.app[SESSIONS].begin() as db:
            await db.execute(update(User).where(User.id == portal.users["member-a2"])
                             .values(yearly_target=A2_TARGET))
            await db.execute(insert(LedgerEntry), [
                {"seq": 1000 + n, "award_key": f"test-{n}", "user_id": portal.users[who],
                 "year": YEAR, "hours": hours, "exhibit_id": exhibit, "subject": {},
                 "basis": {}, "at": at, "prev_hash": "0" * 64, "hash": "0" * 64}
                for n, (who, hours, exhibit, at) in enumerate(AWARDS)])
        # stored as the server stores them, which counts them in their members' months
        await store(portal.server.app[SESSIONS], [
            row(str(uuid.uuid4()), portal.users[who], "scene_entered",
                datetime(YEAR, month, 15, 10, tzinfo=UTC).timestamp(), {"exhibit": "founding"})
            for who, month in FACTS])
    portal.call(go())


def _due(who: str, share: float) -> float:
    return {"member-a2": A2_TARGET, "guide-a": TARGET["guide"]}.get(who, TARGET["member"]) \
        * share


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_the_committee_sees_each_branch_against_the_pace(portal: Portal) -> None:
    _populate(portal)
    status, view = portal.api("admin", "GET", f"/api/dashboard?period={YEAR}-Q3")
    assert status == 200, view
    assert view["share_due"] == Q3_SHARE and view["level"] == "committee"
    rows = {row["name"]: row for row in view["branches"]}
    a, b = rows["第一党支部"], rows["第二党支部"]
    # branch a: guide-a, member-a, member-a2; only member-a took part in Jul..Sep
    assert (a["members"], a["active"], a["participation_rate"]) == (3, 1, round(1 / 3, 4))
    assert a["hours"] == 14  # member-a's September award; March and January are before Q3
    to_date_a = 10 + 14 + 2
    due_a = sum(_due(who, Q3_SHARE) for who in ("guide-a", "member-a", "member-a2"))
    assert a["hours_to_date_per_member"] == round(to_date_a / 3, 2)
    assert a["due_per_member"] == round(due_a / 3, 2)
    assert a["pace"] == round(to_date_a / due_a, 4)
    assert [flag["text"] for flag in a["flags"]] == [
        "参与率 33%，低于 60%", f"人均学时 {to_date_a / 3:.1f}，应达 {due_a / 3:.1f}"]
    # branch b: member-b earned 30 by August against 24 due and took part: not flagged
    assert (b["members"], b["active"], b["hours"], b["flags"]) == (1, 1, 30, [])
    assert b["pace"] == round(30 / _due("member-b", Q3_SHARE), 4)
    assert view["branches"][0]["name"] == "第一党支部"  # the flagged come first
    # at risk: under 75 % of what is due; member-a is exactly on pace
    assert [(p["name"], p["shortfall"]) for p in view["at_risk"]] == [
        ("第一支部书记", _due("guide-a", Q3_SHARE)),
        ("党员乙", _due("member-a2", Q3_SHARE) - 2)]
    assert view["totals"]["at_risk"] == 2 and view["totals"]["branches_flagged"] == 1
    assert view["totals"]["members"] == 4 and view["totals"]["hours"] == 44
    assert view["trend"] == [
        {"month": f"{YEAR}-{m:02d}", "hours": h, "active": n}
        for m, h, n in ((1, 2, 1), (2, 0, 0), (3, 10, 1), (4, 0, 0), (5, 0, 0), (6, 0, 0),
                        (7, 0, 0), (8, 30, 1), (9, 14, 1))]
    assert view["exhibits"] == [
        {"exhibit": "founding", "members": 1, "awards": 1, "hours": 30.0,
         "title": "开天辟地——中国共产党的创建"},
        {"exhibit": "long-march", "members": 1, "awards": 1, "hours": 14.0,
         "title": "万里长征——从遵义到大渡河"}]


def test_a_year_a_month_a_branch_and_a_member(portal: Portal) -> None:
    _populate(portal)
    _, year = portal.api("admin", "GET", f"/api/dashboard?period={YEAR}&lang=en")
    assert year["share_due"] == 1.0 and len(year["trend"]) == 12
    assert year["trend"][11]["hours"] == 4  # awarded in January of the next year
    assert year["exhibits"][0] == {  # named in the reader's language
        "exhibit": "founding", "members": 3, "awards": 3, "hours": 42.0,
        "title": "A New Beginning: the Founding of the Communist Party of China"}
    flags = {row["name"]: [f["text"] for f in row["flags"]] for row in year["branches"]}
    assert flags["第二党支部"] == []  # 34 of 32
    # two of three took part in the year (67 %): behind the pace only
    assert flags["第一党支部"] == [f"Hours per member {26 / 3:.1f}, {128 / 3:.1f} due"]
    _, month = portal.api("admin", "GET", f"/api/dashboard?period={YEAR}-09")
    assert month["share_due"] == Q3_SHARE and month["totals"]["hours"] == 14
    assert month["totals"]["active"] == 1  # only member-a took part in September
    branch = portal.orgs["a"]
    _, drill = portal.api("admin", "GET", f"/api/dashboard?period={YEAR}-Q3&org={branch}")
    assert drill["level"] == "branch" and drill["branches"] == []
    assert {m["name"] for m in drill["members"] if m["at_risk"]} == {"第一支部书记", "党员乙"}
    assert [p["name"] for p in drill["path"]] == ["机关党委", "第一党支部"]
    status, member = portal.api("admin", "GET",
                                f"/api/dashboard/members/{portal.users['member-a2']}"
                                f"?period={YEAR}")
    assert status == 200, member
    assert (member["target"], member["hours"], member["due"], member["shortfall"]) == (
        A2_TARGET, 2, A2_TARGET, A2_TARGET - 2)
    assert member["at_risk"] and member["months"][0] == {"month": f"{YEAR}-01",
                                                         "hours": 2.0, "facts": 1}


def test_the_dashboard_keeps_to_the_admins_tree_and_refuses_nonsense(portal: Portal) -> None:
    async def elsewhere() -> tuple[int, int]:
        sessions = portal.server.app[SESSIONS]
        other = await ensure_org(sessions, "另一党委", "committee")
        branch = await ensure_org(sessions, "另一支部", "branch", other)
        return branch, await ensure_user(sessions, "stranger", PASSWORD, "member", branch,
                                         "外人")
    branch, stranger = portal.call(elsewhere())
    assert portal.api("admin", "GET", f"/api/dashboard?org={branch}")[0] == 403
    assert portal.api("admin", "GET", "/api/dashboard?org=999999")[0] == 404
    assert portal.api("admin", "GET", f"/api/dashboard/members/{stranger}")[0] == 404
    _, view = portal.api("admin", "GET", "/api/dashboard")
    assert "另一支部" not in [row["name"] for row in view["branches"]]
    for query in ("period=2025-13", "period=2025-Q5", "period=25", "period=１２３４",
                  "period=1999", "org=abc", "org=-1", "format=pdf"):
        status, answer = portal.api("admin", "GET", f"/api/dashboard?{query}")
        assert status == 400, (query, answer)
        assert answer["error"], query
    assert portal.api("guide-a", "GET", "/api/dashboard")[0] == 403


def test_the_dashboard_as_csv_and_xlsx(portal: Portal) -> None:
    _populate(portal)
    status, text = portal.api("admin", "GET", f"/api/dashboard?period={YEAR}-Q3&format=csv")
    assert status == 200
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["名称", "人数", "参学人数"]
    by_name = {row[0]: row for row in rows[1:]}
    assert by_name["第一党支部"][1:4] == ["3", "1", str(round(1 / 3, 4))]
    assert by_name["第一党支部"][-1].startswith("参与率 33%，低于 60%；人均学时")

    async def fetch() -> bytes:
        import aiohttp
        async with aiohttp.ClientSession(portal.url) as client, client.get(
                f"/api/dashboard?period={YEAR}-Q3&org={portal.orgs['a']}&format=xlsx",
                headers={"Authorization": f"Bearer {portal.tokens['admin']}"}) as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            return await r.read()
    book = openpyxl.load_workbook(io.BytesIO(portal.call(fetch())))
    assert book.sheetnames == ["党员", "进度落后党员", "月度趋势", "热门展览"]
    members = [[cell.value for cell in row] for row in book["党员"].iter_rows()]
    assert members[0][:3] == ["名称", "用户名", "本期学时"]
    assert sorted(row[0] for row in members[1:]) == sorted(["第一支部书记", "党员甲", "党员乙"])
    risk = [[cell.value for cell in row] for row in book["进度落后党员"].iter_rows()]
    assert [row[0] for row in risk[1:]] == ["第一支部书记", "党员乙"]
    assert risk[1][-1] == _due("guide-a", Q3_SHARE)


_PAINTED = """id => {
  const canvas = document.querySelector(`#${id} canvas`);
  if (!canvas || !canvas.width || !canvas.height) return 0;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
  return painted;
}"""


def _charts_drawn(visit: Visit, *charts: str) -> None:
    if visit.page.locator("#show-charts").count():  # a phone asks for the charts
        visit.page.click("#show-charts")
    visit.page.locator(".chart").first.scroll_into_view_if_needed()  # charts load near
    visit.page.wait_for_selector("#dashboard[data-drawn=true]", state="attached")
    for chart in charts:
        assert visit.page.evaluate(_PAINTED, chart) > 500, f"{chart} is blank"


def test_the_dashboard_pages_drill_down_from_committee_to_member(phone: Visit, desktop: Visit
                                                                 ) -> None:
    portal = desktop.portal
    _populate(portal)
    for visit, size in ((phone, "phone"), (desktop, "desktop")):
        visit.log_in("admin")
        page = visit.open("/admin/dashboard")
        page.select_option("#pick-year", str(YEAR))  # the period picker: Q3 of YEAR
        page.select_option("#pick-span", "Q3")
        page.click("form.picker button[type=submit]")
        page.wait_for_load_state()
        assert f"year={YEAR}&span=Q3" in page.url
        assert page.locator("h1").inner_text().startswith("机关党委")
        tiles = page.locator(".tiles").inner_text()
        assert "33%" not in tiles and "50%" in tiles  # 2 of 4 took part in Q3
        flagged = page.locator("#branch-table tbody tr").first
        assert "第一党支部" in flagged.inner_text()
        assert "参与率 33%，低于 60%" in flagged.inner_text()
        assert page.locator("#risk-table tbody tr").count() == 2
        assert page.locator("a.button[href*='format=xlsx']").count() == 1
        _charts_drawn(visit, "chart-trend", "chart-branches", "chart-exhibits")
        look(visit, f"dashboard-{size}")
        page.click("#branch-table a:text('第一党支部')")
        page.wait_for_load_state()
        assert f"/admin/dashboard/branches/{portal.orgs['a']}?period={YEAR}-Q3" in page.url
        assert page.locator("#member-table tbody tr").count() == 3
        assert page.locator("#member-table tr.flagged").count() == 2
        _charts_drawn(visit, "chart-trend", "chart-exhibits")
        look(visit, f"dashboard-branch-{size}")
        page.click("#risk-table a:text('党员乙')")
        page.wait_for_load_state()
        assert f"/admin/dashboard/members/{portal.users['member-a2']}?period={YEAR}" in page.url
        assert page.locator("h1").inner_text().startswith("党员乙")
        assert "38.0" in page.locator(".tiles").inner_text()  # 40 due, 2 earned
        _charts_drawn(visit, "chart-member")
        look(visit, f"dashboard-member-{size}")
