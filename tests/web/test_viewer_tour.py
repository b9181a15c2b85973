"""A browser member and engine members in one live tour: the guide (an engine client) moves
everyone to a stop, highlights a hotspot, asks a quiz item and locks movement; the browser
follows each, shows the others as avatars from the pose frames, answers and raises a hand,
and the engine members see the browser member's pose; the browser member hears the guide
(WebCodecs Opus, the AudioWorklet's jitter buffer), checked against the source."""

from __future__ import annotations

import asyncio
import base64
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from playwright.sync_api import expect

from engine.voice import read_speech
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from tests.engine.tour_support import speech_wav, window_matches
from tests.web.conftest import Portal, Visit, look
from tests.web.test_guide_console import Members, members  # noqa: F401

SCENE = "first-congress-site"


def _tour_soon(portal: Portal) -> int:
    start = (datetime.now(UTC) + timedelta(minutes=5)).replace(microsecond=0)
    status, tour = portal.api("guide-a", "POST", "/api/tours", json={
        "exhibit_id": "founding", "version": "1.0.0", "title": "浏览器与头显同游",
        "starts_at": start.isoformat(), "duration_minutes": 30, "capacity": 10,
        "branches": [portal.orgs["a"]]})
    assert status == 201, tour
    return int(tour["id"])


def _frame_seats(crowd: Members, who: str, seconds: float = 10) -> set[int]:
    """Seats in the pose frames ``who`` receives within ``seconds``."""
    async def gather() -> set[int]:
        seats: set[int] = set()
        deadline = time.monotonic() + seconds
        queue = crowd.clients[who].frames
        while time.monotonic() < deadline:
            try:
                _, entries = await asyncio.wait_for(queue.get(), 0.5)
            except TimeoutError:
                continue
            seats.update(seat for seat, _ in entries)
        return seats
    return crowd.run(gather(), timeout=seconds + 5)


def test_a_browser_member_follows_the_guide_among_engine_members(
        desktop: Visit, portal: Portal, members: Members) -> None:  # noqa: F811
    tour_id = _tour_soon(portal)
    members.join("guide-a", tour_id)
    members.join("member-a2", tour_id)
    members.send("guide-a", wire.Start())
    members.everyone_got("phase", phase="live")
    desktop.log_in("member-a")
    page = desktop.open(f"/exhibits/founding/versions/1.0.0/view?scene={SCENE}&tour={tour_id}")
    page.locator("#viewer[data-tour=joined]").wait_for(timeout=90_000)
    browser_seat = page.evaluate("redhallViewer.tour.seat")
    members.expect("guide-a", "joined")
    script: dict[str, Any] = page.evaluate("redhallViewer.view.packaged.script")
    stop = script["route"][1]["id"]
    members.send("guide-a", wire.GoToStop(scene=SCENE, stop=stop))
    members.everyone_got("stop", scene=SCENE, stop=stop)
    expect(page.locator("#viewer")).to_have_attribute("data-stop", stop)
    expect(page.locator("#viewer-panel h2")).to_have_text(script["route"][1]["say"]["zh-CN"])
    # the engine members' poses become avatars in the browser, and the browser's reach them
    for who, x in (("guide-a", 1.0), ("member-a2", -1.0)):
        members.run(members.clients[who].send_pose(Pose(Transform((x, -3.0, 1.6)))))
    expect(page.locator("#viewer")).to_have_attribute("data-avatars", "2", timeout=15_000)
    assert browser_seat in _frame_seats(members, "member-a2")
    hotspot = script["hotspots"][0]["id"]
    members.send("guide-a", wire.HighlightHotspot(hotspot=hotspot))
    expect(page.locator("#viewer")).to_have_attribute("data-highlight", hotspot)
    item = script["quiz"][0]
    members.send("guide-a", wire.StartQuiz(item=item["id"]))
    choice = page.locator(f"form.quiz[data-item={item['id']}] button"
                          f"[data-choice='{item['answer']}']")
    choice.click()
    update = members.expect("guide-a", "quiz")
    while update.quiz is None or update.quiz.answered < 1:
        update = members.expect("guide-a", "quiz")
    assert update.quiz.counts[item["answer"]] == 1
    page.locator("#viewer-hand").click()
    members.expect("guide-a", "hand", raised=True, seat=browser_seat)
    expect(page.locator("#viewer-hand")).to_have_attribute("aria-pressed", "true")
    members.send("guide-a", wire.Lock(locked=True))
    expect(page.locator("#viewer")).to_have_attribute("data-hand", "raised")
    before = page.evaluate("redhallViewer.rig.position.toArray()")
    page.locator("#viewer-canvas").press("w")  # walking is locked: nothing moves
    assert page.evaluate("redhallViewer.controls.locked") is True
    assert page.evaluate("redhallViewer.rig.position.toArray()") == before
    look(desktop, "viewer-live-tour")


def test_a_browser_member_hears_the_guide_on_a_phone(phone: Visit, portal: Portal,
                                                    members: Members,  # noqa: F811
                                                    tmp_path: Path) -> None:
    tour_id = _tour_soon(portal)
    members.join("guide-a", tour_id)
    members.send("guide-a", wire.Start())
    members.expect("guide-a", "phase", phase="live")
    phone.log_in("member-a")
    page = phone.open(f"/exhibits/founding/versions/1.0.0/view?scene={SCENE}&tour={tour_id}")
    page.locator("#viewer[data-tour=joined]").wait_for(timeout=90_000)
    page.locator("#viewer-listen").click()
    page.locator("#viewer[data-voice=on]").wait_for()
    source = speech_wav(tmp_path)
    sent = members.run(members.clients["guide-a"].speak_file(source), timeout=60)
    decoded, still, stats = -1, 0, {}
    for _ in range(60):  # until the last packets are decoded and played (a busy machine)
        page.wait_for_timeout(500)
        stats = page.evaluate("redhallViewer.tour.voice.stats()")
        still = still + 1 if stats["decoded"] == decoded else 0
        decoded = stats["decoded"]
        if (still >= 6 and not stats["pending"]) or decoded >= sent:
            break
    page.wait_for_timeout(1000)
    pcm = np.frombuffer(base64.b64decode(page.evaluate("redhallViewer.tour.voice.heardBase64()")),
                        "<i2").astype(np.float32) / 32767
    scores = window_matches(pcm, read_speech(source))
    received = page.evaluate("redhallViewer.tour.voice.received")
    assert sent > 100 and decoded > 0.9 * sent, (sent, received, stats)
    assert len(scores) > 10 and np.median(scores) > 0.8, np.round(scores, 2).tolist()
