"""The browser viewer in Debian's Chromium (WebGL on SwiftShader): every sample scene drawn,
its hotspot markers where the camera's projection puts them (as the engine's render test
checks), a tampered entry refused, and a second visit read from the device's cache."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, Route
from scipy import ndimage

from tests.web.conftest import Portal, Visit, look

SCENES = {"first-congress-site": "founding", "nanhu-red-boat": "founding",
          "zunyi-conference": "long-march", "luding-bridge": "long-march"}
SKY_COLOURS = {"day": (0.62, 0.74, 0.90), "dawn": (0.86, 0.72, 0.62),
               "dusk": (0.78, 0.56, 0.47), "overcast": (0.72, 0.74, 0.77),
               "night": (0.05, 0.06, 0.10), "interior": (0.20, 0.19, 0.18)}
READY = "#viewer[data-state=ready]"


def view_path(scene: str) -> str:
    return f"/exhibits/{SCENES[scene]}/versions/1.0.0/view?scene={scene}"


def open_viewer(visit: Visit, scene: str, state: str = "ready") -> Page:
    page = visit.open(view_path(scene))
    page.locator(f"#viewer[data-state={state}]").wait_for(timeout=90_000)
    return page


def canvas_image(page: Page) -> np.ndarray:
    # The element's screenshot waits for two animation frames with the canvas in one place
    # (so a change just made is drawn); a software-drawn gorge may take seconds a frame
    shot = page.locator("#viewer-canvas").screenshot(animations="disabled", timeout=120_000)
    return np.asarray(Image.open(io.BytesIO(shot)).convert("RGB")).astype(int)


def markers_mask(page: Page) -> np.ndarray:
    """Where the markers are drawn: the frame with them against the same frame without
    (the viewer's frame loop is held, so nothing else moves between the two)."""
    page.evaluate("redhallViewer.showMarkers(false)")
    without = canvas_image(page)
    page.evaluate("redhallViewer.showMarkers(true)")
    with_markers = canvas_image(page)
    mask: np.ndarray = np.abs(with_markers - without).sum(axis=2) > 30
    return mask


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_every_sample_scene_is_drawn_with_markers_where_the_projection_puts_them(
        laptop: Visit, scene: str) -> None:
    laptop.log_in("member-a")
    page = open_viewer(laptop, scene)
    # the scene is looked at frame by frame: in software a frame of it takes up to a second
    page.evaluate("redhallViewer.holdFrames(true)")
    look(laptop, f"viewer-{scene}")
    image = canvas_image(page)
    assert image.std() > 20, "the frame is nearly uniform"
    script: dict[str, Any] = page.evaluate("redhallViewer.view.packaged.script")
    sky = np.array(SKY_COLOURS[script["environment"]["sky"]]) * 255
    not_sky = np.abs(image - sky).sum(axis=2) > 40
    assert not_sky.mean() > 0.2, "too little of the frame shows the scene"
    height, width = image.shape[:2]
    projected = [p for h in script["hotspots"]
                 if (p := page.evaluate("at => redhallViewer.screenPosition(at)", h["at"]))
                 is not None and 0 <= p[0] < width and 0 <= p[1] < height]
    blobs, count = ndimage.label(markers_mask(page))
    assert count >= 1 and projected
    for blob in range(1, count + 1):
        ys, xs = np.nonzero(blobs == blob)
        centre = (xs.mean(), ys.mean())
        nearest = min(np.hypot(centre[0] - x, centre[1] - y) for x, y in projected)
        assert nearest < 12, f"a marker drawn at {centre} where no hotspot projects"
    budget = page.evaluate("redhallViewer.renderInfo()")
    assert 0 < budget["calls"] <= 150 and 0 < budget["triangles"] <= 300_000, budget


def test_a_tampered_entry_is_refused_with_a_message(desktop: Visit, portal: Portal) -> None:
    desktop.log_in("member-a")
    status, manifest = portal.api("member-a", "GET", "/api/exhibits/long-march/1.0.0/manifest")
    assert status == 200, manifest
    models = {e["sha256"]: e["path"] for e in manifest["entries"] if e["path"].endswith(".glb")}
    altered: list[str] = []

    def tamper(route: Route) -> None:
        sha256 = route.request.url.rsplit("/", 1)[-1]
        if sha256 not in models or altered:
            route.continue_()
            return
        altered.append(models[sha256])
        reply = route.fetch()
        body = bytearray(reply.body())
        body[-1] ^= 0xFF  # one byte of the model's binary chunk
        route.fulfill(response=reply, body=bytes(body))

    desktop.page.route("**/entries/*", tamper)
    page = open_viewer(desktop, "luding-bridge", state="refused")
    status_text = page.locator("#viewer-status").inner_text()
    assert altered and altered[0] in status_text and "拒绝" in status_text, status_text
    assert page.evaluate("redhallViewer.frames") == 0, "a frame was drawn from refused data"
    look(desktop, "viewer-tampered", errors_expected=True)
    desktop.page.unroute_all(behavior="ignoreErrors")


def test_a_second_visit_reads_the_package_from_the_cache(desktop: Visit,
                                                         portal: Portal) -> None:
    desktop.log_in("member-a")
    received: list[tuple[str, int]] = []

    def count(request: Any) -> None:
        sizes = request.sizes()
        received.append((request.url, sizes["responseBodySize"] + sizes["responseHeadersSize"]))

    desktop.page.on("requestfinished", count)
    open_viewer(desktop, "nanhu-red-boat")
    first = list(received)
    received.clear()
    page = open_viewer(desktop, "nanhu-red-boat")
    second = list(received)
    entries_first = [u for u, _ in first if "/entries/" in u]
    entries_second = [u for u, _ in second if "/entries/" in u]
    assert len(entries_first) > 10
    assert entries_second == [], "entries were fetched again"
    bytes_first, bytes_second = sum(n for _, n in first), sum(n for _, n in second)
    assert bytes_second < bytes_first / 10, (bytes_first, bytes_second)
    assert page.evaluate("redhallViewer.source.fetched") == 0
    image = canvas_image(page)
    assert image.std() > 20, "the cached scene was not drawn"


def test_on_a_phone_a_tap_opens_a_marker_and_the_member_turns_walks_and_teleports(
        phone: Visit) -> None:
    phone.log_in("member-a")
    page = open_viewer(phone, "nanhu-red-boat")
    look(phone, "viewer-phone")
    script: dict[str, Any] = page.evaluate("redhallViewer.view.packaged.script")
    box = page.locator("#viewer-canvas").bounding_box()
    assert box is not None
    shown = next(p for h in script["hotspots"]
                 if (p := page.evaluate("at => redhallViewer.screenPosition(at)", h["at"]))
                 and 5 < p[0] < box["width"] - 5 and 5 < p[1] < box["height"] - 5)
    page.touchscreen.tap(box["x"] + shown[0], box["y"] + shown[1])
    page.locator("#viewer-panel h2").wait_for()
    assert page.evaluate("redhallViewer.visit.current") is not None
    page.locator("#viewer-panel button", has_text="关闭").click()
    heading = page.evaluate("redhallViewer.rig.rotation.y")
    page.get_by_role("button", name="右转").click()
    turned = page.evaluate("redhallViewer.rig.rotation.y")
    assert abs((heading - turned) - np.pi / 6) < 1e-6, (heading, turned)
    start = np.array(page.evaluate("redhallViewer.rig.position.toArray()"))
    forward = page.get_by_role("button", name="前进")
    forward.dispatch_event("pointerdown")
    page.wait_for_timeout(700)
    forward.dispatch_event("pointerup")
    walked = np.array(page.evaluate("redhallViewer.rig.position.toArray()"))
    step = walked - start
    assert 0.2 < np.hypot(step[0], step[2]) < 3 and abs(step[1]) < 1e-6, step
    ahead = np.array([-np.sin(turned), -np.cos(turned)])  # three.js: heading 0 looks to -z
    assert np.dot(ahead, [step[0], step[2]]) > 0, "walked the wrong way"
    page.evaluate("""() => {
        for (const alpha of [10, 40]) window.dispatchEvent(new DeviceOrientationEvent(
            'deviceorientation', {alpha, beta: 90, gamma: 0}));
    }""")
    oriented = page.evaluate("redhallViewer.rig.rotation.y")
    assert abs((oriented - turned) - np.radians(30)) < 1e-6, (turned, oriented)
    before = np.array(page.evaluate("redhallViewer.rig.position.toArray()"))
    # a double tap on the ground, its two taps back to back (the driver's own round trips
    # on a busy machine can outlast a double tap)
    page.evaluate("""([x, y]) => {
        const canvas = document.getElementById('viewer-canvas');
        for (let i = 0; i < 2; i += 1) {
            for (const type of ['pointerdown', 'pointerup']) {
                canvas.dispatchEvent(new PointerEvent(type, {clientX: x, clientY: y,
                    pointerId: 7, pointerType: 'touch', bubbles: true}));
            }
        }
    }""", [box["x"] + box["width"] / 2, box["y"] + box["height"] * 0.9])
    after = np.array(page.evaluate("redhallViewer.rig.position.toArray()"))
    assert 0.5 < np.linalg.norm(after - before) < 60, (before, after)
