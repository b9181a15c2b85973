"""The narrator (数字人讲解员) in the browser viewer, as the engine shows it: the figure
drawn where the scene script places it, its head turned toward the member within a neck's
limits, its mouth morphs following the narration's lip-sync track at the audio element's
playback time (checked against the engine's own mouth_at), the narration heard from where it
stands, silent once the panel closes; and the same in an emulated headset (IWER)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from playwright.sync_api import Page, ViewportSize

from engine.narrator_face import mouth_at
from protocol.lipsync import LipSyncTrack
from tests.web.conftest import SCREENSHOTS, Visit, look
from tests.web.test_viewer import canvas_image, open_viewer
from tests.web.test_viewer_xr import INSTALL, IWER

SCENE = "first-congress-site"
MOUTHS = ("viseme_A", "viseme_E", "viseme_O", "viseme_S")
SIZE: ViewportSize = {"width": 1000, "height": 700}


def _until(page: Page, check: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        page.wait_for_timeout(100)
    raise AssertionError(f"never happened: {what}")


def _spec(page: Page) -> dict[str, Any]:
    spec: dict[str, Any] = page.evaluate("redhallViewer.view.packaged.script.narrator")
    return spec


def _heading(spec: dict[str, Any]) -> float:
    """The heading the narrator stands facing, degrees (0 faces +y, 90 faces -x)."""
    facing, (x, y, _) = spec["facing"], spec["position"]
    if isinstance(facing, int | float):
        return float(facing)
    return math.degrees(math.atan2(-(facing[0] - x), facing[1] - y))


def _look_from(page: Page, spec: dict[str, Any], off: float, distance: float) -> None:
    """Puts the member ``distance`` metres from the narrator, ``off`` degrees round from
    where it faces, eyes at 1.6 m, looking at its chest."""
    x, y, z = spec["position"]
    heading = math.radians(_heading(spec) + off)
    eye = [x - math.sin(heading) * distance, y + math.cos(heading) * distance, z + 1.6]
    page.evaluate("at => redhallViewer.place(at)", {"pos": eye, "look_at": [x, y, z + 1.1]})


def _head_off_camera(page: Page) -> tuple[float, float]:
    """Degrees between where the head faces and the member's eyes, and between where the
    head faces and where the body faces (the head bone's +z, glTF's forward)."""
    seen: list[list[float]] = page.evaluate("""() => {
        const n = redhallViewer.narrator;
        redhallViewer.view.scene.updateMatrixWorld(true);
        const h = n.head.matrixWorld.elements, f = n.figure.matrixWorld.elements;
        const c = redhallViewer.camera.matrixWorld.elements;
        // the figure's -y (its forward in the scene's frame) in three.js's frame
        return [[h[8], h[9], h[10]], [h[12], h[13], h[14]], [c[12], c[13], c[14]],
                [-f[4], -f[5], -f[6]]];
    }""")
    forward, head, eye, body = (np.array(v) for v in seen)
    to_eye = eye - head

    def angle(a: np.ndarray, b: np.ndarray) -> float:
        cos = np.dot(a, b) / np.linalg.norm(a) / np.linalg.norm(b)
        return math.degrees(math.acos(max(-1.0, min(1.0, cos))))

    flat = np.array([1.0, 0.0, 1.0])  # the turn about the vertical only
    return angle(forward, to_eye), angle(forward * flat, body * flat)


def _drawn_mask(page: Page) -> np.ndarray:
    """Pixels that differ between a frame with the narrator and one without (markers off:
    their pulse is not the narrator)."""
    page.evaluate("redhallViewer.view.markers.visible = false")
    page.evaluate("redhallViewer.narrator.figure.visible = false")
    page.wait_for_timeout(300)
    without = canvas_image(page)
    page.evaluate("redhallViewer.narrator.figure.visible = true")
    page.wait_for_timeout(300)
    with_it = canvas_image(page)
    page.evaluate("redhallViewer.view.markers.visible = true")
    mask: np.ndarray = np.abs(with_it - without).sum(axis=2) > 30
    return mask


def _mouth_follows(page: Page, track: LipSyncTrack, seconds: float) -> float:
    """Seeks the narration (paused) to ``seconds`` and waits for the frames to set the
    mouth morphs the engine's mouth_at gives at the audio's time; returns the widest."""
    at: float = page.evaluate("""async (t) => {
        const audio = redhallViewer.visit.playing;
        audio.pause();
        const seeked = new Promise((ok) => audio.addEventListener('seeked', ok, {once: true}));
        audio.currentTime = t;
        await seeked;
        return audio.currentTime;
    }""", seconds)
    expected = mouth_at(track, at)

    def matches() -> bool:
        morphs = page.evaluate("redhallViewer.narrator.state().morphs")
        return all(abs(morphs[name] - expected[name]) < 2e-3 for name in MOUTHS)

    _until(page, matches, f"the mouth at {at:.3f} s as the track gives {expected}")
    return max(expected.values())


def _track_of(page: Page, hotspot: str) -> LipSyncTrack:
    ogg = page.evaluate("id => redhallViewer.view.packaged.audio[id]['zh-CN']", hotspot)
    return LipSyncTrack.model_validate(page.evaluate(
        "p => redhallViewer.source.json(redhallViewer.view.packaged.lipsync[p])", ogg))


def _widest(track: LipSyncTrack) -> float:
    """A time (seconds) the track holds its mouth widest open."""
    frame = max(range(len(track.openness)),
                key=lambda i: track.openness[i] if track.visemes[i] != "X" else -1)
    return frame / track.rate


def _open(visit: Visit) -> Page:
    visit.log_in("member-a")
    visit.page.set_viewport_size(SIZE)  # a smaller canvas: SwiftShader draws it sooner
    return open_viewer(visit, SCENE)


def test_the_narrator_stands_turns_its_head_and_speaks_with_the_lip_sync(
        desktop: Visit) -> None:
    page = _open(desktop)
    assert page.evaluate("redhallViewer.narrator !== null")
    spec = _spec(page)
    model = spec["model"]
    assert any(model in u or "/entries/" in u for u in desktop.requests)
    # where the script places it, in three.js's frame (x, z, -y)
    placed = page.evaluate("redhallViewer.narrator.figure.getWorldPosition("
                           "redhallViewer.camera.position.clone()).toArray()")
    x, y, z = spec["position"]
    assert np.allclose(placed, [x, z, -y], atol=1e-4), placed
    # drawn there: seen from 4 m before it, the pixels it changes span its projection
    _look_from(page, spec, 0, 4.0)
    mask = _drawn_mask(page)
    look(desktop, "viewer-narrator")
    feet = page.evaluate("p => redhallViewer.screenPosition(p)", [x, y, z])
    top = page.evaluate("p => redhallViewer.screenPosition(p)", [x, y, z + 1.7])
    assert feet is not None and top is not None
    ys, xs = np.nonzero(mask)
    assert len(xs) > 2000, f"the narrator changed only {len(xs)} pixels"
    assert xs.min() - 5 <= feet[0] <= xs.max() + 5 and xs.min() - 5 <= top[0] <= xs.max() + 5
    assert abs(ys.min() - top[1]) < 40 and abs(ys.max() - feet[1]) < 40, (
        (ys.min(), ys.max()), (top, feet))
    assert abs(np.median(xs) - feet[0]) < 40
    budget = page.evaluate("redhallViewer.renderInfo()")
    assert 0 < budget["calls"] <= 150 and 0 < budget["triangles"] <= 300_000, budget
    # the head turns toward the member, within a neck's limits
    _look_from(page, spec, 40, 3.0)
    off = _until(page, lambda: (a := _head_off_camera(page))[0] < 10 and a,
                 "the head turned toward the member 40° aside")
    assert 30 < off[1] < 50, off  # turned from the body's facing by about that much
    _look_from(page, spec, -110, 3.0)
    _until(page, lambda: abs(page.evaluate("redhallViewer.narrator.headYaw") + 60) < 0.5,
           "the head turned as far as a neck allows")
    _, from_body = _head_off_camera(page)
    assert 50 < from_body < 70, from_body
    # speaking: the mouth follows the lip-sync track at the audio's time
    _look_from(page, spec, 0, 4.0)
    page.locator("#viewer-progress").click()  # a gesture: the page's audio may start
    hotspot = page.evaluate("redhallViewer.view.packaged.script.hotspots[0].id")
    page.evaluate("id => redhallViewer.visit.select(id)", hotspot)
    _until(page, lambda: page.evaluate("redhallViewer.narrator.state().track"),
           "the narration's lip-sync track loaded")
    state = page.evaluate("redhallViewer.narrator.state()")
    assert state["owner"] == hotspot and state["gestures"] == 1
    # it turned (as far as a body turns) toward the hotspot it explains
    at = page.evaluate("id => redhallViewer.view.packaged.script.hotspots"
                       ".find((h) => h.id === id).at", hotspot)
    bearing = math.degrees(math.atan2(-(at[0] - x), at[1] - y))
    # the arm points from the right hand, beside the body: the turn makes up for it
    aside = math.degrees(math.asin(min(page.evaluate("redhallViewer.narrator.handAside")
                                       / math.hypot(at[0] - x, at[1] - y), 1.0)))
    wanted = max(-75.0, min(75.0, (bearing + aside - _heading(spec) + 180) % 360 - 180))
    assert abs(state["gestureTurn"] - wanted) < 0.01, (state["gestureTurn"], wanted)
    track = _track_of(page, hotspot)
    times = [_widest(track) + 0.007, 0.013, 2.517, track.seconds * 0.6 + 0.004]
    assert max(_mouth_follows(page, track, t) for t in times) > 0.5
    _until(page, lambda: page.evaluate("redhallViewer.narrator.state().positional"),
           "the narration routed through the narrator's panner", seconds=5)
    panner = page.evaluate("""() => {
        const p = redhallViewer.narrator.sound.panner;
        return [p.positionX.value, p.positionY.value, p.positionZ.value];
    }""")
    head = page.evaluate("redhallViewer.narrator.head.getWorldPosition("
                         "redhallViewer.camera.position.clone()).toArray()")
    assert math.dist(panner, head) < 0.05, (panner, head)
    # the panel closes: silent, the mouth shut
    page.evaluate("redhallViewer.visit.closePanel()")
    page.wait_for_timeout(400)
    state = page.evaluate("redhallViewer.narrator.state()")
    assert state["owner"] is None and all(state["morphs"][m] == 0 for m in MOUTHS), state
    # a route stop's own narration (owner stop:<id>) is the narrator's as well
    stop = page.evaluate("redhallViewer.view.packaged.script.route[0].id")
    assert page.evaluate("o => o in redhallViewer.view.packaged.audio", f"stop:{stop}")
    page.locator("#viewer-next-stop").click()
    _until(page, lambda: page.evaluate("redhallViewer.narrator.state().track"),
           "the stop's lip-sync track loaded")
    assert page.evaluate("redhallViewer.narrator.state().owner") == f"stop:{stop}"
    page.locator("#viewer-canvas").screenshot(path=str(SCREENSHOTS / "viewer-narrator-stop.png"))
    # a track that is not one leaves the mouth still rather than throwing
    refused = page.evaluate("""async () => {
        const { lipSyncTrack } = await import('/static/viewer/narrator-face.js');
        const good = { kind: 'redhall-lipsync', version: 1, rate: 50, openness: [0, 255],
                       visemes: 'XA' };
        const bad = [{ ...good, rate: 1e9 }, { ...good, openness: [0] },
                     { ...good, visemes: 'X<' }, { ...good, openness: [0, 256] },
                     { ...good, openness: [0, 0.5] }, { ...good, openness: 'ab' },
                     { ...good, version: 2 }, null, 'text', 7];
        return [lipSyncTrack(good) !== null, ...bad.map((b) => lipSyncTrack(b) === null)];
    }""")
    assert all(refused), refused
    assert desktop.errors == []


def test_the_narrator_in_a_headset_turns_to_the_member_and_speaks(desktop: Visit) -> None:
    desktop.page.add_init_script(path=str(IWER))
    desktop.page.add_init_script(INSTALL)
    page = _open(desktop)
    spec = _spec(page)
    _look_from(page, spec, 0, 3.0)
    page.locator("#viewer-enter-vr").click()
    page.locator("#viewer[data-xr=presenting]").wait_for(timeout=30_000)
    # the headset steps a metre and a half to the member's right: the head follows it
    before = page.evaluate("redhallViewer.narrator.headYaw")
    page.evaluate("window.redhallTestXR.position.set(1.5, 1.6, 0)")
    _until(page, lambda: abs(page.evaluate("redhallViewer.narrator.headYaw") - before) > 15,
           "the head followed the headset")
    off, _ = _until(page, lambda: (a := _head_off_camera(page))[0] < 12 and a,
                    "the head faces the headset")
    assert off < 12
    hotspot = page.evaluate("redhallViewer.view.packaged.script.hotspots[1].id")
    page.evaluate("id => redhallViewer.visit.select(id)", hotspot)
    _until(page, lambda: page.evaluate("redhallViewer.narrator.state().track"),
           "the narration's lip-sync track loaded")
    track = _track_of(page, hotspot)
    assert _mouth_follows(page, track, _widest(track)) > 0.5
    assert page.evaluate("redhallViewer.frames") > 0 and desktop.errors == []
