"""A temporary password (an administrator's reset, a roster import) asks for the person's
own before any page; the change-password page checks what it is given, ends the log-ins
elsewhere, and the temporary password stops working."""

from __future__ import annotations

import re

from tests.server.conftest import PASSWORD, World

NEW = "a-new-Passw0rd"


async def _page_session(world: World, username: str, password: str) -> tuple[dict[str, str], str]:
    """A browser's log-in through the portal's form: its cookie and where it was sent."""
    login = await world.client.post("/login", data={"username": username, "password": password},
                                    allow_redirects=False)
    assert login.status == 303, await login.text()
    return {"redhall_session": login.cookies["redhall_session"].value}, login.headers["Location"]


async def _csrf(world: World, cookies: dict[str, str], path: str) -> str:
    page = await world.client.get(path, cookies=cookies)
    assert page.status == 200, await page.text()
    found = re.search(r'name="csrf-token" content="([^"]+)"', await page.text())
    assert found
    return found.group(1)


async def _temporary_password(world: World) -> str:
    """The administrator resets member-a's password from the person's page."""
    admin, _ = await _page_session(world, "admin", PASSWORD)
    person = f"/admin/people/{world.users['member']}"
    token = await _csrf(world, admin, person)
    reset = await world.client.post(person + "/password", data={"_csrf": token}, cookies=admin)
    assert reset.status == 200
    found = re.search(r'id="temporary-password"[^>]*>([2-9a-zA-Z]{12})<', await reset.text())
    assert found, await reset.text()
    return found.group(1)


async def test_a_temporary_password_leads_to_the_change_page_first(world: World) -> None:
    temporary = await _temporary_password(world)
    member, landing = await _page_session(world, "member-a", temporary)
    # the log-in's own redirect goes home, and home sends the person to change it first
    home = await world.client.get(landing, cookies=member, allow_redirects=False)
    assert home.status == 303
    assert home.headers["Location"] == "/account/password?next=%2Fme"
    record = await world.client.get("/me/record?year=2026", cookies=member,
                                    allow_redirects=False)
    assert record.headers["Location"] == "/account/password?next=%2Fme%2Frecord%3Fyear%3D2026"
    # what pages and machines need stays reachable
    assert (await world.client.get("/static/css/portal.css", cookies=member)).status == 200
    assert (await world.client.get("/api/me", cookies=member)).status == 200
    page = await world.client.get("/account/password?next=/me", cookies=member)
    assert page.status == 200 and "临时密码" in await page.text()


async def test_the_change_page_refuses_what_it_cannot_take(world: World) -> None:
    temporary = await _temporary_password(world)
    member, _ = await _page_session(world, "member-a", temporary)
    token = await _csrf(world, member, "/account/password")

    async def change(current: str, new: str, repeat: str | None = None) -> tuple[int, str]:
        reply = await world.client.post("/account/password", cookies=member,
                                         allow_redirects=False, data={
                                             "_csrf": token, "current": current, "new": new,
                                             "repeat": new if repeat is None else repeat})
        return reply.status, await reply.text()

    assert (await change(temporary, NEW, NEW + "x"))[0] == 400
    status, said = await change(temporary, "short")
    assert status == 400 and "8 至 200" in said
    assert (await change(temporary, "x" * 201))[0] == 400
    assert (await change(temporary, temporary))[0] == 400
    assert (await change(temporary, "MEMBER-A" + ""))[0] == 400  # its username
    assert (await change("", NEW))[0] == 400
    status, said = await change("not-the-password", NEW)
    assert status == 401 and "当前密码不正确" in said
    # nothing was changed: still the temporary password, still asked for
    assert (await world.client.get("/me", cookies=member, allow_redirects=False)).status == 303
    missing_token = await world.client.post("/account/password", cookies=member, data={
        "current": temporary, "new": NEW, "repeat": NEW}, allow_redirects=False)
    assert missing_token.status == 403


async def test_a_changed_password_ends_other_log_ins_and_the_temporary_one(world: World) -> None:
    temporary = await _temporary_password(world)
    elsewhere, _ = await _page_session(world, "member-a", temporary)
    member, _ = await _page_session(world, "member-a", temporary)
    token = await _csrf(world, member, "/account/password")
    done = await world.client.post("/account/password", cookies=member, allow_redirects=False,
                                   data={"_csrf": token, "current": temporary, "new": NEW,
                                         "repeat": NEW, "next": "/me/record"})
    assert done.status == 303
    assert done.headers["Location"] == "/account/password?done=1&next=%2Fme%2Frecord"
    shown = await world.client.get(done.headers["Location"], cookies=member)
    said = await shown.text()
    assert "密码已修改" in said and 'href="/me/record"' in said
    # this browser goes on; the other log-in has ended; pages are open again
    assert (await world.client.get("/me", cookies=member, allow_redirects=False)).status == 200
    ended = await world.client.get("/me", cookies=elsewhere, allow_redirects=False)
    assert ended.status == 303 and ended.headers["Location"].startswith("/login")
    wrong = await world.client.post("/login", allow_redirects=False,
                                    data={"username": "member-a", "password": temporary})
    assert wrong.status == 401
    await _page_session(world, "member-a", NEW)
    audit = await world.client.get("/api/audit", headers=world.auth("admin"))
    changes = [entry for entry in await audit.json() if entry["action"] == "user.password_change"]
    assert [(e["actor_id"], e["target"]) for e in changes] == [
        (world.users["member"], f"user:{world.users['member']}")]


async def test_an_own_password_is_never_asked_to_change(world: World) -> None:
    member, landing = await _page_session(world, "member-a", PASSWORD)
    assert landing == "/me"
    assert (await world.client.get("/me", cookies=member, allow_redirects=False)).status == 200
    page = await world.client.get("/account/password", cookies=member)
    assert "临时密码" not in await page.text()
