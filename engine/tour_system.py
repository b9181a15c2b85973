"""Takes part in a live tour from an :class:`~engine.view.ExhibitView`: follows the guide's
steering (stops, gather, follow-me, lock, highlight, laser, quizzes), shows the others as
avatars, and sends this participant's head pose 20 times a second. Voices play from the
speakers' avatars (each voice's gain and pan set from where its avatar stands, the guide
at full level everywhere), speaking avatars' heads glow, and the floor (who may speak) is
kept from the server's messages.

A stop in another scene of the exhibit is passed to ``on_scene`` (set by
:class:`~engine.tour_scenes.TourSession`, which loads that scene and calls :meth:`attach`
with its view); without it, such stops are only remembered. A stop this package lacks (an
older or newer build of the exhibit than the tour's) is not followed: the view stays where
it is and :attr:`TourSystem.notice` says why."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from panda3d.core import LineSegs, NodePath, Point3

from engine.avatars import AvatarPose
from engine.quiz import QuizResult
from engine.tour_client import TourClosed
from engine.tour_text import tour_labels
from engine.voice import place
from engine.voice.talk_key import TalkKey
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform

POSE_INTERVAL = 0.05
FOLLOW_DISTANCE = 1.5  # metres behind the guide


class TourSystem:
    """The tour as this participant sees it, kept from the server's messages.

    Args:
        view: the scene shown now (another one is given to :meth:`attach`).
        link: a :class:`~engine.tour_link.TourLink` (or anything with ``poll``, ``send``,
            ``send_pose`` and ``clock_offset``).
        on_scene: called with (scene, stop) when the tour moves to another scene.
    """

    def __init__(self, view: Any, link: Any, welcome: wire.Welcome,
                 on_scene: Callable[[str, str | None], object] | None = None) -> None:
        self.view = view
        self.link = link
        self.on_scene = on_scene
        self.seat = welcome.seat
        self.role = welcome.role
        snapshot = welcome.snapshot
        self.scene: str = snapshot.scene
        self.phase = snapshot.phase
        self.follow = snapshot.follow
        self.locked = snapshot.locked
        self.guides = {p.seat for p in snapshot.participants if p.role in ("guide", "co_guide")}
        self.participants = {p.seat: p for p in snapshot.participants}
        self.hands = list(snapshot.hands)
        self.muted = snapshot.muted
        self.highlight = snapshot.highlight
        self.laser_on = snapshot.laser is not None
        self.stop = snapshot.stop
        self.floor: wire.FloorState = snapshot.floor
        self.speaking: frozenset[int] = frozenset()  # seats heard speaking just now
        audio = getattr(link, "audio", None)
        # said on the tour bar while the machine has no microphone or speakers
        self.audio_missing = audio is not None and audio.reason is not None
        self.talk_key = TalkKey(view.app.base, link) if hasattr(link, "talk") else None
        self.questions: list[tuple[int, str]] = []
        # the latest questions, chat lines and reactions: (seat, kind, text), oldest first
        self.feed: list[tuple[int, str, str]] = []
        self.quiz: wire.QuizState | None = snapshot.quiz
        self.gather: tuple[wire.Vec3, float] | None = None
        self.closed: TourClosed | None = None
        # Said on the tour bar: why the view did not follow the tour (a stop or scene this
        # package lacks), else ``standing_notice`` (a note that stays, e.g. a version).
        self.standing_notice: str | None = None
        self.notice: str | None = None
        # server time -> this engine's clock, for avatar interpolation
        self.offset = welcome.server_time - view.app.clock.now()
        self._since_pose = 0.0
        self.laser = NodePath("laser")
        self.laser.reparentTo(view.app.render)
        self._verdict_shown: str | None = None  # the closed item whose verdict was shown
        self.attach(view)

    @property
    def ended(self) -> bool:
        """The tour is over (ended by the guide or by the server) or this link is closed."""
        return self.phase == "ended" or self.closed is not None

    @property
    def hand_raised(self) -> bool:
        return self.seat in self.hands

    def attach(self, view: Any) -> None:
        """Shows the tour in ``view`` (the first one, or the next scene's): quiz items and
        answers go through the tour, the guide's lock holds, and the tour's stop, highlight
        and open quiz item are shown when they belong to its scene."""
        before = self.view
        self.view = view
        if view is not before and view.scene.script.id != before.scene.script.id:
            self.gather = None  # its point is in the scene before
        view.quiz_by_tour = self.answer
        view.may_move = self.can_walk
        self._draw_laser(None, None)  # a beam pointed in the scene before
        if self.scene != view.scene.script.id:
            return
        if self.quiz is not None:
            self._quiz(self.quiz)
        if self.highlight:
            view.hotspots.highlight(self.highlight)
        if self.stop:
            self._go_to_stop(self.stop)

    def shown(self) -> bool:
        """Whether the view shows the tour's scene (not one left behind)."""
        return bool(self.scene == self.view.scene.script.id)

    def _go_to_stop(self, stop: str) -> None:
        """Goes to ``stop`` of the scene shown, or says the package lacks it."""
        if any(s.id == stop for s in self.view.scene.script.route):
            self.view.go_to_stop(stop)
            self.notice = self.standing_notice
        else:
            self.say("missing_stop", scene=self.view.scene.script.id, stop=stop)

    def say(self, notice: str, **values: str) -> None:
        """Puts ``notice`` (a key of :mod:`engine.tour_text`) on the tour bar."""
        self.notice = tour_labels(self.view.language)[notice].format(**values)

    def update(self, dt: float) -> None:
        for item in self.link.poll():
            if isinstance(item, tuple):
                self._frame(item[1], item[2])
            elif isinstance(item, TourClosed):
                self.closed = item
            else:
                self._message(item)
        if self.gather and time.time() + self.link.clock_offset >= self.gather[1]:
            x, y, z = self.gather[0]
            if self.shown():  # not a point of a scene this package lacks
                self.view.navigation.teleport_to_floor(Point3(x, y, z))
            self.gather = None
        if self.follow and self.role not in ("guide", "co_guide"):
            self._follow_guide(dt)
        self._voices()
        self._since_pose += dt
        if self._since_pose >= POSE_INTERVAL and self.role != "spectator":
            self._since_pose = 0.0
            head = self.view.app.base.camera.getPos(self.view.app.render)
            heading = math.radians(self.view.app.base.camera.getH(self.view.app.render))
            rotation = (0.0, 0.0, math.sin(heading / 2), math.cos(heading / 2))
            self.link.send_pose(Pose(Transform((head.x, head.y, head.z), rotation)))

    def _frame(self, server_time: float, entries: list[Any]) -> None:
        t = server_time - self.offset
        for seat, pose in entries:
            if seat == self.seat:
                continue
            _qx, _qy, qz, qw = pose.head.rotation
            heading = math.degrees(2 * math.atan2(qz, qw))
            left = pose.left.position if pose.left else pose.head.position
            right = pose.right.position if pose.right else pose.head.position
            self.view.avatars.receive(str(seat), AvatarPose(t, pose.head.position, heading,
                                                           left, right))

    def _voices(self) -> None:
        """Who speaks (their avatars glow) and where each voice sits for this listener."""
        self.speaking = getattr(self.link, "speaking", frozenset())
        avatars = self.view.avatars
        avatars.show_speaking(frozenset(str(seat) for seat in self.speaking))
        allow = getattr(self.link, "allow_talking", None)
        if allow is not None:
            allow(self.may_speak())
        placing = getattr(self.link, "place_voices", None)
        if placing is None:
            return
        camera, render = self.view.app.base.camera, self.view.app.render
        placement = {}
        for name in avatars.avatars:
            shown = avatars.shown(name)
            if shown is not None and name.isdigit():
                where = camera.getRelativePoint(render, Point3(*shown.head))
                placement[int(name)] = place(where.x, where.y, where.z)
        placing(placement)

    def may_speak(self, seat: int | None = None) -> bool:
        """Whether ``seat`` (this participant by default) may be heard now."""
        seat = self.seat if seat is None else seat
        if seat in self.floor.muted:
            return False
        if seat in self.guides:
            return True
        person = self.participants.get(seat)
        if person is None or person.role != "member" or self.muted:
            return False
        return self.floor.open or seat in self.floor.holders

    def _follow_guide(self, dt: float) -> None:
        guide = next((self.view.avatars.avatars.get(str(s)) for s in self.guides
                      if str(s) in self.view.avatars.avatars), None)
        if guide is None or not guide.poses:
            return
        target = Point3(*guide.poses[-1].head)
        camera = self.view.app.base.camera
        here = camera.getPos(self.view.app.render)
        gap = target - here
        gap.z = 0
        if gap.length() > FOLLOW_DISTANCE:  # close in smoothly, stop short of the guide
            step = gap * min(1.0, 2.0 * dt) * (1 - FOLLOW_DISTANCE / gap.length())
            camera.setPos(self.view.app.render, here + step)

    def _message(self, message: Any) -> None:
        kind = message.type
        if kind == "stop":
            self.scene, self.stop = message.scene, message.stop
            self.highlight = None  # a move clears the highlight
            if message.scene == self.view.scene.script.id:
                self.view.hotspots.highlight(None)
                self._go_to_stop(message.stop)
            elif self.on_scene is not None:
                self.on_scene(message.scene, message.stop)
        elif kind == "gathering":
            self.gather = (message.at, message.deadline)
        elif kind == "setting":
            setattr(self, message.name, message.on)
            if message.name == "locked":
                self.view.navigation.walk(0, 0)
        elif kind == "highlighted":
            self.highlight = message.hotspot
            if self.shown():
                self.view.hotspots.highlight(message.hotspot)
        elif kind == "laser":
            self.laser_on = message.origin is not None
            self._draw_laser(message.origin if self.shown() else None, message.target)
        elif kind == "quiz":
            self._quiz(message.quiz)
        elif kind == "role":
            if message.role in ("guide", "co_guide"):
                self.guides.add(message.seat)
            else:
                self.guides.discard(message.seat)
            if message.seat == self.seat:
                self.role = message.role
        elif kind == "joined":
            self.participants[message.participant.seat] = message.participant
        elif kind == "returned" and message.seat in self.participants:
            self._presence(message.seat, True)
        elif kind == "left":
            if message.reason == "dropped":  # the seat is held: the member may come back
                self._presence(message.seat, False)
            else:
                self.participants.pop(message.seat, None)
                self.view.avatars.remove(str(message.seat))
        elif kind == "hand":
            self.hands = list(message.queue)
        elif kind == "question":
            self.questions = ([*self.questions, (message.seat, message.text)])[-3:]
            self.feed = ([*self.feed, (message.seat, kind, message.text)])[-4:]
        elif kind in ("chat", "reaction"):
            said = message.text if kind == "chat" else message.reaction
            self.feed = ([*self.feed, (message.seat, kind, said)])[-4:]
        elif kind == "phase":
            self.phase = message.phase
        elif kind == "floor":
            self.floor = message.floor

    def _presence(self, seat: int, present: bool) -> None:
        if seat in self.participants:
            self.participants[seat] = self.participants[seat].model_copy(
                update={"present": present})

    def _draw_laser(self, origin: wire.Vec3 | None, target: wire.Vec3 | None) -> None:
        self.laser.getChildren().detach()
        if origin is None:
            return
        lines = LineSegs("laser-beam")
        lines.setColor(1.0, 0.1, 0.1, 1.0)
        lines.setThickness(3)
        lines.moveTo(*origin)
        lines.drawTo(*(target or origin))
        self.laser.attachNewNode(lines.create())

    def _quiz(self, quiz: wire.QuizState | None) -> None:
        self.quiz = quiz
        if quiz is None or not self.shown():
            return
        try:
            item = self.view.quiz.item(quiz.item)
        except KeyError:  # an item of another scene of the exhibit
            return
        card = self.view.quiz_card
        if quiz.closed and self._verdict_shown == item.id:
            return  # its verdict was shown (and may have made way since)
        if card.item is None or card.item.id != item.id:
            self.view.offer_quiz(item.id)
        if not quiz.closed:
            return
        self._verdict_shown = item.id
        # The guide closed the item: show the right answer, and this member's verdict.
        chosen = card.sent
        if chosen is not None:  # the view keeps the score (status line, completion) and says it
            self.view.answer(item.id, chosen)
            return
        card.show_result(QuizResult(item.id, -1, False, item.answer),
                         item.choices[item.answer].get(self.view.language),
                         item.explain.get(self.view.language))

    def answer(self, choice: int) -> None:
        """Answers the quiz item the guide has put (a quiz button, or keys F1–F4)."""
        if self.quiz is not None and not self.quiz.closed and self.view.quiz_card.sent is None:
            self.link.send(wire.Answer(item=self.quiz.item, choice=choice))
            # the tour records the answer; the verdict comes when the guide closes the item
            self.view.quiz_card.mark_sent(choice)

    def can_walk(self) -> bool:
        return not self.locked or self.role in ("guide", "co_guide")
