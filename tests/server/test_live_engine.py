"""The engine in a live tour: an offscreen view joined through the tour link follows the
guide's stops and gathering, shows the guide as an avatar, and answers a quiz item."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from panda3d.core import Point3

from engine.guide_controls import GuideControls
from engine.tour_link import TourLink
from engine.tour_system import TourSystem
from engine.view import ExhibitView
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from tests.engine.conftest import engine_cache, open_view  # noqa: F401 (fixtures)
from tests.server.conftest import World
from tests.server.live_support import live_url, participant, publish, schedule
from tools.build import BuildResult


async def _until(view: ExhibitView, check: Callable[[], bool], seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.05)):
        view.app.step(0.05)
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the engine did not get there in time")


async def test_an_engine_view_takes_part_in_a_tour(world: World, samples: dict[str, BuildResult],
                                                   open_view: Callable[..., ExhibitView]) -> None:  # noqa: F811
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    view = open_view("first-congress-site")
    link = TourLink(live_url(world.client, tour), world.tokens["member"])
    welcome = await asyncio.to_thread(link.connect)
    system = view.app.add(TourSystem(view, link, welcome))
    try:
        script = view.scene.script
        stop = script.route[1]
        await guide.send(wire.Start())
        await guide.send(wire.GoToStop(scene=script.id, stop=stop.id))
        camera = view.app.base.camera
        target = Point3(*stop.camera.pos)
        await _until(view, lambda: (camera.getPos(view.app.render) - target).length() < 0.3)
        await guide.send_pose(Pose(Transform((1.0, 2.0, 1.6))))
        await _until(view, lambda: str(guide.seat) in view.avatars.avatars)
        await guide.send(wire.Gather(countdown=0, at=(0.5, -1.0, 0.0)))
        await _until(view, lambda: abs(camera.getX(view.app.render) - 0.5) < 0.05
                     and abs(camera.getY(view.app.render) + 1.0) < 0.05)
        item = script.quiz[0]
        await guide.send(wire.StartQuiz(item=item.id))
        await _until(view, lambda: system.quiz is not None)
        card = view.quiz_card
        assert card.visible and card.item is not None and card.item.id == item.id
        assert view.offer_quiz() is None  # in a tour only the guide puts questions
        centre = card.button_centre(item.answer, view.app.base.render2d)
        assert view.click(centre.x, centre.z) == f"choice:{item.answer}"  # a click answers
        assert card.sent == item.answer and item.id not in view.quiz.answers
        while True:
            update = await guide.expect("quiz")
            if update.quiz.answered == 1:
                break
        assert update.quiz.counts[item.answer] == 1
        system.answer((item.answer + 1) % len(item.choices))  # a second answer is not sent
        await guide.send(wire.CloseQuiz())
        while not (update := await guide.expect("quiz")).quiz.closed:
            pass
        assert update.quiz.answered == 1
        await _until(view, lambda: card.result is not None)
        assert card.result.correct and card.result.response == item.answer  # type: ignore
        # a member's view sends its head pose: the guide sees it
        await _until(view, lambda: not guide.frames.empty())
        _, entries = await guide.frames.get()
        assert welcome.seat in dict(entries)
    finally:
        await asyncio.to_thread(link.close)
        await guide.close()


async def _engine_in_tour(world: World, samples: dict[str, BuildResult],
                          open_view: Callable[..., ExhibitView], who: str  # noqa: F811 (fixture)
                          ) -> tuple[int, ExhibitView, TourLink, TourSystem]:
    """A new tour of the founding exhibit, and an engine view in it as ``who``."""
    version = await publish(world.client, samples["founding"], world.users["editor"])
    tour = await schedule(world.client, version, world.users["guide"], [world.branch_a])
    view = open_view("first-congress-site")
    link = TourLink(live_url(world.client, tour), world.tokens[who])
    system = view.app.add(TourSystem(view, link, await asyncio.to_thread(link.connect)))
    return tour, view, link, system


async def test_the_guide_steers_from_the_engine(world: World,
                                                samples: dict[str, BuildResult],
                                                open_view: Callable[..., ExhibitView]) -> None:  # noqa: F811
    tour, view, link, system = await _engine_in_tour(world, samples, open_view, "guide")
    controls = GuideControls(view, system)
    member = participant(world.client, tour, world.tokens["member"])
    await member.connect()
    try:
        script = view.scene.script
        assert controls.steering
        controls.command("begin")
        await member.expect("phase", phase="live")
        controls.command("next_stop")
        assert (await member.expect("stop")).stop == script.route[0].id
        await _until(view, lambda: system.stop == script.route[0].id)
        controls.command("next_stop")
        assert (await member.expect("stop")).stop == script.route[1].id
        controls.command("toggle_follow")
        assert (await member.expect("setting")).name == "follow"
        controls.command("gather")
        gathering = await member.expect("gathering")
        here = view.app.base.camera.getPos(view.app.render)
        assert abs(gathering.at[0] - here.x) < 0.01 and abs(gathering.at[1] - here.y) < 0.01
        view.select(script.hotspots[0].id)
        controls.command("highlight")
        assert (await member.expect("highlighted")).hotspot == script.hotspots[0].id
        controls.command("laser")
        assert (await member.expect("laser")).target is not None
        # a quiz: the member answers, the guide's panel shows the live count, then closes
        await member.send(wire.RaiseHand(raised=True))
        controls.command("next_quiz")
        quiz = (await member.expect("quiz")).quiz
        assert quiz.item == script.quiz[0].id
        await member.send(wire.Answer(item=quiz.item, choice=script.quiz[0].answer))
        await _until(view, lambda: system.quiz is not None and system.quiz.answered == 1)
        view.app.step(0.05)
        shown = controls.panel.text
        assert "1/1" in shown and "举手" in shown and controls.panel.visible
        controls.command("close_quiz")
        while not (await member.expect("quiz")).quiz.closed:
            pass
        controls.command("end")
        await member.expect("phase", phase="ended")
    finally:
        await asyncio.to_thread(link.close)
        await member.close()


async def test_a_member_cannot_steer_from_the_engine(
        world: World, samples: dict[str, BuildResult],
        open_view: Callable[..., ExhibitView]) -> None:  # noqa: F811
    _, view, link, system = await _engine_in_tour(world, samples, open_view, "member")
    controls = GuideControls(view, system)
    try:
        controls.command("begin")  # ignored: nothing is sent for a member
        view.app.step(0.05)
        assert not controls.steering and not controls.panel.visible
        assert system.phase == "lobby"
    finally:
        await asyncio.to_thread(link.close)
