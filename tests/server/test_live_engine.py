"""The engine in a live tour: an offscreen view joined through the tour link follows the
guide's stops and gathering, shows the guide as an avatar, and answers a quiz item."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from panda3d.core import Point3

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
        system.answer(item.answer)
        while True:
            update = await guide.expect("quiz")
            if update.quiz.answered == 1:
                break
        assert update.quiz.counts[item.answer] == 1
        # a member's view sends its head pose: the guide sees it
        await _until(view, lambda: not guide.frames.empty())
        _, entries = await guide.frames.get()
        assert welcome.seat in dict(entries)
    finally:
        await asyncio.to_thread(link.close)
        await guide.close()
