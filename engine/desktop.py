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

MOVEMENT_KEYS = "wasd"
HELD_BUTTONS = (*MOVEMENT_KEYS, "mouse3")  # held to walk or look; each has a ``-up`` event


class DesktopControls:
    """Keys and mouse on the view shown now: in a live tour, the tour's view, which changes
    when the tour moves on to another scene of the exhibit."""

    def __init__(self, view: ExhibitView, tour: TourSystem | None = None) -> None:
        self._view = view
        self.tour = tour
        base = view.app.base
        self.keys: dict[str, bool] = {k: False for k in MOVEMENT_KEYS}
        for key in self.keys:
            base.accept(key, self.keys.__setitem__, [key, True])
            base.accept(f"{key}-up", self.keys.__setitem__, [key, False])
        base.accept("mouse1", self._click)
        base.accept("mouse3", self._look, [True])
        base.accept("mouse3-up", self._look, [False])
        base.accept("q", self._snap, [-1])
        base.accept("e", self._snap, [1])
        base.accept("tab", self._toggle_mode)
        base.accept("escape", self._close)
        base.accept("control-q", base.userExit)
        for number in range(1, 10):
            base.accept(str(number), self._stop, [number])
        for number in range(4):
            base.accept(f"f{number + 1}", self._answer, [number])
        base.disableMouse()
        self.looking = False
        self._last: tuple[float, float] | None = None
        view.app.add(self)

    @property
    def view(self) -> ExhibitView:
        return self.tour.view if self.tour is not None else self._view

    def _snap(self, direction: int) -> None:
        self.view.navigation.snap_turn(direction)

    def _close(self) -> None:
        self.view.close_panel()

    def _stop(self, number: int) -> None:
        """Jumps to the scene's route stop ``number`` (from 1), if it has one."""
        route = self.view.scene.script.route
        if 1 <= number <= len(route):
            self.view.go_to_stop(route[number - 1].id)

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
