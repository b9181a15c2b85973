"""The committee's pages in a real browser: people and the organization tree, a person's
account actions, roster import, the audit log, LRS clients and trusted keys."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import update

from server.bootstrap import ensure_org, ensure_user
from server.db.models import User
from server.db.types import utcnow
from server.keys import SESSIONS
from tests.server.conftest import PASSWORD
from tests.web.conftest import Portal, Visit, look

PAGES = ("/admin/people", "/admin/people/{member}", "/admin/roster", "/admin/audit",
         "/admin/lrs-clients", "/admin/keys")


def _login(portal: Portal, username: str, password: str) -> int:
    import aiohttp

    async def go() -> int:
        async with aiohttp.ClientSession(portal.url) as client, client.post(
                "/api/auth/login", json={"username": username, "password": password}) as r:
            return r.status
    return portal.call(go())


def _csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "工号", "手机", "邮箱", "身份证号", "角色"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def test_every_admin_page_on_a_phone_and_a_desktop(phone: Visit, desktop: Visit) -> None:
    member = desktop.portal.users["member-a"]
    for visit, size in ((phone, "phone"), (desktop, "desktop")):
        visit.log_in("admin")
        for path in PAGES:
            page = visit.open(path.format(member=member))
            assert page.locator("h1").count() == 1, path
            look(visit, f"admin{path.replace('/', '-').replace(str(member), 'person')}-{size}")
    page = desktop.open("/admin/people")
    tree = page.locator(".org-tree").inner_text()
    assert "机关党委" in tree and "第一党支部" in tree and "第二党支部" in tree
    assert "党员甲" in page.locator("table").inner_text()  # branch a, chosen first
    page.fill("#q", "乙")
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    names = page.locator("table tbody").inner_text()
    assert "党员乙" in names and "党员甲" not in names
    page = desktop.open("/admin/keys")
    assert page.locator("dd code.wrap").first.inner_text().isalnum()
    assert "开天辟地" in page.locator("main").inner_text()  # the sample it signed


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_deactivation_ends_a_session_and_a_new_password_replaces_the_old(
        desktop: Visit, phone: Visit, portal: Portal) -> None:
    phone.log_in("member-a")
    assert phone.page.url.endswith("/me")
    member = portal.users["member-a"]
    desktop.log_in("admin")
    page = desktop.open(f"/admin/people/{member}")
    page.click("form[action$='/deactivate'] button")
    page.wait_for_load_state()
    assert "已停用" in page.locator("[role=status]").inner_text()
    phone.open("/me")
    assert "/login" in phone.page.url  # the member's session ended
    status, _ = portal.api("member-a", "GET", "/api/me")
    assert status == 401  # ...and so did their API token
    assert _login(portal, "member-a", PASSWORD) == 401
    page.click("form[action$='/reactivate'] button")
    page.wait_for_load_state()
    assert _login(portal, "member-a", PASSWORD) == 200
    page.click("form[action$='/password'] button")
    page.wait_for_load_state()
    temporary = page.locator("#temporary-password").inner_text().strip()
    look(desktop, "admin-password-desktop")
    assert len(temporary) == 12
    assert _login(portal, "member-a", PASSWORD) == 401
    assert _login(portal, "member-a", temporary) == 200
    status, log = portal.api("admin", "GET", "/api/audit")
    assert status == 200 and temporary not in str(log)
    assert {"user.deactivate", "user.reactivate", "user.password_reset"} <= {
        e["action"] for e in log if e["target"] == f"user:{member}"}


def test_a_locked_account_is_unlocked_and_an_anonymized_one_is_gone(
        desktop: Visit, portal: Portal) -> None:
    victim = portal.users["member-a2"]

    async def lock() -> None:
        async with portal.server.app[SESSIONS].begin() as db:
            await db.execute(update(User).where(User.id == victim).values(
                failed_logins=0, locked_until=utcnow() + timedelta(minutes=15)))
    portal.call(lock())
    assert _login(portal, "member-a2", PASSWORD) == 429
    desktop.log_in("admin")
    page = desktop.open(f"/admin/people/{victim}")
    assert "已锁定" in page.locator("main").inner_text()
    page.click("form[action$='/unlock'] button")
    page.wait_for_load_state()
    assert _login(portal, "member-a2", PASSWORD) == 200
    page.click("a[href$='/anonymize']")
    page.wait_for_load_state()
    look(desktop, "admin-anonymize-desktop")
    page.fill("#confirm", "member-a")  # not this person's username
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert page.locator("[role=alert]").count() == 1
    assert _login(portal, "member-a2", PASSWORD) == 200  # nothing happened
    page.fill("#confirm", "member-a2")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "/admin/people?" in page.url and "已删除" in page.locator("[role=status]").inner_text()
    assert _login(portal, "member-a2", PASSWORD) == 401
    response = page.goto(f"{portal.url}/admin/people/{victim}")
    assert response is not None and response.status == 404


def test_a_roster_is_checked_then_imported_from_the_page(desktop: Visit,
                                                         portal: Portal) -> None:
    desktop.log_in("admin")
    page = desktop.open(f"/admin/roster?org={portal.orgs['b']}")
    bad = _csv([["", "r-1", "", "", "", ""], ["某人", "r-2", "123", "", "", ""],
                ["某人乙", "member-b", "", "", "", "党员"]])
    page.set_input_files("#roster-file", {"name": "bad.csv", "mimeType": "text/csv",
                                          "buffer": bad})
    page.click("#roster-form button[type=submit]")
    page.locator("#roster-table tbody tr").first.wait_for()
    rows = page.locator("#roster-table tbody").inner_text()
    assert "缺少姓名" in rows and "手机号码" in rows and "已被占用" in rows
    assert page.locator("#roster-commit").is_hidden()
    look(desktop, "admin-roster-problems-desktop")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Name", "Username", "Mobile", "Role"])
    sheet.append(["Wang Fang", "wangfang", 13500135000, "预备党员"])
    sheet.append(["Li Lei", "lilei", None, "讲解员"])
    buffer = io.BytesIO()
    book.save(buffer)
    page.set_input_files("#roster-file", {"name": "good.xlsx", "buffer": buffer.getvalue(),
                                          "mimeType": "application/octet-stream"})
    page.click("#roster-form button[type=submit]")
    page.locator("#roster-commit").wait_for(state="visible")
    page.click("#roster-commit")
    page.locator("#roster-accounts tbody tr").nth(1).wait_for()
    look(desktop, "admin-roster-done-desktop")
    cells = page.locator("#roster-accounts tbody tr").first.locator("td").all_inner_texts()
    assert cells[2] == "wangfang"
    assert _login(portal, "wangfang", cells[3]) == 200
    assert page.locator("#roster-sheet").get_attribute("href", timeout=1000).startswith("blob:")


def test_another_committee_is_out_of_reach(desktop: Visit, portal: Portal) -> None:
    sessions = portal.server.app[SESSIONS]

    async def elsewhere() -> tuple[int, int, int]:
        committee = await ensure_org(sessions, "另一党委", "committee")
        branch = await ensure_org(sessions, "另一支部", "branch", committee)
        return committee, branch, await ensure_user(sessions, "outsider", PASSWORD,
                                                    "member", branch, "外人")
    committee, branch, outsider = portal.call(elsewhere())
    desktop.log_in("admin")
    page = desktop.open("/admin/people")
    assert "另一支部" not in page.locator("main").inner_text()
    for path in (f"/admin/people/{outsider}", f"/admin/people?org={branch}"):
        response = page.goto(portal.url + path)
        assert response is not None
        assert response.status == 404 or "外人" not in page.locator("main").inner_text()
    status, _ = portal.api("admin", "POST", f"/admin/people/{outsider}/deactivate")
    assert status == 404
    status, _ = portal.api("admin", "POST", "/admin/people/branches",
                           data={"name": "渗透支部", "parent_id": str(committee)})
    assert status == 404
    status, _ = portal.api("admin", "POST", f"/api/roster/preview?org_id={branch}",
                           data=_csv([["甲", "jia-x", "", "", "", ""]]))
    assert status == 404
    assert _login(portal, "outsider", PASSWORD) == 200  # untouched


def test_the_audit_log_filters_and_a_new_branch_and_lrs_client(desktop: Visit,
                                                                portal: Portal) -> None:
    desktop.log_in("admin")
    page = desktop.open("/admin/people")
    page.fill("#branch-name", "第三党支部")
    page.click("form[action='/admin/people/branches'] button")
    page.wait_for_load_state()
    assert "第三党支部" in page.locator("#members-heading").inner_text()
    page = desktop.open("/admin/lrs-clients")
    page.fill("#lrs-name", "省级学习平台")
    page.click("#lrs-form button[type=submit]")
    page.locator("#lrs-secret").wait_for(state="visible")
    assert len(page.locator("#lrs-secret-value").inner_text()) > 20
    look(desktop, "admin-lrs-made-desktop")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("button.revoke")
    page.locator("#lrs-table .badge.warn").wait_for()
    page = desktop.open("/admin/audit?action=org.create")
    rows = page.locator("table.audit tbody tr")
    assert rows.count() == 1 and "第三党支部" in rows.first.inner_text()
    # the action by its name (its code beside it), the organization by its name
    said = rows.first.inner_text()
    assert "新建组织" in said and "org.create" in said, said
    assert rows.first.locator("td").nth(3).inner_text().startswith("第三党支部"), said
    assert page.locator("#action option:checked").inner_text() == "新建组织"
    page = desktop.open("/admin/audit?actor=系统管理员&action=lrs_client.revoke")
    assert page.locator("table.audit tbody tr").count() == 1
    page = desktop.open("/admin/audit?actor=内容编辑")
    assert page.locator("table.audit tbody tr").count() >= 2  # the sample uploads
    assert "系统管理员" not in page.locator("table.audit tbody").inner_text()
    page = desktop.open("/admin/audit?from=2001-01-01&to=2001-12-31")
    assert page.locator("table.audit").count() == 0
    look(desktop, "admin-audit-empty-desktop")
