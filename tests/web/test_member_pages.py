"""The member's pages in a real browser: home with the 学时 ring, tours (register, cancel,
calendar, joining), the catalog, the record with its certificate QR code, the public
check page, the data export and consents, and what a member of another branch cannot do."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import segno
from playwright.sync_api import expect
from sqlalchemy import select

from server.db.models import ExhibitVersion, Registration
from server.keys import CREDITS, SESSIONS, STORE
from server.live.loading import outlines
from tests.web.conftest import Portal, Visit, look


def _pages(portal: Portal) -> list[tuple[str, str]]:
    return [("/me", "home"), ("/tours", "tours"), (f"/tours/{portal.tour_id}/join", "join"),
            ("/exhibits", "exhibits"), ("/exhibits/founding", "exhibit"),
            ("/me/record", "record")]


def _soon(portal: Portal) -> int:
    """A tour of branch a starting in ten minutes: it can be joined already."""
    start = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    status, tour = portal.api("guide-a", "POST", "/api/tours", json={
        "exhibit_id": "long-march", "version": "1.0.0", "title": "即将开始的讲解",
        "starts_at": start.isoformat(), "duration_minutes": 30, "capacity": 5,
        "branches": [portal.orgs["a"]]})
    assert status == 201, tour
    return int(tour["id"])


def test_a_member_opens_every_page_on_a_phone_and_a_desktop(phone: Visit, desktop: Visit,
                                                            portal: Portal) -> None:
    soon = _soon(portal)
    for visit, size in ((phone, "phone"), (desktop, "desktop")):
        visit.context.grant_permissions(["clipboard-read", "clipboard-write"],
                                        origin=portal.url)
        visit.log_in("member-a")
        for path, name in _pages(portal):
            response = visit.page.goto(portal.url + path)
            assert response is not None and response.status == 200, path
            look(visit, f"member-{name}-{size}")
        page = visit.open("/me")
        assert page.locator("#hours-text").inner_text() == "0 / 32 学时"
        assert "主题党日：开天辟地" in page.locator("main").inner_text()
        page = visit.open("/tours")
        calendar = page.locator("#calendar-url")
        expect(page.locator("#calendar-url")).not_to_have_value("")  # filled by the page's script
        assert "/calendar/" in calendar.input_value()
        webcal = page.locator("#calendar-webcal").get_attribute("href")
        assert webcal is not None and webcal.startswith("webcal://")
        page.click("button[data-copy=calendar-url]")
        page.wait_for_selector("#copy-status.shown")
        assert page.locator("#copy-status").inner_text() == "已复制到剪贴板。"
        # a tour about to start offers joining; the one tomorrow does not yet
        imminent, tomorrow = page.locator(f"#tour-{soon}"), page.locator(f"#tour-{portal.tour_id}")
        assert imminent.locator(f"a[href='/tours/{soon}/join']").count() == 1
        assert tomorrow.locator("a[href$='/join']").count() == 0
        imminent.locator("button[data-copy]").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith("redhall view long-march-1.0.0.exhibit --tour ws://")
        assert copied.endswith(f"/api/tours/{soon}/live --token TOKEN")
        number = visit.open("/me/record").locator("#certificate-number").inner_text()
        visit.open(f"/check/{number}")
        look(visit, f"member-check-{size}")
        assert "证明有效" in visit.page.locator("h1").inner_text()
    # the English pages say the same in English
    desktop.page.click("header button[lang=en]")
    desktop.page.wait_for_load_state()
    assert "Genuine" in desktop.page.locator("h1").inner_text()
    page = desktop.open("/me")
    assert page.locator("#hours-text").inner_text() == "0 / 32 学时 (hours)"
    look(desktop, "member-home-desktop-en")
    page = desktop.open(f"/tours/{soon}/join")  # a token made here goes into the command
    page.click("#make-token")
    page.wait_for_selector("#copy-status.shown")
    command = page.locator("#engine-command").inner_text()
    assert "--token TOKEN" not in command
    token = command.rsplit(" ", 1)[1]
    assert _bearer_works(portal, token)
    look(desktop, "member-join-with-token")


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_a_member_registers_and_cancels_and_sees_the_seats_change(desktop: Visit,
                                                                  portal: Portal) -> None:
    desktop.log_in("member-a")
    page = desktop.open("/tours")
    card = page.locator(f"#tour-{portal.tour_id}")
    assert card.locator(".seats").inner_text() == "30 / 30"
    card.locator("button", has_text="报名参加").click()
    page.wait_for_load_state()
    assert "done=registered" in page.url
    assert page.locator("#outcome").inner_text() == "报名成功。"
    assert card.locator(".seats").inner_text() == "29 / 30"
    assert "已报名" in card.inner_text()
    _, tour = portal.api("member-a", "GET", f"/api/tours/{portal.tour_id}")
    assert tour["registered_by_me"] and tour["registered"] == 1
    look(desktop, "member-tours-registered")
    card.locator("button", has_text="取消报名").click()
    page.wait_for_load_state()
    assert page.locator("#outcome").inner_text() == "已取消报名。"
    assert card.locator(".seats").inner_text() == "30 / 30"
    _, tour = portal.api("member-a", "GET", f"/api/tours/{portal.tour_id}")
    assert not tour["registered_by_me"] and tour["registered"] == 0


def _bearer_works(portal: Portal, token: str) -> bool:
    async def me() -> int:
        async with aiohttp.ClientSession(portal.url) as client, client.get(
                "/api/me", headers={"Authorization": f"Bearer {token}"}) as reply:
            return reply.status

    return portal.call(me()) == 200


def _visit_facts(portal: Portal) -> list[dict[str, Any]]:
    """A whole self-guided visit of the founding exhibit's first scene that meets its
    rule: every hotspot viewed, every quiz item right, 13 of 12 minutes."""
    async def scene() -> Any:
        async with portal.server.app[SESSIONS]() as db:
            sha = (await db.scalars(select(ExhibitVersion.sha256).where(
                ExhibitVersion.exhibit_id == "founding"))).one()
        return outlines(portal.server.app[STORE], sha)[0]["first-congress-site"]

    site = portal.call(scene())
    start, session = time.time() - 3600, str(uuid.uuid4())

    def fact(kind: str, at: float, **fields: Any) -> dict[str, Any]:
        return {"id": str(uuid.uuid4()), "kind": kind, "at": at, "session": session,
                "exhibit": "founding", "exhibit_version": "1.0.0",
                "scene": "first-congress-site", **fields}

    facts = [fact("scene_entered", start)]
    facts += [fact("hotspot_viewed", start + 10 + i, hotspot=h, dwell_seconds=5.0)
              for i, h in enumerate(sorted(site.hotspots))]
    facts += [fact("quiz_answered", start + 100 + i, item=item, response=answer,
                   correct=True) for i, (item, (_, answer)) in enumerate(sorted(site.quiz.items()))]
    facts.append(fact("stop_reached", start + 200, stop="overview"))
    facts.append(fact("scene_left", start + 13 * 60, seconds=13 * 60.0))
    return facts


def test_a_visit_fills_the_ring_and_the_record_and_the_certificate_checks(
        desktop: Visit, portal: Portal) -> None:
    facts = _visit_facts(portal)
    status, receipt = portal.api("member-a", "POST", "/api/participation",
                                 json={"facts": facts})
    assert status == 200 and receipt["stored"] == len(facts), receipt
    portal.call(portal.server.app[CREDITS].idle())
    desktop.log_in("member-a")
    page = desktop.open("/me")
    assert page.locator("#hours-text").inner_text() == "0.5 / 32 学时"
    dashes = page.locator(".ring-arc").get_attribute("stroke-dasharray") or ""
    drawn = float(dashes.split()[0])
    assert drawn == pytest.approx(2 * 3.14159265 * 52 * 0.5 / 32, abs=0.01)
    assert "获得 0.5 学时" in page.locator(".activity").inner_text()
    page = desktop.open("/me/record")
    awards = page.locator("#awards").inner_text()
    assert "0.5" in awards and "《开天辟地——中国共产党的创建》·中共一大会址" in awards
    visits = page.locator("#visits tbody tr").inner_text()
    assert "13" in visits and f"答对 {len(_quiz(facts))} / {len(_quiz(facts))}" in visits
    look(desktop, "member-record-with-a-visit")
    # the QR code is the check page's address the page links to
    check_url = page.locator("#check-link").get_attribute("href")
    assert check_url is not None and "/check/" in check_url
    qr = page.request.get(portal.url + "/me/record/certificate-qr.svg")
    assert qr.ok and qr.headers["content-type"].startswith("image/svg+xml")
    assert _qr_modules(qr.text()) == _qr_modules(_svg(check_url))
    page.goto(check_url)
    assert "证明有效" in page.locator("h1").inner_text()
    assert "0.5 学时" in page.locator("#verdict").inner_text()
    forged = check_url[:-4] + ("0000" if not check_url.endswith("0000") else "1111")
    page.goto(forged)
    assert "证明无效" in page.locator("h1").inner_text()
    look(desktop, "member-check-forged")
    # the export holds the member's own data, not another member's
    exported = page.request.get(portal.url + "/me/record/export.json")
    assert exported.ok and "attachment" in exported.headers["content-disposition"]
    data = json.loads(exported.text())
    assert data["account"]["id"] == portal.users["member-a"]
    assert len(data["participation_facts"]) == len(facts)
    assert {f["user_id"] for f in data["participation_facts"]} == {portal.users["member-a"]}
    assert "党员丙" not in exported.text() and "member-b" not in exported.text()


def _quiz(facts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [f for f in facts if f["kind"] == "quiz_answered"]


def _svg(text: str) -> str:
    out = segno.make(text, error="m")
    return out.svg_inline(scale=4, border=2)


def _qr_modules(svg: str) -> str:
    """The drawn modules of a segno SVG (its path), whatever else the file says."""
    start = svg.index(' d="') + 4
    return svg[start:svg.index('"', start)]


def test_consent_is_granted_and_withdrawn(desktop: Visit, portal: Portal) -> None:
    desktop.log_in("member-a")
    page = desktop.open("/me/record")
    item = page.locator("[data-purpose=personal-data]")
    assert "未同意" in item.inner_text()
    item.locator("button").click()
    page.wait_for_load_state()
    assert "已保存" in page.locator("#consent").inner_text()
    assert "已同意" in page.locator("[data-purpose=personal-data]").inner_text()
    page.locator("[data-purpose=personal-data] button").click()
    page.wait_for_load_state()
    assert "未同意" in page.locator("[data-purpose=personal-data]").inner_text()
    forged = page.request.post(portal.url + "/me/record/consent", form={
        "_csrf": page.locator("meta[name=csrf-token]").get_attribute("content") or "",
        "purpose": "selling-my-data", "granted": "1"})
    assert forged.status == 400


def test_a_member_of_another_branch_neither_sees_nor_joins_the_tour(desktop: Visit,
                                                                    portal: Portal) -> None:
    desktop.log_in("member-b")
    page = desktop.open("/tours")
    assert "主题党日" not in page.locator("main").inner_text()
    assert page.locator(f"#tour-{portal.tour_id}").count() == 0
    csrf = page.locator("meta[name=csrf-token]").get_attribute("content") or ""
    forged = page.request.post(f"{portal.url}/tours/{portal.tour_id}/register",
                               form={"_csrf": csrf}, max_redirects=0)
    assert forged.status == 404
    assert "text/html" in forged.headers["content-type"]
    assert page.request.get(f"{portal.url}/tours/{portal.tour_id}/join").status == 404

    async def registrations() -> int:
        async with portal.server.app[SESSIONS]() as db:
            return len((await db.scalars(select(Registration))).all())

    assert portal.call(registrations()) == 0
    _, tour = portal.api("guide-a", "GET", f"/api/tours/{portal.tour_id}")
    assert tour["registered"] == 0
