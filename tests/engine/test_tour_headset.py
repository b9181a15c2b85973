"""A member in a (simulated) headset in a live tour, over a real server's websocket: the
left hand's buttons raise the hand and applaud, the panels float apart from each other
within both eyes' view with text large enough to read, and the headset goes on into the
next scene with the tour."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point2, Point3

from engine.member_controls import MemberControls
from engine.tour_bar import TourBar
from engine.view import ExhibitView
from protocol import tour as wire
from tests.engine.tour_support import join, overlapping, rectangles, save_shot, tour_of, until
from tests.server.conftest import World, world  # noqa: F401 (fixture)
from tests.server.live_support import participant
from tools.build import BuildResult


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    yield f"sqlite+aiosqlite:///{tmp_path}/redhall.db"


def _eye_pixels(view: ExhibitView, side: str, point: Point3) -> tuple[float, float] | None:
    """Where a point (in the panels' frame) shows in ``side``'s 640x640 picture."""
    assert view.xr is not None and view.panels is not None
    eye = view.xr.eyes[side]  # type: ignore[attr-defined]
    film = Point2()
    if not eye.node().getLens().project(eye.getRelativePoint(view.panels, point), film):
        return None
    return (film.x + 1) / 2 * 640, (1 - film.y) / 2 * 640


async def test_a_headset_member_in_a_tour(world: World,  # noqa: F811
                                          samples: dict[str, BuildResult],
                                          open_view: Callable[..., ExhibitView],
                                          tmp_path: Path) -> None:
    tour = await tour_of(world, samples)
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    session = await join(world, tour, "member", open_view("first-congress-site", size=(640, 640),
                                                          xr="simulated"))
    bar = TourBar(session)
    member = MemberControls(session, bar)
    try:
        headset = session.view.xr
        assert headset is not None
        await guide.send(wire.Start())
        first = session.view.scene.script
        await guide.send(wire.GoToStop(scene=first.id, stop=first.route[0].id))
        await until(session, lambda: session.tour.stop == first.route[0].id)
        headset.press_button("hand")  # type: ignore[attr-defined]
        assert (await guide.expect("hand")).raised
        headset.press_button("react")  # type: ignore[attr-defined]
        assert (await guide.expect("reaction")).reaction == "applause"
        member.start_typing()  # no keyboard in a headset: no entry opens
        assert member.entry is None

        # On into the second scene: the same headset, its eyes still drawing.
        await guide.send(wire.GoToStop(scene="nanhu-red-boat", stop="bow"))
        await until(session, lambda: session.view.scene.script.id == "nanhu-red-boat")
        view = session.view
        assert view.xr is headset and view.panels is not None
        item = view.scene.script.quiz[1]
        await guide.send(wire.StartQuiz(item=item.id))
        await until(session, lambda: view.quiz_card.item is not None and session.tour.hand_raised)
        view.app.step(0.05)
        left, right = headset.capture()  # type: ignore[attr-defined]
        save_shot(np.concatenate([left, right], axis=1), "headset-tour.png", tmp_path)
        panels = {"bar": bar.panel, "status": view.status, "narration": view.narration,
                  "quiz": view.quiz_card}
        shown = rectangles(panels, view.panels)
        assert set(shown) == set(panels) and overlapping(shown) == []
        for name, (x0, x1, z0, z1) in shown.items():
            for side in ("left", "right"):
                for corner in ((x0, z0), (x0, z1), (x1, z0), (x1, z1)):
                    at = _eye_pixels(view, side, Point3(corner[0], 0, corner[1]))
                    assert at is not None and 0 <= at[0] <= 640 and 0 <= at[1] <= 640, \
                        (name, side, corner, at)
        # Body text (0.05 panel units a line) is at least 16 px tall in each eye.
        body = view.status.body
        letter = 0.05 * view.status.root.getSz()
        origin = body.getPos(view.panels)
        for side in ("left", "right"):
            top = _eye_pixels(view, side, origin + Point3(0, 0, letter))
            bottom = _eye_pixels(view, side, origin)
            assert top is not None and bottom is not None
            assert bottom[1] - top[1] >= 16, (side, bottom[1] - top[1])
        # The eyes show the panels' text: light pixels in the bar's region of the left eye.
        x0, x1, z0, z1 = shown["bar"]
        a = _eye_pixels(view, "left", Point3(x0, 0, z1))
        b = _eye_pixels(view, "left", Point3(x1, 0, z0))
        assert a is not None and b is not None
        region = left[int(a[1]):int(b[1]), int(a[0]):int(b[0])]
        assert (region.mean(axis=2) > 180).mean() > 0.01
    finally:
        await asyncio.to_thread(session.link.close)
        await guide.close()
