"""The floor from the guide's browser console: giving and taking it, muting one member,
opening it to all, taking a raised hand; and who is speaking now, from the voice frames
the console receives. Members are the engine's headless clients."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from protocol import tour as wire
from protocol.voice import encode_voice
from tests.server.live_support import opus_packets
from tests.web.conftest import Portal, Visit
from tests.web.test_guide_console import Members


@pytest.fixture
def crowd(portal: Portal) -> Iterator[Members]:
    members = Members(portal)
    yield members
    members.close()


def _connected(page: Page) -> None:
    expect(page.locator("#connection")).to_have_text("已连接", timeout=15_000)


def test_the_guide_gives_takes_and_opens_the_floor(desktop: Visit, crowd: Members) -> None:
    portal = desktop.portal
    assert portal.tour_id is not None
    desktop.log_in("guide-a")
    page = desktop.open(f"/guide/tours/{portal.tour_id}/live")
    _connected(page)
    first = crowd.join("member-a", portal.tour_id).seat
    second = crowd.join("member-a2", portal.tour_id).seat
    roster = page.locator("#roster")
    expect(roster).to_contain_text("党员乙")

    roster.get_by_role("button", name="请 党员甲 连麦发言").click()
    crowd.everyone_got("floor", floor=wire.FloorState(holders=[first]))
    her = roster.locator("li", has_text="党员甲")
    expect(her).to_contain_text("发言中")
    expect(her.get_by_role("button", name="收回 党员甲 的发言权")).to_be_visible()

    # her voice reaches the console: she shows as speaking, and not once she stops
    for seq, packet in enumerate(opus_packets(15)):
        crowd.run(crowd.clients["member-a"].send_raw(encode_voice(seq, 1000.0 + seq / 50,
                                                                  packet)))
    expect(her.locator(".speaking")).to_have_text("正在说话")
    expect(her.locator(".speaking")).to_have_count(0, timeout=5_000)

    roster.get_by_role("button", name="将 党员乙 静音").click()
    crowd.everyone_got("floor", floor=wire.FloorState(holders=[first], muted=[second]))
    expect(roster.get_by_role("button", name="取消 党员乙 的静音")).to_have_attribute(
        "aria-pressed", "true")

    page.click("#floor-open")
    crowd.everyone_got("floor", floor=wire.FloorState(holders=[first], open=True,
                                                      muted=[second]))
    expect(page.locator("#floor-open")).to_have_attribute("aria-pressed", "true")

    her.get_by_role("button", name="收回 党员甲 的发言权").click()
    crowd.everyone_got("floor", floor=wire.FloorState(open=True, muted=[second]))
    expect(her).not_to_contain_text("发言中")

    # taking a raised hand gives the floor, and the hand comes down
    crowd.send("member-a", wire.RaiseHand(raised=True))
    hands = page.locator("#hands")
    hands.get_by_role("button", name="请 党员甲 发言").click()
    crowd.everyone_got("hand", raised=False, queue=[])
    crowd.everyone_got("floor", floor=wire.FloorState(holders=[first], open=True,
                                                      muted=[second]))
    expect(her).to_contain_text("发言中")
