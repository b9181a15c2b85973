"""A member's engine in a tour it cannot wholly follow: a stop or scene its package lacks
(the tour shows another build of the exhibit), another exhibit's package, a gather from
the scene before, a movement key held while a line is typed. Steered by a scripted link
that says what the tour's server would."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import pytest
from panda3d.core import Point3

from engine.desktop import DesktopControls
from engine.errors import EngineError
from engine.member_controls import MemberControls
from engine.tour_bar import TourBar
from engine.tour_scenes import TourSession
from engine.view import ExhibitView
from protocol import tour as wire


class ScriptedLink:
    """A joined tour link whose server messages are put in by the test."""

    clock_offset = 0.0

    def __init__(self) -> None:
        self.inbox: list[Any] = []
        self.sent: list[Any] = []
        self.closed = False

    def poll(self) -> list[Any]:
        items, self.inbox = self.inbox, []
        return items

    def send(self, message: Any) -> None:
        self.sent.append(message)

    def send_pose(self, pose: Any) -> None:
        pass

    def close(self) -> None:
        self.closed = True


def welcome(scene: str = "first-congress-site", stop: str | None = None,
            exhibit: str | None = "founding", version: str | None = "1.0.0") -> wire.Welcome:
    people = [wire.Participant(seat=1, user=10, name="冼星海", role="guide"),
              wire.Participant(seat=2, user=11, name="聂耳", role="member")]
    snapshot = wire.TourSnapshot(
        tour=7, phase="live", scene=scene, stop=stop, follow=False, locked=False, muted=False,
        highlight=None, quiz=None, participants=people, hands=[], capacity=10,
        exhibit=exhibit, exhibit_version=version)
    return wire.Welcome(version=wire.TOUR_PROTOCOL, seat=2, role="member", resume="r",
                        hold_seconds=60, server_time=time.time(), snapshot=snapshot)


def frames(session: TourSession, count: int = 3) -> None:
    for _ in range(count):
        session.app.step(0.05)


def eye(view: ExhibitView) -> Point3:
    return view.app.base.camera.getPos(view.app.render)


def test_a_move_to_a_scene_or_stop_the_package_lacks_is_not_followed(
        open_view: Callable[..., ExhibitView]) -> None:
    first = open_view("first-congress-site", size=(480, 270))
    link = ScriptedLink()
    session = TourSession(first, link, welcome(stop="street"))
    bar = TourBar(session)
    frames(session)
    assert first.navigation.stop_id == "street" and session.tour.notice is None
    here = eye(first)

    # The guide goes to a scene this package lacks: the engine keeps running, in place.
    link.inbox.append(wire.StopChanged(scene="shanghai-harbour", stop="quay"))
    frames(session)
    assert session.view is first and not first.nodes.root.isEmpty()
    assert any(s is first for s in first.app.systems)
    assert (eye(first) - here).length() < 1e-3
    assert "shanghai-harbour" in bar.text and "没有这个场景" in bar.text
    assert session.tour.scene == "shanghai-harbour"  # the tour is there, the view is not

    # A stop this package lacks, in the scene shown and in another scene of the exhibit.
    for scene in ("first-congress-site", "nanhu-red-boat"):
        link.inbox.append(wire.StopChanged(scene=scene, stop="attic"))
        frames(session)
        assert session.view is first and first.navigation.stop_id == "street"
        assert (eye(first) - here).length() < 1e-3
        assert "attic" in bar.text and "没有这个站点" in bar.text

    # A stop the package has: followed again, and the notice goes.
    link.inbox.append(wire.StopChanged(scene="nanhu-red-boat", stop="bow"))
    frames(session)
    assert session.view.scene.script.id == "nanhu-red-boat"
    assert session.view.navigation.stop_id == "bow"
    assert session.tour.notice is None and "没有" not in bar.text


def test_a_late_join_in_a_scene_the_package_lacks_opens_what_it_has(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    link = ScriptedLink()
    session = TourSession.open(view.app, view.exhibit, link,
                               welcome(scene="shanghai-harbour", stop="quay"))
    bar = TourBar(session)
    frames(session)
    assert session.view.scene.script.id == view.exhibit.package.manifest.scenes[0].id
    assert "shanghai-harbour" in bar.text and not link.closed


def test_another_exhibit_s_package_is_refused_before_anything_is_shown(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("zunyi-conference")  # the long-march package, with its app
    link = ScriptedLink()
    with pytest.raises(EngineError, match=r"founding.*long-march"):
        TourSession.open(view.app, view.exhibit, link, welcome(scene="zunyi-conference"))
    assert link.closed
    with pytest.raises(EngineError, match="open the package of `founding`"):
        TourSession(view, ScriptedLink(), welcome(scene="zunyi-conference"))
    assert not any(isinstance(s, TourSession) or type(s).__name__ == "TourSystem"
                   for s in view.app.systems)
    # A server that names no exhibit (an older one) is taken at its word.
    TourSession(view, ScriptedLink(), welcome(scene="zunyi-conference", exhibit=None,
                                              version=None))


def test_another_version_of_the_exhibit_is_joined_with_a_warning(
        open_view: Callable[..., ExhibitView], caplog: pytest.LogCaptureFixture) -> None:
    view = open_view("first-congress-site")
    with caplog.at_level(logging.WARNING, logger="engine.tour_scenes"):
        session = TourSession(view, ScriptedLink(), welcome(version="1.1.0"))
    assert "1.1.0" in caplog.text and "1.0.0" in caplog.text
    bar = TourBar(session)
    frames(session)
    assert "1.1.0" in bar.text


def test_a_gather_from_the_scene_before_does_not_move_the_member_in_the_next(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    link = ScriptedLink()
    session = TourSession(view, link, welcome(stop="street"))
    link.inbox.append(wire.Gathering(at=(40.0, 40.0, 0.0), deadline=time.time() + 0.3))
    frames(session, 1)
    assert session.tour.gather is not None
    link.inbox.append(wire.StopChanged(scene="nanhu-red-boat", stop="bow"))
    frames(session, 1)
    boat = session.view
    assert boat.scene.script.id == "nanhu-red-boat" and session.tour.gather is None
    at_bow = eye(boat)
    time.sleep(0.35)  # past the gather's deadline
    frames(session)
    assert (eye(boat) - at_bow).length() < 1e-3


def test_a_movement_key_held_when_typing_starts_is_let_go(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("first-congress-site")
    session = TourSession(view, ScriptedLink(), welcome(stop="street"))
    bar = TourBar(session)
    member = MemberControls(session, bar)
    keys = DesktopControls(view, session.tour)
    messenger = view.app.base.messenger
    messenger.send("w")
    frames(session, 1)
    assert keys.keys["w"] and view.navigation.moving
    messenger.send("mouse3")  # (no frame with it: an offscreen window has no mouse)
    assert keys.looking
    member.start_typing()  # W still held: its release would come as `typing-w-up`
    assert member.entry is not None
    assert not any(keys.keys.values()) and not keys.looking
    here = eye(view)
    frames(session)
    assert not view.navigation.moving and (eye(view) - here).length() < 1e-3
    member.stop_typing()
