"""The guide's side of `redhall view --tour`: keys that steer the tour and a panel that
shows it. Active while this participant is the guide or co-guide (a hand-over takes
effect at once); a member's presses do nothing.

B begin · N / P next / previous stop · G gather everyone here · F follow-me on/off ·
L lock free movement · H highlight the selected hotspot (again: clear) · X laser at the
selected hotspot (again: off) · M mute all · K put the scene's next quiz item ·
C close it and show the results · End end the tour
"""

from __future__ import annotations

from typing import Any

from engine.panel import Panel
from engine.tour_system import TourSystem
from protocol import tour as wire

STEERING = ("guide", "co_guide")
KEYS = {"b": "begin", "n": "next_stop", "p": "previous_stop", "g": "gather",
        "f": "toggle_follow", "l": "toggle_lock", "h": "highlight", "x": "laser",
        "m": "toggle_mute", "k": "next_quiz", "c": "close_quiz", "end": "end"}


class GuideControls:
    def __init__(self, view: Any, tour: TourSystem) -> None:
        self.view = view
        self.tour = tour
        self.asked: list[str] = []
        ratio = view.app.size[0] / view.app.size[1]
        self.panel = Panel(view.app.base.aspect2d, view.font, 1.1, "guide")
        self.panel.root.setPos(ratio - 1.15, 0, 0.6)
        for key, name in KEYS.items():
            view.app.base.accept(key, self.command, [name])
        self._shown = ""
        view.app.add(self)

    @property
    def steering(self) -> bool:
        return self.tour.role in STEERING

    def command(self, name: str) -> None:
        """Carries out one of :data:`KEYS` (also callable directly, as the tests do)."""
        if self.steering:
            getattr(self, f"_{name}")()

    # -- the commands ----------------------------------------------------------------------

    def _begin(self) -> None:
        if self.tour.phase == "lobby":
            self.tour.link.send(wire.Start())

    def _move(self, step: int) -> None:
        route = [stop.id for stop in self.view.scene.script.route]
        if not route:
            return
        here = route.index(self.tour.stop) if self.tour.stop in route else -1
        target = min(max(here + step, 0), len(route) - 1)
        if target != here:
            self.tour.link.send(wire.GoToStop(scene=self.view.scene.script.id,
                                              stop=route[target]))

    def _next_stop(self) -> None:
        self._move(1)

    def _previous_stop(self) -> None:
        self._move(-1)

    def _here(self) -> tuple[float, float, float]:
        camera = self.view.app.base.camera.getPos(self.view.app.render)
        return (round(camera.x, 3), round(camera.y, 3), round(camera.z, 3))

    def _gather(self) -> None:
        self.tour.link.send(wire.Gather(countdown=5, at=self._here()))

    def _toggle_follow(self) -> None:
        self.tour.link.send(wire.Follow(on=not self.tour.follow))

    def _toggle_lock(self) -> None:
        self.tour.link.send(wire.Lock(locked=not self.tour.locked))

    def _toggle_mute(self) -> None:
        self.tour.link.send(wire.MuteAll(muted=not self.tour.muted))

    def _highlight(self) -> None:
        chosen = self.view.current
        self.tour.link.send(wire.HighlightHotspot(
            hotspot=None if chosen is None or chosen == self.tour.highlight else chosen))

    def _laser(self) -> None:
        marker = self.view.hotspots.markers.get(self.view.current or "")
        if self.tour.laser_on or marker is None:
            self.tour.link.send(wire.Laser(origin=None))
            return
        target = marker.getPos(self.view.app.render)
        origin = self._here()
        self.tour.link.send(wire.Laser(origin=(origin[0], origin[1], origin[2] - 0.3),
                                       target=(target.x, target.y, target.z)))

    def _next_quiz(self) -> None:
        if self.tour.quiz is not None and not self.tour.quiz.closed:
            return  # one item at a time: close the open one first
        items = [item.id for item in self.view.scene.script.quiz if item.id not in self.asked]
        if items:
            self.asked.append(items[0])
            self.tour.link.send(wire.StartQuiz(item=items[0]))

    def _close_quiz(self) -> None:
        if self.tour.quiz is not None and not self.tour.quiz.closed:
            self.tour.link.send(wire.CloseQuiz())

    def _end(self) -> None:
        if self.tour.phase != "ended":
            self.tour.link.send(wire.EndTour())

    # -- the panel -------------------------------------------------------------------------

    def summary(self) -> str:
        """What the panel shows: the tour's state, the room, hands, questions, the quiz."""
        tour, say = self.tour, self.view.labels
        members = [p for p in tour.participants.values() if p.role == "member"]
        here = sum(p.present for p in members)
        names = {p.seat: p.name for p in tour.participants.values()}

        def switch(name: str, on: bool) -> str:
            return f"{say[name]} {say['on'] if on else say['off']}"

        lines = ["  ".join([f"{say['phase']} {say[tour.phase]}", switch("follow", tour.follow),
                            switch("locked", tour.locked), switch("muted", tour.muted)]),
                 f"{say['present']} {here}/{len(members)}"
                 + (f"  {say['at_stop']} {tour.stop}" if tour.stop else "")]
        if tour.hands:
            lines.append(f"{say['hands']} " + ", ".join(names.get(s, f"#{s}")
                                                         for s in tour.hands))
        for seat, text in tour.questions:
            lines.append(f"{say['question']} {names.get(seat, f'#{seat}')}: {text}")
        if tour.quiz is not None:
            quiz = tour.quiz
            counts = " ".join(f"{chr(65 + i)}:{n}" for i, n in enumerate(quiz.counts))
            lines.append(f"{say['quiz']} {quiz.item} {say['closed'] if quiz.closed else ''} "
                         f"{say['answered']} {quiz.answered}/{quiz.eligible}  {counts}")
        lines.append(say["guide_keys"])
        return "\n".join(lines)

    def update(self, dt: float) -> None:
        if not self.steering:
            self.panel.hide()
            return
        text = self.summary()
        if text != self._shown or not self.panel.visible:
            self._shown = text
            self.panel.show(self.view.labels["guide_panel"], text)
