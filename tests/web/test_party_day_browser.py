"""A whole 主题党日 through the portal, as its people live it: the committee imports a
branch roster and keeps the one-time passwords; the branch's guide schedules a tour that
starts in a few minutes; each new member logs in on a phone, finds the tour, registers and
reads the inbox; the guide leads the tour from the browser console through every stop
while the members take part with the engine's headless client; afterwards the report, each
member's 学时 ring, record and certificate, the committee's dashboard and its audit log.

The tour uses a two-scene exhibit whose rules ask for seconds of presence (the samples ask
for half hours), so the whole day runs in real time."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from playwright.sync_api import Page, expect

from protocol import tour as wire
from server.keys import CREDITS
from server.reminders import send_due
from tests.server.test_party_day import QUIZ, STOPS, party_package  # noqa: F401 (fixture)
from tests.web.conftest import Portal, Visit, look
from tests.web.test_guide_console import Members

BEIJING = ZoneInfo("Asia/Shanghai")
# 姓名, 工号, 手机, 邮箱, 身份证号, 角色: three members new to the first branch
ROSTER = [("刘洋", "liuyang", "13800138001", "liuyang@example.cn", "", "党员"),
          ("陈晨", "chenchen", "13800138002", "", "", "党员"),
          ("周敏", "zhoumin", "", "", "", "预备党员")]
TITLE = "十二月主题党日：建党初心"
# what the tour earns each member who stays, answers right and sees both scenes: the
# tour's rule is its scenes' rules added up (0.5 each), and the exhibit awards 0.5 more
# to a member whose tour showed all its scenes (tests/server/test_party_day.py)
EARNED = 1.5


def _roster_csv() -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "工号", "手机", "邮箱", "身份证号", "角色"])
    writer.writerows(ROSTER)
    return buffer.getvalue().encode("utf-8")


def _token(portal: Portal, username: str, password: str) -> str:
    """A bearer token for the member's engine, made through the API with their password."""
    async def go() -> str:
        async with aiohttp.ClientSession(portal.url) as client:
            login = await client.post("/api/auth/login",
                                      json={"username": username, "password": password})
            assert login.status == 200, await login.text()
            made = await client.post("/api/auth/tokens", json={"label": "头显"},
                                     cookies=login.cookies)
            assert made.status == 201 or made.status == 200, await made.text()
            return str((await made.json())["token"])
    return portal.call(go())


def _connected(page: Page) -> None:
    expect(page.locator("#connection")).to_have_text("已连接", timeout=15_000)


def _publish(portal: Portal, package: Path) -> None:
    status, info = portal.api("editor", "POST", "/api/exhibits", data=package.read_bytes())
    assert status in (200, 201), info
    status, info = portal.api("editor", "POST", "/api/exhibits/party-day/1.0.0/publish")
    assert status == 200, info


def _no_english(page: Page, where: str = "main") -> None:
    """The Chinese page has no stray English words (codes, usernames and numbers aside)."""
    text = page.locator(where).evaluate(
        "main => { const copy = main.cloneNode(true);"
        " copy.querySelectorAll('script, style, code, .visually-hidden, [hidden]')"
        ".forEach(e => e.remove()); return copy.textContent; }")
    text = re.sub(r"https?://\S+", "", text)  # an address shown to copy
    words = set(re.findall(r"\b[A-Za-z]{4,}\b", text)) - {
        u for _, u, *_ in ROSTER} - {
        "party", "redhall", "exhibit", "example", "Excel", "JSON"}
    assert not words, f"English in the Chinese page: {sorted(words)}"


@pytest.mark.slow
def test_a_party_day_through_the_portal(portal: Portal, phone: Visit, desktop: Visit,
                                        party_package: Path) -> None:  # noqa: F811
    _publish(portal, party_package)
    branch = portal.orgs["a"]

    # -- 1. the committee imports the branch's roster and keeps the passwords -------------
    admin = desktop
    admin.log_in("admin")
    page = admin.open(f"/admin/roster?org={branch}")
    page.set_input_files("#roster-file", {"name": "一支部名册.csv", "mimeType": "text/csv",
                                          "buffer": _roster_csv()})
    page.click("#roster-form button[type=submit]")
    page.locator("#roster-commit").wait_for(state="visible")
    checked = page.locator("#roster-table tbody").inner_text()
    assert all(name in checked for name, *_ in ROSTER), checked
    look(admin, "party-day-1-roster-preview")
    page.click("#roster-commit")
    page.locator("#roster-accounts tbody tr").nth(len(ROSTER) - 1).wait_for()
    look(admin, "party-day-1-roster-done")
    passwords: dict[str, str] = {}
    for row in page.locator("#roster-accounts tbody tr").all():
        cells = row.locator("td").all_inner_texts()
        passwords[cells[2]] = cells[3]
    assert set(passwords) == {username for _, username, *_ in ROSTER}
    names = {username: name for name, username, *_ in ROSTER}
    page.click("text=退出")

    # -- 2. the guide schedules the tour, starting in a few minutes -------------------------
    guide = admin
    guide.log_in("guide-a")
    page = guide.open("/guide/tours/new")
    starts = (datetime.now(UTC) + timedelta(minutes=4)).astimezone(BEIJING)
    page.select_option("#exhibit", "party-day@1.0.0")
    page.fill("#title", TITLE)
    page.fill("#date", starts.strftime("%Y-%m-%d"))
    page.fill("#time", starts.strftime("%H:%M"))
    page.fill("#duration", "45")
    page.fill("#capacity", "20")
    assert page.locator("input[name=branches]").is_checked()  # the guide's own branch
    look(guide, "party-day-2-schedule")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "done=scheduled" in page.url, page.url
    tour_id = int(page.url.split("/guide/tours/")[1].split("?")[0])
    facts = page.locator(".facts").inner_text()
    assert starts.strftime("%H:%M") in facts, facts  # the time the guide typed, as typed
    assert "主题党日 (1.0.0)" in facts, facts  # the exhibit by its title, not its id
    look(guide, "party-day-2-scheduled")

    # -- 3. each new member, on a phone: the tour on /me and /tours, registers, the inbox ---
    # the members' phones keep Beijing time, as the inbox writes its times in the reader's
    # own zone
    phone.context.new_cdp_session(phone.page).send(
        "Emulation.setTimezoneOverride", {"timezoneId": "Asia/Shanghai"})
    for username, password in list(passwords.items()):
        phone.context.clear_cookies()
        phone.log_in(username, password)
        # the slip's password is a temporary one: the member sets their own first
        page = phone.page
        assert "/account/password?next=" in page.url, page.url
        look(phone, f"party-day-3-{username}-own-password")
        own = f"{username}-own-Pass"
        page.fill("#current", password)
        page.fill("#new", own)
        page.fill("#repeat", own)
        page.click("button[type=submit].primary")
        page.wait_for_load_state()
        assert page.locator("#outcome").inner_text() == "密码已修改，其他设备上的登录已退出。"
        page.click("main a.button.primary")
        page.wait_for_load_state()
        passwords[username] = own
        assert phone.page.url.endswith("/me"), phone.page.url
        assert names[username] in page.locator("header").inner_text()
        assert TITLE in page.locator("main").inner_text()
        assert page.locator("#hours-text").inner_text() == "0 / 32 学时"
        look(phone, f"party-day-3-{username}-home")
        page = phone.open("/tours")
        card = page.locator(f"#tour-{tour_id}")
        assert starts.strftime("%H:%M") in card.inner_text()
        card.locator("button", has_text="报名参加").click()
        page.wait_for_load_state()
        assert page.locator("#outcome").inner_text() == "报名成功。"
        assert "已报名" in card.inner_text()
        _no_english(page)
        look(phone, f"party-day-3-{username}-registered")
        # the reminder worker's round (unless the server's own worker was first): registered
        # after the last reminder's lead time (an hour before), the member is reminded at
        # once instead of never
        portal.call(send_due(portal.server.app))
        page = phone.open("/notifications")
        (notice,) = page.locator(".notice-card.unread").all()
        said = notice.inner_text()
        assert TITLE in said and starts.strftime("%H:%M") in said, said
        came = notice.locator("time")  # when it came, written in Beijing time
        moment = datetime.fromisoformat(came.get_attribute("datetime") or "")
        assert moment.astimezone(BEIJING).strftime("%H:%M") in came.inner_text(), said
        _no_english(page)
        look(phone, f"party-day-3-{username}-inbox")

    # -- 4. the tour, live: the guide in the browser, the members in their engines ----------
    for username, password in passwords.items():
        portal.tokens[username] = _token(portal, username, password)
    members = Members(portal)
    try:
        page = guide.open(f"/guide/tours/{tour_id}/live")
        page.on("dialog", lambda dialog: dialog.accept())  # "end the tour?"
        _connected(page)
        for username in passwords:
            members.join(username, tour_id)
        roster = page.locator("#roster")
        for name in names.values():
            expect(roster).to_contain_text(name)
        look(guide, "party-day-4-console-lobby")
        page.click("#start")
        members.everyone_got("phase", phase="live")
        expect(page.locator("#phase")).to_have_text("讲解中")
        stops = page.locator("button.stop")
        assert [(b.get_attribute("data-scene"), b.get_attribute("data-stop"))
                for b in stops.all()] == STOPS
        for n, (scene, stop) in enumerate(STOPS):
            button = stops.nth(n)
            button.click()
            members.everyone_got("stop", scene=scene, stop=stop)
            expect(button).to_have_attribute("aria-pressed", "true")
            page.wait_for_timeout(1500)  # the guide explains the stop
            if n == 0:
                page.fill("#countdown", "2")
                page.click("#gather")
                members.everyone_got("gathering")
                expect(page.locator("#gathering")).to_contain_text("秒后集合")
            if stop == "table":  # the hall's quiz item, at its second stop
                page.select_option("#quiz-item", QUIZ[scene])
                page.click("#quiz-start")
                members.everyone_got("quiz")
                for username in passwords:
                    members.send(username, wire.Answer(item=QUIZ[scene], choice=0))
                expect(page.locator("#quiz-state")).to_contain_text(
                    f"{len(passwords)}/{len(passwords)}")
                look(guide, "party-day-4-console-quiz")
                page.click("#quiz-close")
                expect(page.locator("#quiz-state")).to_contain_text("正确答案")
        page.click("#end")
        members.everyone_got("phase", phase="ended")
        expect(page.locator("#phase")).to_have_text("已结束")
        # the ended tour: everyone's attendance closed, nobody to hand over to or remove
        expect(roster.get_by_role("button")).to_have_count(0)
        expect(roster.locator("li", has_text="已离开")).to_have_count(len(passwords))
        assert page.locator("#questions").inner_text() == "暂无提问。"
        look(guide, "party-day-4-console-ended")
    finally:
        members.close()
        members.loop.close()  # its thread is done: let its sockets go
    portal.call(portal.server.app[CREDITS].idle())  # judged when the tour ended

    # -- 5. afterwards --------------------------------------------------------------------
    page = guide.open(f"/guide/tours/{tour_id}/report")
    rows = {r.locator("td").first.inner_text().strip(): r.locator("td").all_inner_texts()
            for r in page.locator("#attendance tbody tr").all()}
    assert set(rows) == set(names.values()), rows
    _, sheet = portal.api("guide-a", "GET", f"/api/tours/{tour_id}/attendance")
    for person in sheet["people"]:
        cells = rows[person["name"]]
        assert person["minutes"] > 0 and cells[3] == f"{person['minutes']:.1f}", cells
        assert cells[4] == "1 / 1" and person["credit_hours"] == EARNED, (cells, person)
    awards = page.locator("#h-awards + *").inner_text()
    assert all(f"{name}: {EARNED:g}" in awards for name in names.values()), awards
    _no_english(page)
    look(guide, "party-day-5-report")

    year = datetime.now(UTC).year
    for username, password in passwords.items():
        phone.context.clear_cookies()
        phone.log_in(username, password)
        page = phone.page
        assert page.locator("#hours-text").inner_text() == f"{EARNED:g} / 32 学时"
        # the tour by its title among the latest; its exhibit no longer waits to be visited
        assert f"参加讲解“{TITLE}”" in page.locator(".activity").inner_text()
        assert "/exhibits/party-day" not in page.locator("main").evaluate(
            "main => [...main.querySelectorAll('a')].map(a => a.getAttribute('href')).join()")
        look(phone, f"party-day-5-{username}-home")
        page = phone.open("/me/record")
        record = page.locator("main").inner_text()
        assert "主题党日" in record, record
        _no_english(page)
        look(phone, f"party-day-5-{username}-record")
        number = page.locator("#certificate-number").inner_text()
        page = phone.open(f"/check/{number}")
        assert "证明有效" in page.locator("h1").inner_text()
        assert f"{EARNED:g} 学时" in page.locator("#verdict").inner_text()
        look(phone, f"party-day-5-{username}-check")
        _, credits = portal.api(username, "GET", f"/api/credits?year={year}")
        assert credits["hours"] == EARNED, credits

    guide.page.click("text=退出")
    admin.log_in("admin")
    page = admin.open("/admin/dashboard")
    look(admin, "party-day-5-dashboard")
    page.click("#branch-table a:text('第一党支部')")
    page.wait_for_load_state()
    for name in names.values():
        cells = page.locator("#member-table tbody tr", has_text=name).locator(
            "td").all_inner_texts()
        assert float(cells[0]) == EARNED and cells[-1] == "是", (name, cells)
    look(admin, "party-day-5-dashboard-branch")
    page = admin.open("/admin/audit?action=roster.import")
    entries = page.locator("table.audit tbody tr")
    assert entries.count() == 1 and "系统管理员" in entries.first.inner_text()
    assert "导入名册" in entries.first.locator("td").nth(2).inner_text()
    look(admin, "party-day-5-audit")
