"""The guide's side of `redhall view --tour`: keys that steer the tour and a panel that
shows it. Active while this participant is the guide or co-guide (a hand-over takes
effect at once); a member's presses do nothing.

B begin · N / P next / previous stop (through every scene of the exhibit, in its order) ·
G gather everyone here · F follow-me on/off ·
L lock free movement · H highlight the selected hotspot (again: clear) · X laser at the
selected hotspot (again: off) · M mute all · K put the scene's next quiz item ·
C close it and show the results · V give the floor to the first raised hand · U take
the floor back from the member given it last · O open or close the floor to every member ·
End end the tour
"""

from __future__ import annotations

from typing import Any

from engine.panel import Panel
from engine.tour_scenes import exhibit_route
from engine.tour_system import TourSystem
from engine.tour_text import tour_labels
from protocol import tour as wire

STEERING = ("guide", "co_guide")
KEYS = {"b": "begin", "n": "next_stop", "p": "previous_stop", "g": "gather",
        "f": "toggle_follow", "l": "toggle_lock", "h": "highlight", "x": "laser",
        "m": "toggle_mute", "k": "next_quiz", "c": "close_quiz", "v": "give_floor",
        "u": "take_floor", "o": "toggle_floor", "end": "end"}


class GuideControls:
    """The guide's keys and panel; follows the tour's view from scene to scene.

    Args:
        view: the view shown now (later ones are the tour's: ``tour.view``).
        tour: the tour this participant is in.
    """

    def __init__(self, view: Any, tour: TourSystem) -> None:
        self.tour = tour
        self.asked: list[str] = []
        self.route = exhibit_route(view.exhibit)
        parent = view.panels if view.panels is not None else view.app.base.aspect2d
        self.panel = Panel(parent, view.ui_font, view.layout.widths["right"], "guide")
        self._laid_out: Any = None
        self._place()
        for key, name in KEYS.items():
            view.app.base.accept(key, self.command, [name])
        self._shown = ""
        view.app.add(self)

    @property
    def view(self) -> Any:
        """The scene shown now (the tour moves it across the exhibit's scenes)."""
        return self.tour.view

    def _place(self) -> None:
        if self._laid_out is not self.view:  # a new scene: its layout takes the panel
            self._laid_out = self.view
            self.view.layout.add("right", self.panel)

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
        """To the stop ``step`` places on in the exhibit's whole route, across scenes."""
        stops = [(s.scene, s.stop) for s in self.route]
        if not stops:
            return
        here = (self.tour.scene, self.tour.stop)
        index = stops.index(here) if here in stops else -1
        if index < 0 and step < 0:
            return
        target = min(max(index + step, 0), len(stops) - 1)
        if target != index:
            scene, stop = stops[target]
            self.tour.link.send(wire.GoToStop(scene=scene, stop=stop))

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

    def _give_floor(self) -> None:
        waiting = [seat for seat in self.tour.hands if seat not in self.tour.floor.holders]
        if waiting:
            self.tour.link.send(wire.GiveFloor(seat=waiting[0]))

    def _take_floor(self) -> None:
        if self.tour.floor.holders:
            self.tour.link.send(wire.TakeFloor(seat=self.tour.floor.holders[-1]))

    def _toggle_floor(self) -> None:
        self.tour.link.send(wire.OpenFloor(open=not self.tour.floor.open))

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

        place = next((s for s in self.route if (s.scene, s.stop) == (tour.scene, tour.stop)),
                     None)
        lines = ["  ".join([f"{say['phase']} {say[tour.phase]}", switch("follow", tour.follow),
                            switch("locked", tour.locked), switch("muted", tour.muted)]),
                 f"{say['present']} {here}/{len(members)}"
                 + (f"  {say['at_stop']} {place.number}/{len(self.route)} {tour.stop}"
                    if place else "")]
        if tour.hands:
            lines.append(f"{say['hands']} " + ", ".join(names.get(s, f"#{s}")
                                                         for s in tour.hands))
        voice = tour_labels(self.view.language)
        holders = ", ".join(names.get(s, f"#{s}") for s in tour.floor.holders)
        floor = voice["floor_open"] if tour.floor.open else holders or voice["floor_none"]
        lines.append(f"{voice['floor']} {floor}" + (
            f"  {voice['speaking']} " + ", ".join(names.get(s, f"#{s}")
                                                  for s in sorted(tour.speaking))
            if tour.speaking else ""))
        for seat, text in tour.questions:
            lines.append(f"{say['question']} {names.get(seat, f'#{seat}')}: {text}")
        if tour.quiz is not None:
            quiz = tour.quiz
            counts = " ".join(f"{chr(65 + i)}:{n}" for i, n in enumerate(quiz.counts))
            lines.append(f"{say['quiz']} {quiz.item} {say['closed'] if quiz.closed else ''} "
                         f"{say['answered']} {quiz.answered}/{quiz.eligible}  {counts}")
        lines.append(say["guide_keys"])
        lines.append(voice["floor_keys"])
        return "\n".join(lines)

    def update(self, dt: float) -> None:
        self._place()
        if not self.steering:
            self.panel.hide()
            return
        text = self.summary()
        if text != self._shown or not self.panel.visible:
            self._shown = text
            self.panel.show(self.view.labels["guide_panel"], text)
