"""Offscreen rendering of every sample scene, checked in pixels."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point2, Point3
from PIL import Image
from scipy import ndimage

from engine.view import ExhibitView
from tests.engine.conftest import SCENES


def _markers_mask(view: ExhibitView) -> np.ndarray:
    view.hotspots.root.hide()
    without = view.app.capture().astype(int)
    view.hotspots.root.show()
    with_markers = view.app.capture().astype(int)
    return np.abs(with_markers - without).sum(axis=2) > 30


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_scene_renders_and_markers_sit_where_projection_says(
        open_view: Callable[..., ExhibitView], scene: str, tmp_path: Path) -> None:
    view = open_view(scene)
    image = view.app.capture()
    Image.fromarray(image).save(tmp_path / f"{scene}.png")
    assert image.std() > 20, "the frame is nearly uniform"
    sky = np.array(view.nodes.sky) * 255
    not_sky = np.abs(image.astype(float) - sky).sum(axis=2) > 40
    assert not_sky.mean() > 0.2, "too little of the frame shows the scene"
    mask = _markers_mask(view)
    blobs, count = ndimage.label(mask)
    projected = [p for h in view.scene.script.hotspots
                 if (p := view.screen_position(h.at)) is not None
                 and 0 <= p[0] < view.app.size[0] and 0 <= p[1] < view.app.size[1]]
    assert count >= 1 and projected
    for blob in range(1, count + 1):
        ys, xs = np.nonzero(blobs == blob)
        centre = (xs.mean(), ys.mean())
        nearest = min(np.hypot(centre[0] - x, centre[1] - y) for x, y in projected)
        assert nearest < 12, f"a marker drawn at {centre} where no hotspot projects"


def test_selecting_a_hotspot_draws_its_subtitles(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("luding-bridge", language="en")
    before = view.app.capture().astype(int)
    view.select("thirteen-chains")
    view.app.step(1 / 60)
    after = view.app.capture().astype(int)
    assert "13 iron chains" in view.narration.text
    assert "Thirteen iron chains" in view.narration.text
    changed = np.abs(after - before).sum(axis=2) > 60
    height, width = changed.shape
    lower_left = changed[height // 2:, : width * 3 // 4]
    assert lower_left.mean() > 0.02, "the narration panel did not appear"


def test_chinese_subtitles_render_with_the_package_font(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("nanhu-red-boat")
    view.select("wang-huiwu")
    view.app.step(1 / 60)
    body = view.narration.body.node()
    assert "王会悟" in body.getText()
    # Every character of the text has a glyph in the package's font subset.
    from fontTools.ttLib import TTFont

    manifest = view.exhibit.package.manifest
    cmap = TTFont(view.exhibit.file(manifest.font)).getBestCmap()
    assert all(ord(c) in cmap for c in body.getText() if not c.isspace())
    bright = view.app.capture().mean(axis=2) > 200
    assert bright[view.app.size[1] // 2:].sum() > 200, "no light text drawn in the panel"


def test_stereo_eyes_differ_by_the_expected_parallax(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.xr import IPD

    view = open_view("first-congress-site", xr="simulated")
    target = view.scene.script.hotspots[0].at
    view.navigation.teleport(Point3(target[0], target[1] - 3.0, target[2]), Point3(*target))
    view.app.step(1 / 60)
    view.hotspots.root.hide()
    left0, right0 = view.xr.capture()
    view.hotspots.root.show()
    left1, right1 = view.xr.capture()
    eye_width = left0.shape[1]
    expected, positions = [], []
    for side, (before, after) in (("left", (left0, left1)), ("right", (right0, right1))):
        lens = view.xr.eyes[side].node().getLens()
        local = view.xr.eyes[side].getRelativePoint(view.app.render, Point3(*target))
        film = Point2()
        assert lens.project(local, film)
        expected.append((film.x + 1) / 2 * eye_width)
        changed = np.abs(after.astype(int) - before.astype(int)).sum(axis=2) > 30
        blobs, count = ndimage.label(changed)
        centres = [np.nonzero(blobs == b)[1].mean() for b in range(1, count + 1)]
        positions.append(min(centres, key=lambda x: abs(x - expected[-1])))
    assert positions[0] == pytest.approx(expected[0], abs=3)
    assert positions[1] == pytest.approx(expected[1], abs=3)
    # The near marker sits further right in the left eye than in the right eye; the
    # difference, minus the two frusta's principal-point offsets, is IPD * f / distance.
    lens = view.xr.eyes["left"].node().getLens()
    focal_px = eye_width / lens.getFilmSize()[0]
    offsets = [(view.xr.eyes[s].node().getLens().getFilmOffset()[0]) * focal_px
               for s in ("left", "right")]
    disparity = (positions[0] + offsets[0]) - (positions[1] + offsets[1])
    assert disparity == pytest.approx(IPD * focal_px / 3.0, rel=0.15)


def test_vr_panels_float_in_the_world_for_both_eyes(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", size=(320, 320), xr="simulated")
    view.go_to_stop("meeting-room")
    view.close_panel()
    left0, right0 = view.xr.capture()
    view.select("attendance")
    left1, right1 = view.xr.capture()
    for before, after in ((left0, left1), (right0, right1)):
        changed = np.abs(after.astype(int) - before.astype(int)).sum(axis=2) > 60
        centre = changed[80:240, 60:260]
        assert centre.mean() > 0.04, "the narration panel is not in front of this eye"
    panel_distance = view.narration.root.getPos(view.app.base.camera).y
    assert 0.5 < panel_distance < 1.0  # arm's length


def test_avatars_are_one_draw_and_appear_where_their_poses_project(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.avatars import INTERPOLATION_DELAY, AvatarPose

    view = open_view("zunyi-conference")
    app, camera = view.app, view.app.base.camera

    def ahead(x: float, z: float) -> tuple[float, float, float]:
        p = app.render.getRelativePoint(camera, Point3(x, 5, z))
        return (p.x, p.y, p.z)

    def place(x_offsets: list[float]) -> list[tuple[float, float, float]]:
        heads = [ahead(x, 0) for x in x_offsets]
        for i, head in enumerate(heads):
            view.avatars.receive(f"m{i}", AvatarPose(app.clock.now(), head, 0.0,
                                                     ahead(x_offsets[i] - 0.3, -0.5),
                                                     ahead(x_offsets[i] + 0.3, -0.5)))
        app.step(INTERPOLATION_DELAY + 0.05)
        return heads

    def blobs() -> list[tuple[float, float]]:
        view.avatars.root.hide()
        without = app.capture().astype(int)
        view.avatars.root.show()
        changed = np.abs(app.capture().astype(int) - without).sum(axis=2) > 30
        # Head, body and hands are apart by a few pixels: join them into one figure.
        labels, count = ndimage.label(ndimage.binary_dilation(changed, iterations=4))
        return [(float(xs.mean()), float(ys.min())) for xs, ys in
                ((np.nonzero(labels == i)[1], np.nonzero(labels == i)[0])
                 for i in range(1, count + 1)) if len(xs) > 20]

    heads = place([-1.5, 0.0, 1.5])
    assert sum(n.node().getNumGeoms()
               for n in view.avatars.root.findAllMatches("**/+GeomNode")) == 1
    found = blobs()
    assert len(found) == 3
    for head in heads:
        x, _ = view.screen_position(head)  # type: ignore[misc]
        _, crown = view.screen_position((head[0], head[1], head[2] + 0.12))  # type: ignore[misc]
        # Centred under the head, the crown of the head (12 cm up) at the top.
        assert min(abs(bx - x) + abs(top + 4 - crown) for bx, top in found) < 6

    moved = place([-1.5, 0.0, 1.0])  # the third steps left: its vertices follow
    after = sorted(bx for bx, _ in blobs())
    expected = sorted(view.screen_position(h)[0] for h in moved)  # type: ignore[index]
    assert after == pytest.approx(expected, abs=6)
    view.avatars.remove("m2")
    app.step(1 / 60)
    assert len(blobs()) == 2


def test_a_render_at_a_stop_shows_the_route_progress_and_the_stops_words(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.render import stage

    view = open_view("zunyi-conference", size=(960, 540), language="en")
    stage(view, 3)
    view.app.step(1 / 60)
    upstairs = view.scene.script.route[2]
    assert view.navigation.stop_id == upstairs.id
    assert "Route stops 3/4" in view.status.text
    assert view.narration.visible and upstairs.say.get("en") in view.narration.text
    shown = view.app.capture().astype(int)
    stage(view, None, overlay=False)
    view.app.step(1 / 60)
    assert not view.narration.visible and not view.status.visible
    bare = view.app.capture().astype(int)
    # The subtitles are drawn in the lower left, on a card that stays inside the frame.
    changed = np.abs(shown - bare).sum(axis=2) > 60
    lower_left = changed[270:, :480]
    assert lower_left.mean() > 0.02, "no subtitles in the lower left"
    low, high = view.narration.card.getTightBounds(view.app.base.aspect2d)
    assert -1.0 <= low.z < high.z <= 0.0, "the subtitle card leaves the lower half"


def test_a_render_speaks_the_stops_words_in_its_language(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.render import stage

    view = open_view("zunyi-conference")
    stage(view, 3)
    assert "路线站点 3/4" in view.status.text
    assert view.scene.script.route[2].say.get("zh-CN") in view.narration.text


def _depths(view: ExhibitView, columns: int = 9, rows: int = 5) -> list[float]:
    """Metres from the eye to the first surface, along rays spread over the view."""
    from panda3d.core import (
        CollisionHandlerQueue,
        CollisionNode,
        CollisionRay,
        CollisionTraverser,
        GeomNode,
    )

    render, camera, lens = view.app.render, view.app.base.camera, view.app.base.camLens
    node = CollisionNode("depth-probe")
    node.setFromCollideMask(GeomNode.getDefaultCollideMask())
    node.setIntoCollideMask(0)
    origins = []
    for row in range(rows):
        for column in range(columns):
            near, far = Point3(), Point3()
            lens.extrude(Point2(-0.9 + 1.8 * column / (columns - 1),
                                -0.9 + 1.8 * row / (rows - 1)), near, far)
            start = render.getRelativePoint(camera, near)
            node.addSolid(CollisionRay(start, render.getRelativePoint(camera, far) - start))
            origins.append(start)
    probe = render.attachNewNode(node)
    queue = CollisionHandlerQueue()
    traverser = CollisionTraverser()
    traverser.addCollider(probe, queue)
    traverser.traverse(view.nodes.root)
    probe.removeNode()
    solids = [node.getSolid(i) for i in range(node.getNumSolids())]
    depths = [float("inf")] * len(solids)
    for entry in queue.entries:
        index = next(i for i, solid in enumerate(solids) if solid == entry.getFrom())
        depths[index] = min(depths[index],
                            (entry.getSurfacePoint(render) - origins[index]).length())
    return depths


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_every_route_stop_frames_the_scene_not_a_wall(
        open_view: Callable[..., ExhibitView], scene: str) -> None:
    view = open_view(scene, size=(160, 90))
    for number, stop in enumerate(view.scene.script.route, 1):
        view.navigation.teleport_to_stop(stop.id)
        depths = _depths(view)
        where = f"{scene} stop {number} ({stop.id})"
        assert depths[len(depths) // 2] >= 1.5, f"{where}: the eye is right against something"
        assert float(np.median(depths)) >= 2.5, f"{where}: most of the view is a near wall"
        reach = max(1.5, 0.15 * float(np.linalg.norm(np.subtract(stop.camera.look_at,
                                                                  stop.camera.pos))))
        near = sum(d < reach for d in depths) / len(depths)
        assert near <= 0.25, f"{where}: {near:.0%} of the view is blocked within {reach:.1f} m"
