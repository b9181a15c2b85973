"""A guided tour across the scenes of an exhibit.

An exhibit has several scenes; a guided tour walks through all of them in the exhibit's
order. :class:`TourSession` owns the tour (its link and :class:`TourSystem`) and the view
of the scene the tour is in: when the guide moves to a stop of another scene, the scene
being shown is left (its facts emitted, its nodes, panels and systems taken down) and a
view of the next one is made on the same app, keeping the seat and the connection, the
headset, the fonts and the other participants' avatars.

The package must be the tour's exhibit (the welcome's snapshot names it); a stop or scene
the package lacks (another build of it) is not followed: the view stays, and the tour bar
says why.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.app import ExhibitApp
from engine.errors import EngineError
from engine.loading import LoadedExhibit
from engine.outbox import FactSink
from engine.tour_system import TourSystem
from engine.tour_text import tour_labels
from engine.view import ExhibitView
from engine.xr import XRMode
from protocol import tour as wire

log = logging.getLogger(__name__)


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


def check_exhibit(exhibit: LoadedExhibit, welcome: wire.Welcome) -> tuple[str, str] | None:
    """Refuses (:class:`EngineError`) a package of another exhibit than the tour's; returns
    (the tour's version, the package's) when only the version differs."""
    snapshot, manifest = welcome.snapshot, exhibit.package.manifest
    if snapshot.exhibit is not None and snapshot.exhibit != manifest.id:
        shown = snapshot.exhibit + (f" {snapshot.exhibit_version}"
                                    if snapshot.exhibit_version else "")
        raise EngineError(f"tour {snapshot.tour} shows exhibit `{shown}`, but "
                          f"{exhibit.package.path.name} is exhibit `{manifest.id} "
                          f"{manifest.version}`: open the package of `{snapshot.exhibit}`")
    if snapshot.exhibit_version is not None and snapshot.exhibit_version != manifest.version:
        log.warning("tour %s shows version %s of exhibit `%s`; %s is version %s: some "
                    "scenes or stops may differ", snapshot.tour, snapshot.exhibit_version,
                    manifest.id, exhibit.package.path.name, manifest.version)
        return snapshot.exhibit_version, str(manifest.version)
    return None


class TourSession:
    """This participant's part in a live tour, across the exhibit's scenes.

    Args:
        view: the view to start in (any scene of the tour's exhibit); when the tour is in
            another scene (a late join, a resume), that scene is loaded at once.
        link: the tour connection, already joined (``link.connect()`` gave ``welcome``).
        welcome: the server's welcome, with the snapshot of the tour as it is now.

    ``view`` is always the scene shown now; ``on_scene_change`` listeners (the desktop
    keys, the guide's controls, the tour bar) are called with each new view.

    Raises :class:`EngineError` (and closes ``link``) when the package is not the tour's
    exhibit.
    """

    def __init__(self, view: ExhibitView, link: Any, welcome: wire.Welcome) -> None:
        try:
            versions = check_exhibit(view.exhibit, welcome)
        except EngineError:
            link.close()
            raise
        self.app: ExhibitApp = view.app
        self.exhibit: LoadedExhibit = view.exhibit
        self.view = view
        self.link = link
        self.welcome = welcome
        self.route = exhibit_route(view.exhibit)
        self.on_scene_change: list[Callable[[ExhibitView], object]] = []
        self.tour = TourSystem(view, link, welcome, on_scene=self.change_scene)
        if versions is not None:  # on the tour bar (after a missed stop's notice)
            note = tour_labels(view.language)["other_version"]
            self.tour.standing_notice = note.format(theirs=versions[0], mine=versions[1])
            self.tour.notice = self.tour.notice or self.tour.standing_notice
        self.app.add(self.tour)
        if welcome.snapshot.scene != view.scene.script.id:
            self.change_scene(welcome.snapshot.scene, welcome.snapshot.stop)

    @classmethod
    def open(cls, app: ExhibitApp, exhibit: LoadedExhibit, link: Any, welcome: wire.Welcome,
             language: str = "zh-CN", xr: XRMode = "none", sink: FactSink | None = None,
             session: uuid.UUID | None = None) -> TourSession:
        """Makes the view of the scene the tour is in now (the first scene when the package
        lacks it), and the session around it; refuses another exhibit's package before
        showing anything."""
        try:
            check_exhibit(exhibit, welcome)
        except EngineError:
            link.close()
            raise
        scene: str | None = welcome.snapshot.scene
        if all(ref.id != scene for ref in exhibit.package.manifest.scenes):
            scene = None  # the session says the package lacks it
        view = ExhibitView(app, exhibit, scene, language, xr=xr, sink=sink, session=session)
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
        the connection and what the view carries over. A scene or stop the package lacks
        is not shown: the view stays, and the tour bar says why (this runs in the frame
        task, where an error would end the app)."""
        old = self.view
        if all(ref.id != scene for ref in self.exhibit.package.manifest.scenes):
            log.warning("the tour moved to scene `%s`, which this package lacks", scene)
            self.tour.say("missing_scene", scene=scene)
            return old
        if stop is not None and not any(s.scene == scene and s.stop == stop
                                         for s in self.route):
            log.warning("the tour moved to stop `%s` of scene `%s`, which this package lacks",
                        stop, scene)
            self.tour.say("missing_stop", scene=scene, stop=stop)
            return old
        if scene == old.scene.script.id:
            if stop is not None:
                old.go_to_stop(stop)
                self.tour.notice = self.tour.standing_notice
            return old
        self.tour.notice = self.tour.standing_notice
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
