"""A self-guided visit in the browser viewer earns 学时 as one in the engine does: route
stops, every hotspot (Chinese subtitles drawn in the package's font subset), the quiz
answered by clicking, the page reloaded mid-visit, and the facts reaching the server once
each, with the engine's stable ids (uuid5 of the visit's session and a sequence number)."""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from typing import Any

from playwright.sync_api import Page, expect

from server.keys import CREDITS
from tests.web.conftest import Portal, Visit, look
from tests.web.test_viewer import open_viewer

SCENE = "first-congress-site"


def _script(page: Page) -> dict[str, Any]:
    script: dict[str, Any] = page.evaluate("redhallViewer.view.packaged.script")
    return script


def _pending(page: Page) -> int:
    return int(page.evaluate("redhallViewer.visit.outbox.pending()"))


def test_a_browser_visit_earns_the_credit_and_each_fact_arrives_once(
        laptop: Visit, portal: Portal) -> None:
    laptop.log_in("member-a")
    page = laptop.page
    page.clock.install()  # the test moves the page's clock on instead of waiting 13 minutes
    page = open_viewer(laptop, SCENE)
    script = _script(page)
    hotspots = [h["id"] for h in script["hotspots"]]
    page.locator("#viewer-next-stop").click()
    expect(page.locator("#viewer-panel h2")).to_have_text(script["route"][0]["say"]["zh-CN"])
    # a click on a marker the camera shows opens it
    shown = next(p for h in script["hotspots"]
                 if (p := page.evaluate("at => redhallViewer.screenPosition(at)", h["at"]))
                 and 0 < p[0] < 1000 and 0 < p[1] < 500)
    page.locator("#viewer-canvas").click(position={"x": shown[0], "y": shown[1]})
    expect(page.locator("#viewer-panel")).to_be_visible()
    opened = page.evaluate("redhallViewer.visit.current")
    assert opened in hotspots
    subtitle = page.locator("#viewer-panel .subtitle").inner_text()
    assert any("\u4e00" <= c <= "\u9fff" for c in subtitle), subtitle
    assert page.locator("#viewer[data-font=loaded]").count() == 1
    assert page.evaluate("t => document.fonts.check('20px \"RedHall Subset\"', t)", subtitle)
    assert page.evaluate(
        "() => getComputedStyle(document.querySelector('#viewer-panel')).fontFamily"
    ).startswith('"RedHall Subset"')
    look(laptop, "viewer-hotspot-panel")
    half = len(hotspots) // 2
    for hotspot in hotspots[:half]:
        page.evaluate("id => redhallViewer.visit.select(id)", hotspot)
        page.clock.fast_forward(5_000)
    _until_delivered(page)
    # a reload mid-visit continues the same visit: no second scene_entered, no repeats
    page.reload()
    page.locator("#viewer[data-state=ready]").wait_for(timeout=90_000)
    assert page.evaluate("redhallViewer.visit.state.seen.length") == half
    for hotspot in hotspots[half:]:
        page.evaluate("id => redhallViewer.visit.select(id)", hotspot)
        page.clock.fast_forward(5_000)
    page.evaluate("redhallViewer.visit.closePanel()")
    for item in script["quiz"]:
        page.evaluate("id => redhallViewer.visit.offerQuiz(redhallViewer.visit.script.quiz"
                      ".find((q) => q.id === id))", item["id"])
        page.locator(f"form.quiz[data-item={item['id']}] button"
                     f"[data-choice='{item['answer']}']").click()
        expect(page.locator("#viewer-panel .verdict")).to_contain_text("回答正确")
    for _ in range(14):  # 14 minutes, a minute a frame at most
        page.clock.fast_forward(59_000)
        page.wait_for_timeout(300)
    assert page.evaluate("redhallViewer.visit.state.seconds") >= 13 * 60
    page.locator("#viewer-leave").click()
    page.wait_for_url("**/exhibits/founding", timeout=30_000)
    portal.call(portal.server.app[CREDITS].idle())
    page.goto(portal.url + "/me")
    assert page.locator("#hours-text").inner_text() == "0.5 / 32 学时"
    exported = json.loads(page.request.get(portal.url + "/me/record/export.json").text())
    facts = [f["detail"] for f in exported["participation_facts"]]
    kinds = Counter(f["kind"] for f in facts)
    # each opening of a panel is a view: the one clicked, then every hotspot once
    assert kinds == {"scene_entered": 1, "stop_reached": 1, "hotspot_viewed": 1 + len(hotspots),
                     "quiz_answered": len(script["quiz"]), "scene_completed": 1,
                     "scene_left": 1}, kinds
    sessions = {f["session"] for f in facts}
    assert len(sessions) == 1
    session = uuid.UUID(sessions.pop())
    # the engine's ids: uuid5(session, "<scene>/<sequence>"), 1, 2, 3 ... without a gap
    expected = {str(uuid.uuid5(session, f"{SCENE}/{n}")) for n in range(1, len(facts) + 1)}
    assert {f["id"] for f in facts} == expected
    assert {f["hotspot"] for f in facts if f["kind"] == "hotspot_viewed"} == set(hotspots)
    completed = next(f for f in facts if f["kind"] == "scene_completed")
    assert completed["hotspots_viewed"] == len(hotspots) and completed["quiz_score"] == 1.0


def _until_delivered(page: Page) -> None:
    page.evaluate("redhallViewer.visit.chain.then(() => redhallViewer.visit.outbox.deliver())")
    deadline = time.monotonic() + 20
    while _pending(page) and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    assert _pending(page) == 0


def test_a_visit_never_left_ends_when_it_was_last_seen(laptop: Visit, portal: Portal) -> None:
    laptop.log_in("member-a")
    page = open_viewer(laptop, SCENE)
    script = _script(page)
    hotspot = script["hotspots"][0]["id"]
    page.evaluate("id => redhallViewer.visit.select(id)", hotspot)
    page.wait_for_timeout(2000)
    _until_delivered(page)
    first = page.evaluate("redhallViewer.visit.state.session")
    # the member walked away 31 minutes ago (the page stopped, the visit last kept then)
    page.evaluate("""async () => {
        redhallViewer.renderer.setAnimationLoop(null);
        await redhallViewer.visit.chain;
        const db = await redhallViewer.visit.outbox.db;
        const key = redhallViewer.visit.state.key;
        const kept = await new Promise((ok) => {
            const r = db.transaction('visits').objectStore('visits').get(key);
            r.onsuccess = () => ok(r.result);
        });
        kept.touched -= 31 * 60 * 1000;
        await new Promise((ok) => {
            const tx = db.transaction('visits', 'readwrite');
            tx.objectStore('visits').put(kept);
            tx.oncomplete = ok;
        });
    }""")
    page.reload()
    page.locator("#viewer[data-state=ready]").wait_for(timeout=90_000)
    assert page.evaluate("redhallViewer.visit.state.session") != first
    _until_delivered(page)
    exported = json.loads(page.request.get(portal.url + "/me/record/export.json").text())
    facts = [f["detail"] for f in exported["participation_facts"]]
    # in the order of their sequence numbers (the engine's ids)
    numbered = {str(uuid.uuid5(uuid.UUID(first), f"{SCENE}/{n}")): n for n in range(1, 10)}
    old = sorted((f for f in facts if f["session"] == first), key=lambda f: numbered[f["id"]])
    assert [f["kind"] for f in old] == ["scene_entered", "hotspot_viewed", "scene_left"], old
    left = old[-1]
    assert left["at"] < time.time() - 30 * 60, "scene_left is dated when the visit was left"
    assert old[1]["hotspot"] == hotspot
    assert [f["kind"] for f in facts if f["session"] != first] == ["scene_entered"]
