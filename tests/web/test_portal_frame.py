"""The portal's frame in a real browser: log-in and its guards, log-out, the language
switch, error pages, and the protections every page has (CSP, CSRF, same origin)."""

from __future__ import annotations

import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import update

from server.auth import forget_credentials
from server.db.models import Credential
from server.db.types import utcnow
from server.keys import SESSIONS
from tests.server.conftest import PASSWORD
from tests.web.conftest import Portal, Visit, look


def test_the_log_in_page_on_a_phone_and_a_desktop(phone: Visit, desktop: Visit) -> None:
    for visit, name in ((phone, "login-phone"), (desktop, "login-desktop")):
        page = visit.open("/")
        assert page.url.endswith("/login")  # strangers are sent to the log-in page
        assert page.locator("h1").inner_text() == "登录"
        look(visit, name)


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_a_member_logs_in_is_sent_home_and_logs_out(desktop: Visit) -> None:
    desktop.log_in("member-a")
    page = desktop.page
    assert page.url.endswith("/me")
    assert "党员甲" in page.locator("header").inner_text()
    page.click("text=退出")
    page.wait_for_load_state()
    assert page.url.endswith("/login")
    page.goto(desktop.portal.url + "/me")
    assert "/login?next=/me" in page.url  # the session is over


def test_a_wrong_password_says_so_and_locks_the_account_after_five(desktop: Visit) -> None:
    for attempt in range(5):
        desktop.log_in("member-a2", "wrong password")
        alert = desktop.page.locator("[role=alert]").inner_text()
        assert alert == "用户名或密码错误。", (attempt, alert)
    look(desktop, "login-wrong", errors_expected=True)  # the 401 is logged by the browser
    desktop.log_in("member-a2", PASSWORD)  # the right password, but the account is locked
    assert "尝试次数过多" in desktop.page.locator("[role=alert]").inner_text()
    assert desktop.page.url.endswith("/login")


def test_the_language_switch_turns_the_pages_to_english(desktop: Visit) -> None:
    desktop.log_in("member-a")
    page = desktop.page
    page.click("header button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Log out" in page.locator("header").inner_text()
    page.click("header button[lang=zh-CN]")
    page.wait_for_load_state()
    assert "退出" in page.locator("header").inner_text()


def test_a_missing_page_is_a_page_not_json(desktop: Visit) -> None:
    desktop.log_in("member-a")
    response = desktop.page.goto(desktop.portal.url + "/no/such/page")
    assert response is not None and response.status == 404
    assert "404" in desktop.page.locator("h1").inner_text()
    look(desktop, "error-404", errors_expected=True)


def test_a_page_the_role_may_not_see_is_refused(desktop: Visit) -> None:
    desktop.log_in("member-a")
    response = desktop.page.goto(desktop.portal.url + "/admin/dashboard")
    assert response is not None and response.status == 403
    assert "无权" in desktop.page.locator("main").inner_text()
    response = desktop.page.goto(desktop.portal.url + "/logout")  # a change, not a page
    assert response is not None and response.status == 405


class _Attacker(BaseHTTPRequestHandler):
    target = ""

    def do_GET(self) -> None:
        page = (f'<form id="f" method="post" action="{self.target}/logout">'
                '<input name="x" value="1"></form>'
                '<script>document.getElementById("f").submit()</script>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        self.wfile.write(page)

    def log_message(self, *args: object) -> None:
        pass


# The browser does not send the Lax session cookie with another site's form, and the
# server refuses such a form even when it does (tests/server/test_portal_guards.py)
def test_a_form_posted_from_another_site_is_refused(desktop: Visit, portal: Portal) -> None:
    desktop.log_in("member-a")
    _Attacker.target = portal.url
    attacker = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        # "localhost" is another site than "127.0.0.1" to the browser
        desktop.page.goto(f"http://localhost:{attacker.server_address[1]}/")
        desktop.page.wait_for_load_state()
    finally:
        attacker.shutdown()
        attacker.server_close()
    page = desktop.page
    page.goto(portal.url + "/me")
    assert page.url.endswith("/me"), "the forged log-out ended the session"


def test_every_answer_carries_the_content_security_policy(desktop: Visit) -> None:
    response = desktop.page.goto(desktop.portal.url + "/login")
    assert response is not None
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert response.headers["x-frame-options"] == "DENY"
    css = desktop.page.request.get(desktop.portal.url + "/static/css/portal.css")
    assert css.ok and "content-security-policy" in css.headers


def test_an_expired_session_sends_the_member_back_to_the_log_in_page(desktop: Visit,
                                                                      portal: Portal) -> None:
    desktop.log_in("member-a")
    page = desktop.page
    assert page.request.get(portal.url + "/api/me").ok

    async def expire() -> None:
        async with portal.server.app[SESSIONS].begin() as db:
            await db.execute(update(Credential)
                             .where(Credential.user_id == portal.users["member-a"],
                                    Credential.kind == "session")
                             .values(expires_at=utcnow() - timedelta(minutes=1)))
        forget_credentials(portal.server.app)  # as a restart would; the cache has a TTL too
    portal.call(expire())
    page.goto(portal.url + "/")
    assert "/login" in page.url
    assert page.request.get(portal.url + "/api/me").status == 401


def test_the_keyboard_reaches_the_content_and_every_link_of_the_bar(phone: Visit) -> None:
    phone.log_in("member-a")
    page = phone.page
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(phone.portal.url + "/me")
    links = page.locator("header nav a").count()
    reached: set[str] = set()
    for _ in range(links + 6):  # the skip link, the brand, the bar's links and its buttons
        page.keyboard.press("Tab")
        href = page.evaluate("document.activeElement.getAttribute('href')")
        if href:
            reached.add(href)
    assert {page.locator("header nav a").nth(i).get_attribute("href")
            for i in range(links)} <= reached
