"""Simulated input: selection by click, ray and gaze; navigation; quizzes; participation."""

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from panda3d.core import Point2, Point3

from engine.hotspots import GAZE_DWELL_SECONDS
from engine.navigation import SEATED_EYE, STANDING_EYE, WALK_SPEED
from engine.outbox import Outbox
from engine.quiz import QuizSession
from engine.view import ExhibitView


def _film(view: ExhibitView, point: tuple[float, float, float]) -> tuple[float, float]:
    x, y = view.screen_position(point)  # type: ignore[misc]
    width, height = view.app.size
    return x / width * 2 - 1, 1 - y / height * 2


def test_clicking_a_marker_selects_its_hotspot(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", language="en")
    view.go_to_stop("meeting-room")
    view.app.step(1 / 60)
    hotspot = next(h for h in view.scene.script.hotspots if h.id == "furnishings")
    assert view.click(*_film(view, hotspot.at)) == "furnishings"
    assert view.narration.visible and "rattan chairs" in view.narration.text
    assert view.click(-0.99, -0.99) is None  # the floor: nothing selected
    assert view.current == "furnishings"


def test_controller_ray_and_gaze_dwell_select(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("luding-bridge")
    target = next(h for h in view.scene.script.hotspots if h.id == "volunteers")
    pointer = view.app.render.attachNewNode("controller")
    pointer.setPos(target.at[0] - 4, target.at[1], target.at[2])
    pointer.lookAt(Point3(*target.at))
    assert view.hotspots.pick_from(pointer) == "volunteers"
    view.navigation.teleport(Point3(target.at[0] - 5, target.at[1], target.at[2]),
                             Point3(*target.at))
    view.hotspots.gaze_source = view.app.base.camera
    view.app.step(GAZE_DWELL_SECONDS / 2)
    assert view.current is None
    for _ in range(4):
        view.app.step(GAZE_DWELL_SECONDS / 3)
    assert view.current == "volunteers"


def test_walking_turning_and_seated_mode(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    nav = view.navigation
    nav.teleport(Point3(0, -10, 1.6), Point3(0, 0, 1.6))  # facing +y
    nav.walk(1.0, 0.0)
    for _ in range(60):
        view.app.step(1 / 60)
    nav.walk(0.0, 0.0)
    assert nav.rig.getY() == pytest.approx(-10 + WALK_SPEED, abs=0.05)
    assert view.vignette.strength > 0.9
    for _ in range(30):
        view.app.step(1 / 60)
    assert view.vignette.strength == 0.0
    heading = nav.rig.getH()
    nav.snap_turn(1)
    assert nav.rig.getH() == pytest.approx(heading - nav.snap_degrees)
    eye = view.app.base.camera.getZ(view.app.render)
    nav.set_mode("seated")
    assert view.app.base.camera.getZ(view.app.render) == pytest.approx(
        eye - (STANDING_EYE - SEATED_EYE))
    nav.teleport_to_hotspot("meeting-room")
    spot = next(h for h in view.scene.script.hotspots if h.id == "meeting-room").at
    here = view.app.base.camera.getPos(view.app.render)
    assert (Point3(*spot) - here).length() < 3.0


def test_a_quiz_round_scores_and_explains(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("nanhu-red-boat", language="en")
    items = view.scene.script.quiz
    for index, item in enumerate(items):
        choice = item.answer if index < 3 else (item.answer + 1) % len(item.choices)
        result = view.answer(item.id, choice)
        assert result.correct == (index < 3)
        assert item.explain.en in view.narration.text
    assert view.quiz.score == pytest.approx(3 / len(items))
    assert view.progress.quiz_score == view.quiz.score
    again = view.answer(items[0].id, (items[0].answer + 1) % len(items[0].choices))
    assert again.correct  # the first answer stands
    fresh = QuizSession(list(items))
    with pytest.raises(ValueError, match="choice 9 does not exist"):
        fresh.answer(items[0].id, 9)


def test_participation_arrives_in_order_exactly_once(open_view: Callable[..., ExhibitView],
                                                     tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox")
    view = open_view("first-congress-site", sink=outbox)
    view.go_to_stop("street")
    view.select("shikumen")
    view.app.step(2.0)
    view.select("li-shucheng")  # closes shikumen: its dwell is recorded
    view.go_to_stop("street")  # a stop counts once
    for item in view.scene.script.quiz:
        view.answer(item.id, item.answer)
    view.leave()
    facts = outbox.pending()
    kinds = [f.kind for f in facts]
    # li-shucheng stays open through the quiz; leaving closes it, then the scene.
    assert kinds == ["scene_entered", "stop_reached", "hotspot_viewed",
                     *["quiz_answered"] * len(view.scene.script.quiz), "scene_completed",
                     "hotspot_viewed", "scene_left"]
    assert facts[2].hotspot == "shikumen" and facts[2].dwell_seconds == pytest.approx(2.0, 0.05)
    assert len({f.id for f in facts}) == len(facts)
    outbox.emit(facts[3])  # a retry after a crash writes the same fact again
    assert [f.id for f in outbox.pending()] == [f.id for f in facts]
    outbox.mark_delivered(facts[:5])
    assert [f.id for f in outbox.pending()] == [f.id for f in facts[5:]]
    with (tmp_path / "outbox/outbox.jsonl").open("a") as handle:
        handle.write('{"kind": "scene_le')  # a line cut short by a crash
    assert [f.id for f in Outbox(tmp_path / "outbox").pending()] == [f.id for f in facts[5:]]


def test_remote_avatars_move_smoothly_between_pose_updates(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.avatars import INTERPOLATION_DELAY, AvatarPose

    view = open_view("zunyi-conference")
    now = view.app.clock.now()
    for tick in range(5):  # 20 Hz updates walking along +x at 1 m/s
        t = now + tick * 0.05
        view.avatars.receive("member-7", AvatarPose(t, (tick * 0.05, -10, 1.6), 0.0,
                                                    (-0.2, -9.7, 1.1), (0.2, -9.7, 1.1)))
    view.app.step(0.125 + INTERPOLATION_DELAY)  # halfway between the 3rd and 4th sample
    shown = view.avatars.shown("member-7")
    assert shown is not None and shown.head[0] == pytest.approx(0.125, abs=1e-3)
    view.avatars.remove("member-7")
    assert "member-7" not in view.avatars.avatars


def test_teleport_arc_lands_on_the_floor_not_on_walls(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.teleport import TeleportArc

    view = open_view("zunyi-conference")
    arc = TeleportArc(view.nodes.root)
    hand = view.app.render.attachNewNode("right-hand")
    hand.setPos(-6, -20, 1.1)  # in the courtyard, aiming north and a little up
    hand.setHpr(0, 20, 0)
    landing = arc.target(hand)
    assert landing is not None and abs(landing.z) < 0.05 and landing.y > -18
    view.navigation.teleport_to_floor(landing)
    eye = view.app.base.camera.getPos(view.app.render)
    assert eye.z == pytest.approx(landing.z + STANDING_EYE)
    hand.setPos(-6, -8, 1.5)  # facing the front wall of the residence, aiming level
    hand.setHpr(0, 0, 0)
    assert arc.target(hand) is None  # the arc meets the wall: no teleport


def test_a_headset_member_answers_quiz_items_with_the_controller(
        open_view: Callable[..., ExhibitView], tmp_path: Path) -> None:
    from engine.quiz_card import HOVER

    outbox = Outbox(tmp_path / "outbox")
    view = open_view("zunyi-conference", size=(320, 320), xr="simulated", sink=outbox)
    assert view.xr is not None and view.pointer is not None
    app, hand = view.app, view.xr.controllers["right"]
    view.go_to_stop("meeting-room")
    bound = [item for item in view.scene.script.quiz if item.hotspot]
    first = bound[0]
    view.select(first.hotspot)  # type: ignore[arg-type]
    assert view.quiz_card.visible and view.quiz_card.item == first
    wrong = (first.answer + 1) % len(first.choices)
    hand.lookAt(app.render, view.quiz_card.button_centre(wrong, app.render))
    app.step(1 / 60)
    assert view.pointer.aim == ("choice", wrong)
    # The aimed-at button lights up where the left eye's projection puts it.
    left, _ = view.xr.capture()
    eye = view.xr.eyes["left"]
    film = Point2()
    centre = view.quiz_card.button_centre(wrong, eye)
    assert eye.node().getLens().project(centre, film)  # type: ignore[attr-defined]
    x, y = int((film.x + 1) / 2 * 320), int((1 - film.y) / 2 * 320)
    assert np.abs(left[y, x] / 255 - np.array(HOVER[:3])).max() < 0.08
    view.xr.press_trigger("left")  # the other hand does not point
    assert first.id not in view.quiz.answers
    view.xr.press_trigger("right")
    result = view.quiz.answers[first.id]
    assert (result.response, result.correct) == (wrong, False)
    assert first.explain.get("zh-CN") in view.quiz_card.note.node().getText()  # type: ignore
    view.xr.press_trigger("right")  # the card is answered: pressing again changes nothing
    assert view.quiz.answers[first.id] == result
    # The next item, answered right; the pointer also opens hotspots.
    second = bound[1]
    view.select(second.hotspot)  # type: ignore[arg-type]
    hand.lookAt(app.render, view.quiz_card.button_centre(second.answer, app.render))
    app.step(1 / 60)
    view.xr.press_trigger("right")
    assert view.quiz.answers[second.id].correct
    view.close_panel()
    target = next(h for h in view.scene.script.hotspots if h.id != second.hotspot)
    hand.lookAt(app.render, Point3(*target.at))
    app.step(1 / 60)
    view.xr.press_trigger("right")
    assert view.current == target.id
    answered = [f for f in outbox.pending() if f.kind == "quiz_answered"]
    assert [(f.item, f.response, f.correct) for f in answered] == [  # type: ignore[attr-defined]
        (first.id, wrong, False), (second.id, second.answer, True)]


def test_a_desktop_member_sees_the_question_and_clicks_an_answer(
        open_view: Callable[..., ExhibitView]) -> None:
    from engine.desktop import DesktopControls

    view = open_view("luding-bridge", language="en")
    item = next(i for i in view.scene.script.quiz if i.hotspot)
    view.select(item.hotspot)  # type: ignore[arg-type]
    card = view.quiz_card
    assert card.visible and card.prompt.node().getText() == item.prompt.en  # type: ignore
    labels = [b.label.node().getText() for b in card.buttons]  # type: ignore[attr-defined]
    assert labels == [f"F{i + 1}  {c.en}" for i, c in enumerate(item.choices)]
    centre = card.button_centre(item.answer, view.app.base.render2d)
    assert view.click(centre.x, centre.z) == f"choice:{item.answer}"
    assert view.quiz.answers[item.id].correct
    # F-keys: the first press puts the next question up, the next one answers it.
    controls = DesktopControls(view)
    controls._answer(0)
    following = card.item
    assert following is not None and following.id != item.id and card.result is None
    controls._answer(1)
    assert view.quiz.answers[following.id].response == 1


def test_a_headset_member_teleports_and_snap_turns_with_the_thumbstick(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference", size=(160, 160), xr="simulated")
    assert view.xr is not None and view.locomotion is not None
    nav, hand, xr = view.navigation, view.xr.controllers["left"], view.xr
    nav.teleport(Point3(-6, -20, 1.6), Point3(-6, 0, 1.6))  # in the courtyard, facing north
    hand.setHpr(0, 15, 0)  # aimed a little up, ahead

    def teleport_with_stick() -> None:
        xr.push_stick("left", 0.0, 1.0)
        view.app.step(1 / 60)
        xr.push_stick("left", 0.0, 0.0)
        view.app.step(1 / 60)

    start = nav.rig.getPos(view.app.render)
    xr.push_stick("left", 0.0, 1.0)
    view.app.step(1 / 60)
    assert view.locomotion.aiming and view.locomotion.drawn.getNumChildren() == 1
    xr.push_stick("left", 0.0, 0.0)
    view.app.step(1 / 60)
    moved = nav.rig.getPos(view.app.render)
    assert moved.y - start.y > 2.0 and abs(moved.z) < 0.05  # ahead, on the floor
    assert view.locomotion.drawn.getNumChildren() == 0
    # Movement locked (as by a tour's guide): the stick no longer moves the member.
    view.may_move = lambda: False
    teleport_with_stick()
    assert nav.rig.getPos(view.app.render) == moved
    # A flick right turns once by the snap angle, however long it is held.
    heading = nav.rig.getH()
    xr.push_stick("left", 1.0, 0.0)
    for _ in range(5):
        view.app.step(1 / 60)
    xr.push_stick("left", 0.0, 0.0)
    view.app.step(1 / 60)
    assert nav.rig.getH() == pytest.approx(heading - nav.snap_degrees)
