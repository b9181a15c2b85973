"""One layout for the panels: narration, quiz card, progress, tour bar and the guide's panel
never overlap, at any window shape, after a resize, and in a headset, where the text
stays large enough to read."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import pytest
from panda3d.core import NodePath, Point2, Point3
from PIL import Image

from engine.panel import Panel
from engine.view import ExhibitView

SHOTS = Path(__file__).resolve().parents[2] / "var/screenshots/engine"
Rect = tuple[float, float, float, float]  # left, right, bottom, top


def _everything_up(view: ExhibitView) -> list[tuple[str, NodePath]]:
    """Status, subtitles of the longest hotspot, the quiz card, a tour bar and a guide's
    panel, all shown at once (the most a view ever shows)."""
    script = view.scene.script
    longest = max(script.hotspots, key=lambda h: len(h.text.get(view.language)))
    quizzed = next(i.hotspot for i in script.quiz if i.hotspot)
    view.select(quizzed)
    view.narration.show(longest.title.get(view.language), longest.text.get(view.language))
    assert view.quiz_card.visible
    parent = view.panels if view.panels is not None else view.app.base.aspect2d
    bar = Panel(parent, view.ui_font, view.layout.widths["top"], "tour-bar")
    guide = Panel(parent, view.ui_font, view.layout.widths["right"], "guide")
    view.layout.add("top", bar)
    view.layout.add("right", guide)
    bar.show("导览进行中 · 讲解员 王老师 · 12 人在场", "跟随：开 · 锁定移动：关 · 全体静音：关")
    guide.show("讲解员面板", "F5 集合 · F6 跟随 · F7 锁定 · F8 静音 · F9 提问")
    view.app.step(1 / 60)
    return [("status", view.status.root), ("narration", view.narration.root),
            ("quiz", view.quiz_card.root), ("tour-bar", bar.root), ("guide", guide.root)]


def _rect(node: NodePath, frame: NodePath) -> Rect:
    low, high = node.getTightBounds(frame)
    return (low.x, high.x, low.z, high.z)


def _apart(a: Rect, b: Rect) -> bool:
    return a[1] <= b[0] + 1e-4 or b[1] <= a[0] + 1e-4 or a[3] <= b[2] + 1e-4 \
        or b[3] <= a[2] + 1e-4


def _check_disjoint(panels: list[tuple[str, NodePath]], frame: NodePath,
                    bounds: Rect) -> dict[str, Rect]:
    rects = {name: _rect(node, frame) for name, node in panels}
    for (name_a, a), (name_b, b) in itertools.combinations(rects.items(), 2):
        assert _apart(a, b), f"{name_a} {a} overlaps {name_b} {b}"
    for name, (left, right, bottom, top) in rects.items():
        assert bounds[0] - 1e-3 <= left < right <= bounds[1] + 1e-3, f"{name} leaves the frame"
        assert bounds[2] - 1e-3 <= bottom < top <= bounds[3] + 1e-3, f"{name} leaves the frame"
    return rects


@pytest.mark.parametrize("size", [(480, 270), (1280, 480), (540, 960)])
def test_no_panel_covers_another_at_any_window_shape(
        open_view: Callable[..., ExhibitView], size: tuple[int, int]) -> None:
    view = open_view("zunyi-conference", size=size, language="en")
    panels = _everything_up(view)
    ratio = size[0] / size[1]
    rects = _check_disjoint(panels, view.app.base.aspect2d, (-ratio, ratio, -1.0, 1.0))
    # The tour bar runs across the top; the subtitles sit in the lower half.
    assert rects["tour-bar"][3] > 0.9 and rects["narration"][2] < -0.8
    SHOTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(view.app.capture()).save(SHOTS / f"look-layout-{size[0]}x{size[1]}.png")


def test_panels_follow_a_window_made_narrower(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site", size=(960, 540))
    panels = _everything_up(view)
    overlay = view.app.base.aspect2d
    for ratio in (1.0, 0.6, 2.4):
        overlay.setScale(1.0 / ratio, 1.0, 1.0)  # what ShowBase does when the window changes
        view.app.step(1 / 60)
        _check_disjoint(panels, overlay, (-ratio, ratio, -1.0, 1.0))


def test_headset_panels_do_not_overlap_and_their_text_is_readable(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", size=(640, 640), xr="simulated")
    panels = _everything_up(view)
    assert view.panels is not None
    _check_disjoint(panels, view.panels, (-0.7, 0.7, -0.95, 0.84))
    eye = view.xr.eyes["left"]  # type: ignore[union-attr]
    lens = eye.node().getLens()

    def pixels(node: NodePath, height: float) -> float:
        """How many pixels tall a letter of ``height`` (the node's units) shows."""
        points = []
        for z in (0.0, height):
            local = eye.getRelativePoint(node, Point3(0, 0, z))
            film = Point2()
            assert lens.project(local, film)
            points.append(film.y * 640 / 2)
        return float(abs(points[1] - points[0]))

    body = pixels(view.narration.body, 1.0)
    status = pixels(view.status.body, 1.0)
    quiz = pixels(view.quiz_card.prompt, 1.0)
    SHOTS.mkdir(parents=True, exist_ok=True)
    Image.fromarray(view.stereo_capture()).save(SHOTS / "look-layout-headset.png")
    print(f"letter heights per eye: narration {body:.1f} px, status {status:.1f} px, "
          f"quiz {quiz:.1f}")
    assert body >= 14 and status >= 14 and quiz >= 14, (body, status, quiz)
