"""A guided tour across the scenes of an exhibit.

An exhibit has several scenes; a guided tour walks through all of them in the exhibit's
order. :class:`TourSession` owns the tour (its link and :class:`TourSystem`) and the view
of the scene the tour is in: when the guide moves to a stop of another scene, the scene
being shown is left (its facts emitted, its nodes, panels and systems taken down) and a
view of the next one is made on the same app, keeping the seat and the connection, the
headset, the fonts and the other participants' avatars.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.app import ExhibitApp
from engine.loading import LoadedExhibit
from engine.outbox import FactSink
from engine.tour_system import TourSystem
from engine.view import ExhibitView
from engine.xr import XRMode
from protocol import tour as wire


@dataclass(frozen=True)
class ExhibitStop:
    """One stop of the exhibit's whole route: its scene, its id, and its place."""

    scene: str
    stop: str
    number: int  # from 1, across all the exhibit's scenes


def exhibit_route(exhibit: LoadedExhibit) -> list[ExhibitStop]:
    """Every route stop of every scene, in the exhibit's order of scenes."""
    stops: list[ExhibitStop] = []
    for ref in exhibit.package.manifest.scenes:
        for stop in exhibit.scene(ref.id).script.route:
            stops.append(ExhibitStop(ref.id, stop.id, len(stops) + 1))
    return stops


class TourSession:
    """This participant's part in a live tour, across the exhibit's scenes.

    Args:
        view: the view to start in (any scene of the tour's exhibit); when the tour is in
            another scene (a late join, a resume), that scene is loaded at once.
        link: the tour connection, already joined (``link.connect()`` gave ``welcome``).
        welcome: the server's welcome, with the snapshot of the tour as it is now.

    ``view`` is always the scene shown now; ``on_scene_change`` listeners (the desktop
    keys, the guide's controls, the tour bar) are called with each new view.
    """

    def __init__(self, view: ExhibitView, link: Any, welcome: wire.Welcome) -> None:
        self.app: ExhibitApp = view.app
        self.exhibit: LoadedExhibit = view.exhibit
        self.view = view
        self.link = link
        self.welcome = welcome
        self.route = exhibit_route(view.exhibit)
        self.on_scene_change: list[Callable[[ExhibitView], object]] = []
        self.tour = TourSystem(view, link, welcome, on_scene=self.change_scene)
        self.app.add(self.tour)
        if welcome.snapshot.scene != view.scene.script.id:
            self.change_scene(welcome.snapshot.scene, welcome.snapshot.stop)

    @classmethod
    def open(cls, app: ExhibitApp, exhibit: LoadedExhibit, link: Any, welcome: wire.Welcome,
             language: str = "zh-CN", xr: XRMode = "none", sink: FactSink | None = None,
             session: uuid.UUID | None = None) -> TourSession:
        """Makes the view of the scene the tour is in now, and the session around it."""
        view = ExhibitView(app, exhibit, welcome.snapshot.scene, language, xr=xr, sink=sink,
                           session=session)
        return cls(view, link, welcome)

    @property
    def scene(self) -> str:
        """The scene shown now."""
        return self.view.scene.script.id

    def position(self) -> ExhibitStop | None:
        """The tour's stop in the exhibit's whole route (None before the first stop)."""
        return next((s for s in self.route
                     if s.scene == self.tour.scene and s.stop == self.tour.stop), None)

    def step_stop(self, step: int) -> ExhibitStop | None:
        """The stop ``step`` places on from the tour's, across scenes (None at either end)."""
        here = self.position()
        index = (here.number - 1 if here else -1) + step
        if here is None and step < 0:
            return None
        index = min(max(index, 0), len(self.route) - 1)
        target = self.route[index]
        return None if here is not None and target == here else target

    def change_scene(self, scene: str, stop: str | None = None) -> ExhibitView:
        """Leaves the scene shown now and shows ``scene`` (at ``stop``), keeping the seat,
        the connection and what the view carries over."""
        old = self.view
        if scene == old.scene.script.id:
            if stop is not None:
                old.go_to_stop(stop)
            return old
        old.leave()  # scene_left, after the open hotspot's dwell
        carry = old.detach()
        new = ExhibitView(self.app, self.exhibit, scene, old.language, xr=_mode(old),
                          sink=old.facts.sink, session=old.facts.session, carry=carry)
        self.view = new
        self.tour.attach(new)
        for listener in list(self.on_scene_change):
            listener(new)
        return new

    def close(self) -> None:
        """Leaves the scene (its facts) and the tour (closing the connection)."""
        self.view.leave()
        self.link.close()


def _mode(view: ExhibitView) -> XRMode:
    if view.xr is None:
        return "none"
    return "simulated" if view.xr.name == "simulated" else "openxr"
