"""Desktop controls for `redhall view`: keyboard and mouse mapped onto the view.

W/A/S/D walk, hold the right mouse button to look, left click selects a hotspot,
1–9 jump to route stops, Q/E snap-turn, Tab toggles seated/standing, Esc closes a panel,
Ctrl+Q quits,
F1–F4 answer the quiz card's question (and put up the next one);
a left click on a quiz button answers with it.
"""

from __future__ import annotations

from engine.tour_system import TourSystem
from engine.view import ExhibitView


class DesktopControls:
    def __init__(self, view: ExhibitView, tour: TourSystem | None = None) -> None:
        self.view = view
        self.tour = tour
        base = view.app.base
        self.keys: dict[str, bool] = {k: False for k in "wasd"}
        for key in self.keys:
            base.accept(key, self.keys.__setitem__, [key, True])
            base.accept(f"{key}-up", self.keys.__setitem__, [key, False])
        base.accept("mouse1", self._click)
        base.accept("mouse3", self._look, [True])
        base.accept("mouse3-up", self._look, [False])
        base.accept("q", view.navigation.snap_turn, [-1])
        base.accept("e", view.navigation.snap_turn, [1])
        base.accept("tab", self._toggle_mode)
        base.accept("escape", view.close_panel)
        base.accept("control-q", base.userExit)
        for number, stop in enumerate(view.scene.script.route[:9], start=1):
            base.accept(str(number), view.go_to_stop, [stop.id])
        for number in range(4):
            base.accept(f"f{number + 1}", self._answer, [number])
        base.disableMouse()
        self.looking = False
        self._last: tuple[float, float] | None = None
        view.app.add(self)

    def _click(self) -> None:
        watcher = self.view.app.base.mouseWatcherNode
        if watcher.hasMouse():
            self.view.click(watcher.getMouseX(), watcher.getMouseY())

    def _look(self, on: bool) -> None:
        self.looking, self._last = on, None

    def _toggle_mode(self) -> None:
        nav = self.view.navigation
        nav.set_mode("seated" if nav.mode == "standing" else "standing")

    def _answer(self, choice: int) -> None:
        if self.tour is not None:
            self.view.answer_offered(choice)  # the item the guide has put, if one is open
            return
        if self.view.quiz_card.item is None or self.view.quiz_card.result is not None:
            self.view.offer_quiz()  # the first press puts the next question up
            return
        self.view.answer_offered(choice)

    def update(self, dt: float) -> None:
        nav = self.view.navigation
        if self.tour is not None and not self.tour.can_walk():
            nav.walk(0, 0)  # the guide has locked free movement
        else:
            nav.walk(float(self.keys["w"]) - float(self.keys["s"]),
                     float(self.keys["d"]) - float(self.keys["a"]))
        watcher = self.view.app.base.mouseWatcherNode
        if self.looking and watcher.hasMouse():
            here = (watcher.getMouseX(), watcher.getMouseY())
            if self._last is not None:
                nav.look(-(here[0] - self._last[0]) * 90, (here[1] - self._last[1]) * 60)
            self._last = here
