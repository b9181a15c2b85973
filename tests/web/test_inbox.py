"""The inbox in a browser and through its API: a moved tour's notice in the reader's
language with the tours link, unread ones marked and marked read (one, then all), pages
of notices newest first, and nobody reads or marks another member's notices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from playwright.sync_api import expect

from server.db.models import Notification
from server.keys import SESSIONS
from server.reminders import send_due
from tests.web.conftest import Portal, Visit, look

TITLE = "主题党日：开天辟地"
BEIJING = timezone(timedelta(hours=8))


def _move_the_tour(portal: Portal) -> None:
    """member-a registers for the seeded tour; its guide moves it; the queue is sent."""
    status, body = portal.api("member-a", "POST", f"/api/tours/{portal.tour_id}/registration")
    assert status in (200, 201), body
    later = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0, second=0)
    status, body = portal.api("guide-a", "PATCH", f"/api/tours/{portal.tour_id}",
                              json={"starts_at": later.astimezone(BEIJING).isoformat()})
    assert status == 200, body
    assert portal.call(send_due(portal.server.app)) >= 1


def _add_notices(portal: Portal, who: str, count: int) -> None:
    async def add() -> None:
        async with portal.server.app[SESSIONS].begin() as db:
            db.add_all(Notification(
                user_id=portal.users[who], kind="reminder", tour_id=portal.tour_id,
                detail={"title": f"{TITLE} {n}", "starts_at": "2026-07-01T09:00:00+08:00"})
                for n in range(count))
    portal.call(add())


def test_the_inbox_on_a_phone_and_a_desktop(portal: Portal, phone: Visit,
                                            desktop: Visit) -> None:
    _move_the_tour(portal)
    _add_notices(portal, "member-a", 1)
    phone.log_in("member-a")
    page = phone.open("/notifications")
    cards = page.locator(".notice-card")
    assert cards.count() == 2 and page.locator(".notice-card.unread").count() == 2
    assert page.locator("#unread-count").inner_text() == "2 条未读"
    moved = cards.filter(has_text="时间变更")
    assert TITLE in moved.inner_text() and "改为" in moved.inner_text()
    assert moved.locator("a", has_text="查看讲解活动").get_attribute("href") == "/tours"
    look(phone, "inbox-phone")
    # marking one read: its mark goes, the count follows, the next card gets the focus
    page.locator(".notice-card").first.locator(".mark-read").click()
    expect(page.locator("#unread-count")).to_have_text("1 条未读")  # waits for the answer
    assert page.locator(".notice-card.unread").count() == 1
    assert portal.api("member-a", "GET", "/api/notifications")[1]["unread"] == 1

    desktop.log_in("member-a")
    page = desktop.open("/notifications")
    page.click("header button[lang=en]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Notifications"
    moved = page.locator(".notice-card", has_text="Tour moved")
    assert "now starts" in moved.inner_text() and TITLE in moved.inner_text()
    assert "(UTC+08:00)" in moved.inner_text()  # the tour's own zone, said
    look(desktop, "inbox-desktop-en")
    page.click("#mark-all")
    page.wait_for_selector("#unread-count.ok")
    assert page.locator("#unread-count").inner_text() == "All read"
    assert page.locator(".notice-card.unread").count() == 0
    assert page.locator("#mark-all").count() == 0
    page.reload()
    assert page.locator(".notice-card.unread").count() == 0
    look(desktop, "inbox-desktop-read")


def test_an_empty_inbox_says_what_will_come(portal: Portal, phone: Visit) -> None:
    phone.log_in("member-b")
    page = phone.open("/notifications")
    assert "暂无通知" in page.locator("main").inner_text()
    assert page.locator("#mark-all").count() == 0
    look(phone, "inbox-empty-phone")


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_the_api_pages_newest_first_and_keeps_to_its_owner(portal: Portal) -> None:
    _add_notices(portal, "member-a", 25)
    _add_notices(portal, "member-b", 1)
    status, first = portal.api("member-a", "GET", "/api/notifications?limit=10&lang=en")
    assert status == 200 and first["unread"] == 25 and len(first["items"]) == 10
    ids = [item["id"] for item in first["items"]]
    assert ids == sorted(ids, reverse=True)
    assert first["items"][0]["text"].startswith("The tour “")
    assert first["items"][0]["heading"] == "Tour reminder" and first["items"][0]["read"] is False
    seen = list(ids)
    older = first["older"]
    while older is not None:
        status, more = portal.api("member-a", "GET", f"/api/notifications?limit=10&before={older}")
        assert status == 200
        seen += [item["id"] for item in more["items"]]
        older = more["older"]
    assert len(seen) == len(set(seen)) == 25 and seen == sorted(seen, reverse=True)
    assert "将于" in more["items"][0]["text"]  # zh-CN unless asked otherwise

    _, theirs = portal.api("member-b", "GET", "/api/notifications")
    (other,) = theirs["items"]
    assert portal.api("member-a", "POST", f"/api/notifications/{other['id']}/read")[0] == 404
    assert portal.api("member-a", "POST", "/api/notifications/2147483647/read")[0] == 404
    status, done = portal.api("member-a", "POST", f"/api/notifications/{ids[0]}/read")
    assert status == 200 and done["unread"] == 24
    assert portal.api("member-a", "POST", f"/api/notifications/{ids[0]}/read")[1]["unread"] == 24
    status, done = portal.api("member-a", "POST", "/api/notifications/read-all")
    assert status == 200 and done == {"ok": True, "marked": 24, "unread": 0}
    assert portal.api("member-b", "GET", "/api/notifications")[1]["unread"] == 1  # untouched
    for bad in ("limit=0", "limit=101", "limit=x", "before=-1", "before=99999999999"):
        status, body = portal.api("member-a", "GET", f"/api/notifications?{bad}")
        assert status == 400, (bad, body)
