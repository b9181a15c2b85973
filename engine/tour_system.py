"""Takes part in a live tour from an :class:`~engine.view.ExhibitView`: follows the guide's
steering (stops, gather, follow-me, lock, highlight, laser, quizzes), shows the others as
avatars, and sends this participant's head pose 20 times a second."""

from __future__ import annotations

import math
import time
from typing import Any

from panda3d.core import LineSegs, NodePath, Point3

from engine.avatars import AvatarPose
from engine.quiz import QuizResult
from engine.tour_client import TourClosed
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform

POSE_INTERVAL = 0.05
FOLLOW_DISTANCE = 1.5  # metres behind the guide


class TourSystem:
    def __init__(self, view: Any, link: Any, welcome: wire.Welcome) -> None:
        self.view = view
        self.link = link
        self.seat = welcome.seat
        self.role = welcome.role
        snapshot = welcome.snapshot
        self.phase = snapshot.phase
        self.follow = snapshot.follow
        self.locked = snapshot.locked
        self.guides = {p.seat for p in snapshot.participants if p.role in ("guide", "co_guide")}
        self.participants = {p.seat: p for p in snapshot.participants}
        self.hands = list(snapshot.hands)
        self.muted = snapshot.muted
        self.highlight = snapshot.highlight
        self.laser_on = snapshot.laser is not None
        self.stop = snapshot.stop if snapshot.scene == view.scene.script.id else None
        self.questions: list[tuple[int, str]] = []
        self.quiz: wire.QuizState | None = snapshot.quiz
        self.gather: tuple[wire.Vec3, float] | None = None
        self.closed: TourClosed | None = None
        # server time -> this engine's clock, for avatar interpolation
        self.offset = welcome.server_time - view.app.clock.now()
        self._since_pose = 0.0
        self.laser = NodePath("laser")
        self.laser.reparentTo(view.app.render)
        # In a tour the guide puts the quiz items, and answers go to the tour.
        view.quiz_by_tour = self.answer
        view.may_move = self.can_walk
        if snapshot.quiz is not None:
            self._quiz(snapshot.quiz)
        if snapshot.highlight:
            view.hotspots.highlight(snapshot.highlight)
        if snapshot.stop and snapshot.scene == view.scene.script.id:
            view.go_to_stop(snapshot.stop)

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
            self.view.navigation.teleport_to_floor(Point3(x, y, z))
            self.gather = None
        if self.follow and self.role not in ("guide", "co_guide"):
            self._follow_guide(dt)
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
            qx, qy, qz, qw = pose.head.rotation
            heading = math.degrees(2 * math.atan2(qz, qw))
            left = pose.left.position if pose.left else pose.head.position
            right = pose.right.position if pose.right else pose.head.position
            self.view.avatars.receive(str(seat), AvatarPose(t, pose.head.position, heading,
                                                           left, right))

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
        if kind == "stop" and message.scene == self.view.scene.script.id:
            self.stop = message.stop
            self.view.go_to_stop(message.stop)
        elif kind == "gathering":
            self.gather = (message.at, message.deadline)
        elif kind == "setting":
            setattr(self, message.name, message.on)
            if message.name == "locked":
                self.view.navigation.walk(0, 0)
        elif kind == "highlighted":
            self.highlight = message.hotspot
            self.view.hotspots.highlight(message.hotspot)
        elif kind == "laser":
            self.laser_on = message.origin is not None
            self._draw_laser(message.origin, message.target)
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
            self.questions = (self.questions + [(message.seat, message.text)])[-3:]
        elif kind == "phase":
            self.phase = message.phase

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
        if quiz is None:
            return
        try:
            item = self.view.quiz.item(quiz.item)
        except KeyError:  # an item of another scene of the exhibit
            return
        card = self.view.quiz_card
        if card.item is None or card.item.id != item.id:
            self.view.offer_quiz(item.id)
        if not quiz.closed:
            return
        # The guide closed the item: show the right answer, and this member's verdict.
        chosen = card.sent
        labels = self.view.labels
        verdict = (labels["correct" if chosen == item.answer else "wrong"] if chosen is not None
                   else item.choices[item.answer].get(self.view.language))
        card.show_result(QuizResult(item.id, -1 if chosen is None else chosen,
                                    chosen == item.answer, item.answer),
                         verdict, item.explain.get(self.view.language))

    def answer(self, choice: int) -> None:
        """Answers the quiz item the guide has put (a quiz button, or keys F1–F4)."""
        if self.quiz is not None and not self.quiz.closed and self.view.quiz_card.sent is None:
            self.link.send(wire.Answer(item=self.quiz.item, choice=choice))
            # the tour records the answer; the verdict comes when the guide closes the item
            self.view.quiz_card.mark_sent(choice)

    def can_walk(self) -> bool:
        return not self.locked or self.role in ("guide", "co_guide")
