"""Hotspot markers: rings that never cover what they mark, the same size at any distance,
an "i" until seen and a tick after, faintly visible behind walls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point3, Vec3
from PIL import Image
from scipy import ndimage

from engine.hotspots import HIGHLIGHT_COLOUR, MARKER_COLOUR, SEEN_COLOUR
from engine.view import ExhibitView

SHOTS = Path(__file__).resolve().parents[2] / "var/screenshots/engine"


def _marker_pixels(view: ExhibitView) -> tuple[np.ndarray, np.ndarray]:
    """The frame with markers, and where they changed it."""
    view.hotspots.root.hide()
    without = view.app.capture().astype(int)
    view.hotspots.root.show()
    with_markers = view.app.capture().astype(int)
    return with_markers, np.abs(with_markers - without).sum(axis=2) > 30


def _only(view: ExhibitView, hotspot_id: str) -> None:
    for key, anchor in view.hotspots.markers.items():
        anchor.show() if key == hotspot_id else anchor.hide()


def _stand_before(view: ExhibitView, hotspot_id: str, distance: float) -> tuple[float, float]:
    """Teleports the eye ``distance`` m south of the hotspot, looking at it; its pixel."""
    at = next(h.at for h in view.scene.script.hotspots if h.id == hotspot_id)
    view.navigation.teleport(Point3(at[0], at[1] - distance, at[2]), Point3(*at))
    view.app.step(1 / 60)
    point = view.screen_position(at)
    assert point is not None
    return point


def test_a_marker_rings_its_hotspot_and_leaves_the_point_itself_clear(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.render import stage

    view = open_view("first-congress-site", size=(480, 270))
    stage(view, 1)
    view.app.step(1 / 60)
    shown, _ = _marker_pixels(view)
    SHOTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(shown.astype(np.uint8)).save(SHOTS / "look-markers.png")
    checked = 0
    for hotspot in view.scene.script.hotspots:
        point = view.screen_position(hotspot.at)
        if point is None or not (30 <= point[0] < 450 and 30 <= point[1] < 240):
            continue
        _only(view, hotspot.id)  # each marker against its own hotspot
        _, changed = _marker_pixels(view)
        x, y = round(point[0]), round(point[1])
        assert not changed[y - 1:y + 2, x - 1:x + 2].any(), f"{hotspot.id}: its point is covered"
        # The ring is drawn around the point: marked pixels on both sides of it.
        row = changed[y, x - 25:x + 26]
        left, right = np.nonzero(row[:25])[0], np.nonzero(row[26:])[0]
        assert len(left) and len(right), f"{hotspot.id}: no ring around its point"
        checked += 1
    assert checked >= 3


def test_a_marker_keeps_its_size_on_screen_near_and_far(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", size=(480, 270))
    hotspot = view.scene.script.hotspots[0].id
    _only(view, hotspot)
    widths = []
    for distance in (3.0, 12.0):
        _stand_before(view, hotspot, distance)
        _, changed = _marker_pixels(view)
        labels, count = ndimage.label(changed)
        assert count >= 1
        biggest = max(range(1, count + 1), key=lambda i: int((labels == i).sum()))
        xs = np.nonzero(labels == biggest)[1]
        widths.append(xs.max() - xs.min())
    assert 12 <= widths[0] <= 40
    assert abs(widths[0] - widths[1]) <= 0.2 * widths[0], widths


def test_a_seen_marker_turns_quiet_and_shows_a_tick(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site", size=(960, 540))
    hotspot = view.scene.script.hotspots[0].id
    _only(view, hotspot)
    _stand_before(view, hotspot, 4.0)
    anchor = view.hotspots.markers[hotspot]

    def drawn() -> tuple[np.ndarray, np.ndarray]:
        """The marker's mean colour, and its dark pixels (outline and icon)."""
        shown, changed = _marker_pixels(view)
        brightness = shown.sum(axis=2)
        ys, xs = np.nonzero(changed)
        box = np.zeros_like(changed)
        box[ys.min():ys.max() + 1, xs.min():xs.max() + 1] = True
        dark = brightness < 0.6 * brightness[changed].mean()
        return shown[changed].mean(axis=0), box & dark

    assert view.hotspots.state(hotspot) == "new"
    assert tuple(anchor.getColor()) == pytest.approx(MARKER_COLOUR, abs=2e-3)
    new_colour, new_mask = drawn()
    view.select(hotspot)
    view.app.step(1 / 60)
    assert view.hotspots.state(hotspot) == "open"
    assert tuple(anchor.getColor()) == pytest.approx(HIGHLIGHT_COLOUR, abs=2e-3)
    view.close_panel()
    view.app.step(1 / 60)
    assert view.hotspots.state(hotspot) == "seen"
    assert tuple(anchor.getColor()) == pytest.approx(SEEN_COLOUR, abs=2e-3)
    seen_colour, seen_mask = drawn()
    # Gold (red well above blue) before; a cool grey after.
    assert new_colour[0] - new_colour[2] > 60
    assert abs(seen_colour[0] - seen_colour[2]) < 40
    # The icon changed: "i" and tick darken different pixels of the badge.
    assert (new_mask ^ seen_mask).sum() > 10
    Image.fromarray(_marker_pixels(view)[0].astype(np.uint8)).save(SHOTS / "look-marker-seen.png")


def test_a_marker_behind_a_wall_shows_only_faintly(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", size=(480, 270))
    hotspot = view.scene.script.hotspots[0].id
    _only(view, hotspot)
    _stand_before(view, hotspot, 6.0)
    open_pixels, open_mask = _marker_pixels(view)
    # A wall between the eye and the hotspot.
    from panda3d.core import CardMaker

    card = CardMaker("wall")
    card.setFrame(-3, 3, -3, 3)
    wall = view.nodes.root.attachNewNode(card.generate())
    at = Vec3(*next(h.at for h in view.scene.script.hotspots if h.id == hotspot))
    wall.setPos(at + Vec3(0, -3.0, 0))
    wall.setColor(0.3, 0.3, 0.3, 1)
    wall.setTwoSided(True)
    view.app.step(1 / 60)
    view.hotspots.root.hide()
    bare = view.app.capture().astype(int)
    view.hotspots.root.show()
    hidden = view.app.capture().astype(int)
    faint = np.abs(hidden - bare).sum(axis=2)
    assert (faint > 15).sum() > 0.5 * open_mask.sum(), "the marker vanished behind the wall"
    strong = np.abs(open_pixels - bare).sum(axis=2)[open_mask].mean()
    assert faint[faint > 15].mean() < 0.6 * strong, "the marker shows through at full strength"
