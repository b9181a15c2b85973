"""The guide's pages in a real browser: their tours, scheduling one through the form (and
the form's refusals), a tour's registrations, moving and cancelling it (registrants are
told through the reminder queue), and another guide's tour refused with a page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from server.db.models import Reminder, Tour
from server.keys import SESSIONS
from tests.web.conftest import Portal, Visit, look


def _tours(portal: Portal) -> int:
    async def count() -> int:
        async with portal.server.app[SESSIONS]() as db:
            return int(await db.scalar(select(func.count()).select_from(Tour)) or 0)
    return portal.call(count())


def _reminder_kinds(portal: Portal, tour_id: int) -> set[str]:
    async def kinds() -> set[str]:
        async with portal.server.app[SESSIONS]() as db:
            return set((await db.scalars(select(Reminder.kind).where(
                Reminder.tour_id == tour_id))).all())
    return portal.call(kinds())


def _fill_start(visit: Visit, when: datetime) -> None:
    visit.page.fill("#date", when.strftime("%Y-%m-%d"))
    visit.page.fill("#time", when.strftime("%H:%M"))


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_a_guide_schedules_a_tour_and_the_form_refuses_bad_input(phone: Visit,
                                                                  desktop: Visit) -> None:
    portal = desktop.portal
    for visit, size in ((phone, "phone"), (desktop, "desktop")):
        visit.log_in("guide-a")
        page = visit.open("/guide/tours")
        assert "主题党日：开天辟地" in page.locator("#upcoming + *").inner_text()
        look(visit, f"guide-tours-{size}")
        visit.open("/guide/tours/new")
        look(visit, f"guide-new-{size}")
    page = desktop.page
    before = _tours(portal)
    tomorrow = datetime.now(UTC) + timedelta(days=2)
    page.fill("#title", "支部学习：长征精神")
    _fill_start(desktop, datetime.now(UTC) - timedelta(days=1))  # in the past
    page.fill("#capacity", "0")
    page.click("button[type=submit].primary")
    assert "开始时间须晚于现在" in page.locator("#start-error").inner_text()
    assert "人数上限须在 1 到 5000 之间" in page.locator("#capacity-error").inner_text()
    assert page.locator("#title").input_value() == "支部学习：长征精神"  # kept for a retry
    look(desktop, "guide-new-errors", errors_expected=True)  # the 400 is logged
    # a branch that is not the guide's: the form offers only theirs, a forged one is refused
    _fill_start(desktop, tomorrow)
    page.fill("#capacity", "40")
    page.evaluate("document.querySelector('input[name=branches]').value = "
                  f"'{portal.orgs['b']}'")
    page.click("button[type=submit].primary")
    assert "讲解员只能邀请本支部" in page.locator("#branches-error").inner_text()
    assert _tours(portal) == before, "a refused form stored a tour"
    assert page.locator("input[name=branches]").count() == 1
    page.locator("input[name=branches]").check()
    page.evaluate("document.querySelector('input[name=branches]').value = "
                  f"'{portal.orgs['a']}'")
    page.select_option("#zone", "Europe/London")
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
    assert "/guide/tours/" in page.url and "done=scheduled" in page.url
    assert _tours(portal) == before + 1
    tour_id = int(page.url.split("/guide/tours/")[1].split("?")[0])
    status, tour = portal.api("guide-a", "GET", f"/api/tours/{tour_id}")
    assert status == 200 and tour["title"] == "支部学习：长征精神"
    assert tour["capacity"] == 40 and tour["branches"] == [portal.orgs["a"]]
    assert tour["time_zone"] in ("+00:00", "+01:00")  # London, winter or summer


def test_a_guide_moves_and_cancels_a_tour_and_registrants_are_told(phone: Visit,
                                                                   desktop: Visit) -> None:
    portal = desktop.portal
    tour_id = portal.tour_id
    assert tour_id is not None
    status, _ = portal.api("member-a", "POST", f"/api/tours/{tour_id}/registration")
    assert status == 201
    phone.log_in("guide-a")
    phone.open(f"/guide/tours/{tour_id}")
    look(phone, "guide-tour-phone")
    desktop.log_in("guide-a")
    page = desktop.open(f"/guide/tours/{tour_id}")
    registrations = page.locator("#registrations + *").inner_text()
    assert "党员甲" in registrations and "第一党支部" in registrations
    look(desktop, "guide-tour-desktop")
    # the move form shows the start in a zone of the tour's own offset (seeded at +00:00)
    _, seeded = portal.api("guide-a", "GET", f"/api/tours/{tour_id}")
    assert page.locator("#time").input_value() == seeded["starts_at"][11:16]
    assert page.locator("#zone").input_value() in ("UTC", "Europe/London")
    page.fill("#capacity", "0")
    page.click("form[action$='/move'] button[type=submit]")
    assert "人数上限" in page.locator("#capacity-error").inner_text()
    assert "tour_moved" not in _reminder_kinds(portal, tour_id)
    _fill_start(desktop, datetime.now(UTC) + timedelta(days=3))
    page.fill("#capacity", "25")
    page.fill("#duration", "90")
    page.click("form[action$='/move'] button[type=submit]")
    page.wait_for_load_state()
    assert "done=moved" in page.url
    assert "讲解已调整" in page.locator("[role=status]").first.inner_text()
    _, tour = portal.api("guide-a", "GET", f"/api/tours/{tour_id}")
    assert (tour["capacity"], tour["duration_minutes"]) == (25, 90)
    assert "tour_moved" in _reminder_kinds(portal, tour_id)
    page.click("form[action$='/cancel'] button[type=submit]")
    page.wait_for_load_state()
    assert "done=cancelled" in page.url
    assert "已取消" in page.locator(".facts").inner_text()
    assert "tour_cancelled" in _reminder_kinds(portal, tour_id)
    page.goto(portal.url + "/guide/tours")  # a cancelled tour is listed among the past
    assert "主题党日：开天辟地" in page.locator("#past + *").inner_text()


def test_another_guides_tour_is_a_refusal_page_and_an_admin_sees_every_tour(
        desktop: Visit) -> None:
    portal = desktop.portal
    start = (datetime.now(UTC) + timedelta(days=4)).replace(microsecond=0)
    status, made = portal.api("admin", "POST", "/api/tours", json={
        "exhibit_id": "founding", "version": "1.0.0", "title": "党委专题讲解",
        "starts_at": start.isoformat(), "duration_minutes": 60, "capacity": 10,
        "branches": [portal.orgs["b"]]})
    assert status == 201, made
    desktop.log_in("guide-a")
    for path in ("", "/live", "/report"):
        response = desktop.page.goto(f"{portal.url}/guide/tours/{made['id']}{path}")
        assert response is not None and response.status in (403, 404), path
        assert "党委专题讲解" not in desktop.page.content()
    assert "党委专题讲解" not in desktop.open("/guide/tours").content()
    look(desktop, "guide-refused", errors_expected=True)
    desktop.page.click("text=退出")
    desktop.log_in("admin")
    listed = desktop.open("/guide/tours").locator("#upcoming + *").inner_text()
    assert "党委专题讲解" in listed and "主题党日：开天辟地" in listed
    desktop.page.click("text=退出")
    desktop.log_in("member-a")
    response = desktop.page.goto(f"{portal.url}/guide/tours")
    assert response is not None and response.status == 403
