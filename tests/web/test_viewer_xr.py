"""The browser viewer in an emulated headset: IWER (npm ``iwer``, a Meta Quest 3 with its
Touch Plus controllers) installed into the page before the viewer starts. An immersive
session starts, a hotspot looked at opens (gaze), the controller ray and trigger open
another, the trigger answers its quiz item on the panel at arm's length, and the thumbstick
throws a teleport arc and moves there, and turns by 30°, each move a blink."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Page, expect
from scipy.spatial.transform import Rotation

from tests.web.conftest import ROOT, Visit, look
from tests.web.test_viewer import open_viewer

IWER = ROOT / "node_modules" / "iwer" / "build" / "iwer.min.js"
# the lightest sample scene to draw in software that has a quizzed hotspot and open ground
SCENE = "first-congress-site"
INSTALL = ("window.redhallTestXR = new IWER.XRDevice(IWER.metaQuest3);"
           "window.redhallTestXR.installRuntime({forceInstall: true});")


def _quaternion_looking(eye: np.ndarray, target: np.ndarray) -> list[float]:
    """The rotation whose -Z axis points from ``eye`` to ``target`` (x, y, z, w)."""
    back = eye - target
    z = back / np.linalg.norm(back)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    # scipy's conversion stays exact for a turn near 180° (looking behind), where the
    # trace formula divides by almost nothing
    return [float(v) for v in Rotation.from_matrix(np.column_stack([x, y, z])).as_quat()]


def _aim(page: Page, world_target: Sequence[float]) -> None:
    """Points the right controller (at hand height before the member) at a point given in
    the three.js world frame; the emulated space is the member's rig."""
    rig = np.array(page.evaluate("redhallViewer.rig.matrixWorld.elements")).reshape(4, 4).T
    local = np.linalg.inv(rig) @ np.array([*world_target, 1.0])
    hand = np.array([0.15, 1.3, -0.2])
    q = _quaternion_looking(hand, local[:3])
    page.evaluate("""([p, q]) => {
        const c = window.redhallTestXR.controllers.right;
        c.position.set(p[0], p[1], p[2]);
        c.quaternion.set(q[0], q[1], q[2], q[3]);
    }""", [hand.tolist(), q])
    page.wait_for_timeout(300)  # a few emulated frames


def _trigger(page: Page) -> None:
    page.evaluate("window.redhallTestXR.controllers.right.updateButtonValue('trigger', 1)")
    page.wait_for_timeout(300)
    page.evaluate("window.redhallTestXR.controllers.right.updateButtonValue('trigger', 0)")
    page.wait_for_timeout(300)


def _until(page: Page, check: Callable[[], Any], what: str, seconds: float = 20) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        page.wait_for_timeout(200)  # the driver delivers the page's events meanwhile
    raise AssertionError(f"never happened: {what}")


# Stereo frames drawn in software take a second or more each on a two-core machine
@pytest.mark.timeout(600)
def test_a_headset_opens_a_hotspot_answers_with_the_trigger_and_teleports(
        laptop: Visit) -> None:
    laptop.log_in("member-a")
    laptop.page.add_init_script(path=str(IWER))
    laptop.page.add_init_script(INSTALL)
    page = open_viewer(laptop, SCENE)
    enter = page.locator("#viewer-enter-vr")
    expect(enter).to_be_visible()
    look(laptop, "viewer-xr-before")
    enter.click()
    page.locator("#viewer[data-xr=presenting]").wait_for(timeout=30_000)
    # the controller models came from RedHall's own copy of the input profiles
    _until(page, lambda: any("/vendor/webxr-profiles/" in u and u.endswith(".glb")
                       for u in laptop.requests), "the controller model loaded")
    # looking at a hotspot for a moment opens it (gaze)
    item = page.evaluate("""() => {
        const script = redhallViewer.view.packaged.script;
        return script.quiz.find((q) => script.hotspots.some((h) => h.id === q.hotspot));
    }""")
    looked = page.evaluate("""(quizzed) => {
        const h = redhallViewer.view.packaged.script.hotspots.find((h) => h.id !== quizzed);
        return [h.id, [h.at[0], h.at[2], -h.at[1]]];
    }""", item["hotspot"])
    rig = np.array(page.evaluate("redhallViewer.rig.matrixWorld.elements")).reshape(4, 4).T
    local = np.linalg.inv(rig) @ np.array([*looked[1], 1.0])
    head = page.evaluate("(({x, y, z}) => [x, y, z])(window.redhallTestXR.position)")
    q = _quaternion_looking(np.array(head), local[:3])
    page.evaluate("q => window.redhallTestXR.quaternion.set(q[0], q[1], q[2], q[3])", q)
    # the dwell counts frame time, at most 0.1 s a frame: fifteen frames or more, and a
    # software-drawn stereo frame may take over a second
    _until(page, lambda: page.evaluate("redhallViewer.visit.current") == looked[0],
           f"the gaze opened the hotspot looked at ({looked}, head {head}, q {q}, current "
           f"{page.evaluate('redhallViewer.visit.current')}, gazed "
           f"{page.evaluate('redhallViewer.xr?.gazeTarget ?? null')})", seconds=90)
    page.evaluate("window.redhallTestXR.quaternion.set(0, 0, 0, 1)")
    hotspot = page.evaluate("""(id) => {
        const h = redhallViewer.view.packaged.script.hotspots.find((h) => h.id === id);
        return [h.at[0], h.at[2], -h.at[1]];
    }""", item["hotspot"])
    _aim(page, hotspot)
    _trigger(page)
    _until(page, lambda: page.evaluate("redhallViewer.visit.current") == item["hotspot"],
           "the ray and trigger opened the hotspot")
    assert page.evaluate("redhallViewer.xr.panel.mesh.visible")
    choice = f"redhallViewer.xr.panel.choicePoint({item['answer']})"
    point = _until(page, lambda: page.evaluate(choice), "the quiz's choices on the panel")
    _aim(page, point)
    _trigger(page)
    _until(page, lambda: page.evaluate(f"redhallViewer.visit.state.answers['{item['id']}']")
           == item["answer"], "the trigger answered the quiz")
    before = page.evaluate("redhallViewer.rig.position.toArray()")
    _aim(page, [before[0] + 0.5, before[1] - 3, before[2] - 4])  # ahead and down: ground
    page.evaluate("window.redhallTestXR.controllers.right.updateAxes('thumbstick', 0, -1)")
    _until(page, lambda: page.evaluate("redhallViewer.xr.arc.visible"), "the teleport arc shown")
    page.evaluate("window.redhallTestXR.controllers.right.updateAxes('thumbstick', 0, 0)")
    _until(page, lambda: page.evaluate("redhallViewer.xr.teleports") == 1, "the teleport")
    after = page.evaluate("redhallViewer.rig.position.toArray()")
    moved = math.dist(before, after)
    assert 0.5 < moved < 20, (before, after)
    assert page.evaluate("redhallViewer.xr.blinks") == 1  # the teleport was a blink
    _until(page, lambda: not page.evaluate("redhallViewer.xr.blink.visible"), "the blink ends")
    heading = page.evaluate("redhallViewer.rig.rotation.y")
    page.evaluate("window.redhallTestXR.controllers.right.updateAxes('thumbstick', 1, 0)")
    _until(page, lambda: page.evaluate("redhallViewer.xr.blinks") == 2, "a snap turn")
    page.evaluate("window.redhallTestXR.controllers.right.updateAxes('thumbstick', 0, 0)")
    turned = page.evaluate("redhallViewer.rig.rotation.y")
    assert abs((heading - turned) - math.pi / 6) < 1e-6, (heading, turned)
