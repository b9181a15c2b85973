"""THE live console test: the guide drives a real tour from the browser page while members
join with the engine's headless client (engine/tour_client.py) from a thread with its own
event loop (Playwright's synchronous API holds the test thread's). Each control the guide
clicks must reach the members; what the members do must show in the page; the report
shows their attendance afterwards."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from playwright.sync_api import Page, expect

from engine.tour_client import TourClient
from protocol import tour as wire
from tests.server.conftest import PASSWORD
from tests.web.conftest import Portal, Visit, look

_T = TypeVar("_T")


class Members:
    """Engine clients on an event loop of their own, in a thread of their own."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._serve, name="members", daemon=True)
        self.thread.start()
        self.clients: dict[str, TourClient] = {}

    def _serve(self) -> None:
        self.loop.run_forever()
        self.loop.close()  # in its own thread: its sockets close now, not at a later GC

    def run(self, coroutine: Coroutine[Any, Any, _T], timeout: float = 30) -> _T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def join(self, who: str, tour_id: int) -> wire.Welcome:
        url = self.portal.url.replace("http", "ws", 1) + f"/api/tours/{tour_id}/live"
        client = TourClient(url, self.portal.tokens[who])
        self.clients[who] = client
        return self.run(client.connect())

    def expect(self, who: str, kind: str, **fields: Any) -> Any:
        """The next message of ``kind`` (matching ``fields``) that ``who`` received."""
        return self.run(self.clients[who].expect(kind, timeout=15, **fields))

    def everyone_got(self, kind: str, **fields: Any) -> list[Any]:
        return [self.expect(who, kind, **fields) for who in self.clients]

    def send(self, who: str, message: Any) -> None:
        self.run(self.clients[who].send(message))

    def close(self) -> None:
        for client in self.clients.values():
            self.run(client.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@pytest.fixture
def members(portal: Portal) -> Iterator[Members]:
    crowd = Members(portal)
    yield crowd
    crowd.close()


def _connected(page: Page) -> None:
    expect(page.locator("#connection")).to_have_text("已连接", timeout=15_000)


@pytest.mark.parametrize("web_db", ["sqlite", "postgresql"], indirect=True)
def test_the_guide_drives_a_live_tour_from_the_browser(phone: Visit, desktop: Visit,
                                                        members: Members) -> None:
    portal = desktop.portal
    tour_id = portal.tour_id
    assert tour_id is not None
    console = f"/guide/tours/{tour_id}/live"
    phone.log_in("guide-a")
    phone.open(console)
    _connected(phone.page)
    look(phone, "guide-console-phone")
    desktop.log_in("guide-a")  # the same guide on a desktop: the phone's console is let go
    page = desktop.open(console)
    page.on("dialog", lambda dialog: dialog.accept())  # "remove …?", "end the tour?"
    _connected(page)

    members.join("member-a", tour_id)
    members.join("member-a2", tour_id)
    roster = page.locator("#roster")
    expect(roster).to_contain_text("党员甲")
    expect(roster).to_contain_text("党员乙")

    page.click("#start")
    members.everyone_got("phase", phase="live")
    expect(page.locator("#phase")).to_have_text("讲解中")

    stop = page.locator("button.stop").nth(1)
    scene, stop_id = stop.get_attribute("data-scene"), stop.get_attribute("data-stop")
    stop.click()
    members.everyone_got("stop", scene=scene, stop=stop_id)
    expect(stop).to_have_attribute("aria-pressed", "true")

    page.fill("#countdown", "3")
    page.click("#gather")
    gathering = members.everyone_got("gathering")
    assert all(g.deadline > 0 for g in gathering)
    expect(page.locator("#gathering")).to_contain_text("秒后集合")

    for button, name in (("#follow", "follow"), ("#lock", "locked"), ("#mute", "muted")):
        page.click(button)
        members.everyone_got("setting", name=name, on=True)
        expect(page.locator(button)).to_have_attribute("aria-pressed", "true")

    hotspot = page.locator("#hotspot").input_value()
    page.click("#highlight")
    members.everyone_got("highlighted", hotspot=hotspot)

    members.send("member-a", wire.RaiseHand(raised=True))
    hands = page.locator("#hands")
    expect(hands).to_contain_text("党员甲")
    hands.get_by_role("button", name="请 党员甲 发言").click()
    members.everyone_got("hand", raised=False, queue=[])
    expect(hands).to_contain_text("暂无举手")
    members.send("member-a2", wire.Ask(text="一大为什么转移到南湖召开？"))
    expect(page.locator("#questions")).to_contain_text("一大为什么转移到南湖召开？")

    item = page.locator("#quiz-item").input_value()
    page.click("#quiz-start")
    opened = members.everyone_got("quiz")
    assert opened[0].quiz.item == item and opened[0].quiz.closed is False
    members.send("member-a", wire.Answer(item=item, choice=0))
    members.send("member-a2", wire.Answer(item=item, choice=1))
    expect(page.locator("#quiz-state")).to_contain_text("2/2")
    counts = page.locator("#quiz-table tbody td:nth-child(2)").all_inner_texts()
    assert counts[:2] == ["1", "1"] and set(counts[2:]) <= {"0"}
    bars = page.evaluate("echarts.getInstanceByDom(document.getElementById('quiz-chart'))"
                         ".getOption().series[0].data.map(d => d.value)")
    assert bars[:2] == [1, 1], bars
    page.click("#quiz-close")
    members.everyone_got("quiz")  # the answer counts went to the guides and the answerer
    closed = members.expect("member-a", "quiz")
    assert closed.quiz.closed is True and closed.quiz.answer is not None
    expect(page.locator("#quiz-state")).to_contain_text("正确答案")
    look(desktop, "guide-console-desktop")

    roster.get_by_role("button", name="交给 党员甲 协讲").click()
    members.expect("member-a", "role", role="co_guide")
    roster.get_by_role("button", name="移出 党员乙").click()
    removed = members.run(members.clients["member-a2"].closed(timeout=15))
    assert removed.code == 4003
    members.expect("member-a", "left", reason="removed")
    expect(roster.locator("li", has_text="党员乙")).to_contain_text("已离开")

    page.click("#end")
    members.expect("member-a", "phase", phase="ended")
    expect(page.locator("#phase")).to_have_text("已结束")

    for visit, size in ((desktop, "desktop"), (phone, "phone")):
        report = visit.open(f"/guide/tours/{tour_id}/report")
        rows = report.locator("#attendance tbody tr")
        expect(rows).to_have_count(2)
        text = report.locator("#attendance").inner_text()
        assert "党员甲" in text and "党员乙" in text and "未参加" not in text
        quiz = report.locator("#quiz-results").inner_text()
        assert "中共一大在哪一天开幕" in quiz and "2" in quiz
        look(visit, f"guide-report-{size}")


def test_the_console_socket_takes_the_session_cookie_from_this_site_only(
        members: Members) -> None:
    """A page of another site can make the browser open the tour socket with the session
    cookie (cross-site websocket hijacking): the cookie counts only with this site's Origin."""
    import aiohttp

    portal = members.portal
    url = portal.url.replace("http", "ws", 1) + f"/api/tours/{portal.tour_id}/live"
    hello = wire.Hello(version=wire.TOUR_PROTOCOL, token="session-cookie").model_dump_json()

    async def first_answer(origin: str | None) -> tuple[str, int | None]:
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            login = await session.post(portal.url + "/api/auth/login",
                                       json={"username": "guide-a", "password": PASSWORD})
            assert login.status == 200
            headers = {"Origin": origin} if origin else {}
            async with session.ws_connect(url, headers=headers) as ws:
                await ws.send_str(hello)
                answer = await ws.receive(timeout=10)
                kind = wire.SERVER.validate_json(answer.data).type
                if kind == "error":
                    await ws.receive(timeout=5)
                return kind, ws.close_code

    assert members.run(first_answer(portal.url))[0] == "welcome"
    assert members.run(first_answer("http://localhost:1")) == ("error", 1008)
    assert members.run(first_answer(None)) == ("error", 1008)
