"""A guided tour moves everyone across the exhibit's scenes, over a real server's websocket:
a member's engine loads the next scene when the guide moves there, keeps its seat and the
avatars, shows the new scene's quiz item, and the guide's engine steps through every stop
of every scene."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from panda3d.core import Point3

from engine.fonts import missing_glyphs
from engine.guide_controls import GuideControls
from engine.member_controls import MemberControls
from engine.outbox import Outbox
from engine.quiz_card import RESULT_SECONDS
from engine.tour_bar import TourBar
from engine.tour_scenes import exhibit_route
from engine.view import ExhibitView
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from tests.engine.tour_support import (
    NAMES,
    join,
    overlapping,
    rectangles,
    save_shot,
    tour_of,
    until,
)
from tests.server.conftest import World, world  # noqa: F401 (fixture)
from tests.server.live_support import participant
from tools.build import BuildResult


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """These tests are about the engine: one database (SQLite) is enough."""
    yield f"sqlite+aiosqlite:///{tmp_path}/redhall.db"


async def test_a_member_is_taken_to_the_next_scene_with_the_tour(
        world: World, samples: dict[str, BuildResult],  # noqa: F811
        open_view: Callable[..., ExhibitView], tmp_path: Path) -> None:
    tour = await tour_of(world, samples)
    outbox = Outbox(tmp_path / "outbox")
    first = open_view("first-congress-site", size=(960, 540), sink=outbox)
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    session = await join(world, tour, "member", first)
    bar = TourBar(session)
    member = MemberControls(session, bar)
    try:
        route = exhibit_route(first.exhibit)
        assert next(s.scene for s in route) == "first-congress-site"
        assert route[-1].scene == "nanhu-red-boat" and len(route) > 4
        await guide.send(wire.Start())
        await guide.send(wire.GoToStop(scene=route[0].scene, stop=route[0].stop))
        await until(session, lambda: session.tour.stop == route[0].stop)
        await guide.send_pose(Pose(Transform((1.0, 2.0, 1.6))))
        await until(session, lambda: str(guide.seat) in first.avatars.avatars)
        # The member's own tour keys reach the guide.
        member.toggle_hand()
        assert (await guide.expect("hand")).raised
        member.start_typing()
        assert member.entry is not None and bar.typing is not None
        member.submit("南湖的船现在还在吗？")
        assert (await guide.expect("question")).text == "南湖的船现在还在吗？"
        member.start_typing()
        member.switch_mode()
        member.submit("大家好")
        assert (await guide.expect("chat")).text == "大家好"
        member.react("applause")
        assert (await guide.expect("reaction")).reaction == "applause"
        await until(session, lambda: session.tour.hand_raised and len(session.tour.feed) >= 3)

        # The guide moves to a stop of the second scene: the member's engine goes there.
        bow = next(s for s in route if s.scene == "nanhu-red-boat" and s.stop == "bow")
        avatars = first.avatars
        await guide.send(wire.GoToStop(scene=bow.scene, stop=bow.stop))
        await until(session, lambda: session.view.scene.script.id == "nanhu-red-boat")
        view = session.view
        assert view is not first and view.app is first.app
        assert first.nodes.root.isEmpty() and first.status.root.isEmpty()
        render = view.app.render
        assert render.find("first-congress-site").isEmpty()
        assert not render.find("nanhu-red-boat").isEmpty()
        assert not any(s is first for s in view.app.systems)
        assert set(view.hotspots.markers) == {h.id for h in view.scene.script.hotspots}
        stop = next(s for s in view.scene.script.route if s.id == "bow")
        camera = view.app.base.camera
        assert (camera.getPos(render) - Point3(*stop.camera.pos)).length() < 0.3
        assert view.avatars is avatars and str(guide.seat) in view.avatars.avatars
        await guide.send_pose(Pose(Transform((2.0, -3.0, 1.6))))
        await until(session, lambda: view.avatars.shown(str(guide.seat)) is not None
                    and abs(view.avatars.shown(str(guide.seat)).head[0] - 2.0) < 0.05)  # type: ignore[union-attr]
        facts = [(f.kind, f.scene) for f in outbox.pending()
                 if f.kind in ("scene_entered", "scene_left")]
        assert facts == [("scene_entered", "first-congress-site"),
                         ("scene_left", "first-congress-site"),
                         ("scene_entered", "nanhu-red-boat")]
        # The same seat on the same connection: the guide saw no one leave or join.
        seat = session.tour.seat
        assert [m.type for m in guide.seen if m.type in ("left", "joined")
                and (m.seat if m.type == "left" else m.participant.seat) == seat] == ["joined"]

        # A quiz item of the second scene comes up on the member's card.
        item = view.scene.script.quiz[0]
        await guide.send(wire.StartQuiz(item=item.id))
        await until(session, lambda: view.quiz_card.item is not None)
        assert view.quiz_card.item.id == item.id  # type: ignore[union-attr]
        view.app.step(0.05)
        shot = save_shot(view.app.capture(), "member-after-scene-change.png", tmp_path)
        assert shot.exists()
        shown = rectangles({"bar": bar.panel, "status": view.status,
                            "narration": view.narration, "quiz": view.quiz_card},
                           view.app.base.aspect2d)
        assert set(shown) == {"bar", "status", "narration", "quiz"}
        assert overlapping(shown) == []
        assert min(p.root.getSx() for p in (bar.panel, view.narration, view.quiz_card)) > 0.6
        text = bar.text
        assert NAMES["guide"] in text and "南湖" in text
        assert f"{bow.number}/{len(route)}" in text
        assert missing_glyphs(view.ui_font, text) == []
        centre = view.quiz_card.button_centre(item.answer, view.app.base.render2d)
        assert view.click(centre.x, centre.z) == f"choice:{item.answer}"
        await guide.expect("quiz")
        # The guide closes the item: the verdict shows, then makes way.
        await guide.send(wire.CloseQuiz())
        await until(session, lambda: view.quiz_card.result is not None)
        assert view.quiz_card.result.correct  # type: ignore[union-attr]
        for _ in range(int(RESULT_SECONDS / 0.5) + 2):
            view.app.step(0.5)
        assert not view.quiz_card.visible
        # The end of the tour is said plainly, with what to do next.
        await guide.send(wire.EndTour())
        await until(session, lambda: session.tour.ended)
        view.app.step(0.05)
        assert "导览已结束" in bar.text and "学时" in bar.text
        member.toggle_hand()
        assert len(member.sent) == 4  # nothing more is sent once the tour has ended
    finally:
        await asyncio.to_thread(session.link.close)
        await guide.close()


async def test_a_late_joiner_starts_in_the_tour_s_scene(
        world: World, samples: dict[str, BuildResult],  # noqa: F811
        open_view: Callable[..., ExhibitView]) -> None:
    tour = await tour_of(world, samples)
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    try:
        await guide.send(wire.Start())
        await guide.send(wire.GoToStop(scene="nanhu-red-boat", stop="middle-cabin"))
        await guide.expect("stop")
        await guide.send(wire.StartQuiz(item="who-watched"))
        await guide.expect("quiz")
        session = await join(world, tour, "member", open_view("first-congress-site"))
        try:
            view = session.view
            snapshot = session.welcome.snapshot  # the server names the tour's exhibit
            assert (snapshot.exhibit, snapshot.exhibit_version) == ("founding", "1.0.0")
            assert view.scene.script.id == "nanhu-red-boat"
            assert view.navigation.stop_id == "middle-cabin"
            assert view.quiz_card.item is not None and view.quiz_card.item.id == "who-watched"
        finally:
            await asyncio.to_thread(session.link.close)
    finally:
        await guide.close()


async def test_the_guide_steps_through_every_scene_s_stops(
        world: World, samples: dict[str, BuildResult],  # noqa: F811
        open_view: Callable[..., ExhibitView], tmp_path: Path) -> None:
    tour = await tour_of(world, samples)
    member = participant(world.client, tour, world.tokens["member"])
    session = await join(world, tour, "guide", open_view("first-congress-site",
                                                         size=(960, 540)))
    await member.connect()
    controls = GuideControls(session.view, session.tour)
    bar = TourBar(session)
    try:
        route = exhibit_route(session.exhibit)
        controls.command("begin")
        await member.expect("phase", phase="live")
        for stop in route:  # N through the first scene and on into the second
            controls.command("next_stop")
            moved = await member.expect("stop")
            assert (moved.scene, moved.stop) == (stop.scene, stop.stop)
            await until(session, lambda: session.tour.stop == stop.stop)  # noqa: B023
            assert session.view.scene.script.id == stop.scene
        controls.command("next_stop")  # at the last stop: nothing more
        controls.command("previous_stop")
        back = await member.expect("stop")
        assert (back.scene, back.stop) == (route[-2].scene, route[-2].stop)
        # P back across the boundary goes to the first scene again.
        boundary = next(i for i, s in enumerate(route) if s.scene == "nanhu-red-boat")
        while session.tour.stop != route[boundary].stop:
            controls.command("previous_stop")
            await member.expect("stop")
            await until(session, lambda: True, 0.1)
        controls.command("previous_stop")
        assert (await member.expect("stop")).scene == "first-congress-site"
        await until(session, lambda: session.view.scene.script.id == "first-congress-site")
        controls.command("next_stop")
        await until(session, lambda: session.view.scene.script.id == "nanhu-red-boat")
        # K puts the second scene's first item; the member's answer shows on the panel.
        view = session.view
        controls.command("next_quiz")
        quiz = (await member.expect("quiz")).quiz
        assert quiz.item == view.scene.script.quiz[0].id
        await member.send(wire.RaiseHand(raised=True))
        await member.send(wire.Ask(text="船上开会的有几个人？"))
        await member.send(wire.Answer(item=quiz.item, choice=0))
        await until(session, lambda: session.tour.quiz is not None
                    and session.tour.quiz.answered == 1 and bool(session.tour.questions))
        view.app.step(0.05)
        assert controls.panel.visible and view.quiz_card.visible
        assert NAMES["member"] in controls.panel.text
        assert missing_glyphs(view.ui_font, controls.panel.text) == []
        shown = rectangles({"bar": bar.panel, "status": view.status,
                            "narration": view.narration, "quiz": view.quiz_card,
                            "guide": controls.panel}, view.app.base.aspect2d)
        assert set(shown) == {"bar", "status", "narration", "quiz", "guide"}
        assert overlapping(shown) == []
        save_shot(view.app.capture(), "guide-quiz-and-panel.png", tmp_path)
        controls.command("close_quiz")
        await until(session, lambda: view.quiz_card.result is not None)
        view.app.step(0.05)
        shown = rectangles({"quiz": view.quiz_card, "guide": controls.panel},
                           view.app.base.aspect2d)
        assert overlapping(shown) == []  # the results stay readable beside the verdict
    finally:
        await asyncio.to_thread(session.link.close)
        await member.close()
