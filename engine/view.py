"""ExhibitView: one scene of one exhibit, with everything a member can do in it."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from panda3d.core import Filename, NodePath, Point2, Point3, Vec3

from engine.app import ExhibitApp
from engine.avatars import Avatars
from engine.comfort import Vignette
from engine.facts import FactRecorder
from engine.fonts import Fonts, load_fonts
from engine.hotspots import Hotspots
from engine.layout import (
    VR_DISTANCE,
    VR_FRAME,
    VR_SCALE,
    Frame,
    PanelLayout,
    desktop_frame,
)
from engine.loading import LoadedExhibit
from engine.narrator import NarratorFigure, load_narrator
from engine.navigation import Navigation
from engine.outbox import FactSink
from engine.panel import Panel
from engine.pointer import ControllerPointer
from engine.progress import Progress
from engine.quiz import QuizResult, QuizSession
from engine.quiz_card import QuizCard
from engine.scene_graph import build_scene
from engine.shading import ShadingMode, enable_shading
from engine.sky import Sky
from engine.spatial_audio import SpatialAudio
from engine.vr_locomotion import VRLocomotion
from engine.xr import Headset, SimulatedXR, XRMode
from protocol.i18n import Language
from protocol.lipsync import LipSyncTrack
from protocol.scene import QuizItem
from protocol.ui_text import UI_TEXT


@dataclass
class ViewCarry:
    """What a view hands to the next scene's view on the same app: the shading pipeline,
    the fonts, the headset with its rig and panel plane, and the other participants."""

    shading: ShadingMode
    fonts: Fonts
    rig: NodePath
    mode: str
    avatars: Avatars
    xr: Headset | None
    panels: NodePath | None


class ExhibitView:
    """A scene a member visits.

    Args:
        xr: ``none`` for a desktop or offscreen camera; ``simulated`` or ``openxr`` for a
            headset, with panels in the world and controllers that point.
        carry: from :meth:`detach` of the scene before, when a tour moves on to another
            scene of the exhibit: the headset, rig, fonts and avatars are kept.
    """

    def __init__(self, app: ExhibitApp, exhibit: LoadedExhibit, scene_id: str | None,
                 language: str = "zh-CN", xr: XRMode = "none", sink: FactSink | None = None,
                 session: uuid.UUID | None = None, carry: ViewCarry | None = None) -> None:
        self.app = app
        self.exhibit = exhibit
        self.language: Language = language  # type: ignore[assignment]
        self.scene = exhibit.scene(scene_id)
        script = self.scene.script
        self.shading = carry.shading if carry else enable_shading(app)
        self.nodes = build_scene(exhibit, self.scene, app.render)
        app.base.setBackgroundColor(*self.nodes.sky)
        self.sky = app.add(Sky(app, self.nodes, script.environment))
        lens = app.base.camLens
        lens.setFov(75)
        lens.setNearFar(0.05, 3000)
        self.navigation = app.add(Navigation(app.render, app.base.camera, script))
        if carry is not None:  # one rig for the whole visit: the headset's eyes hang on it
            fresh, self.navigation.rig = self.navigation.rig, carry.rig
            app.base.camera.reparentTo(carry.rig)
            fresh.removeNode()
            self.navigation.teleport(Point3(*script.spawn.pos), Point3(*script.spawn.look_at))
            self.navigation.set_mode(carry.mode)  # type: ignore[arg-type]
        manifest = exhibit.package.manifest
        self.fonts = carry.fonts if carry else load_fonts(exhibit.file(manifest.font))
        self.font = self.fonts.subset  # the exhibit's own text
        self.ui_font = self.fonts.ui  # names, questions, chat
        self.labels = {k: v.get(self.language) for k, v in UI_TEXT.items()}
        overlay = app.base.aspect2d
        ratio = app.size[0] / app.size[1]
        panels: NodePath | None = carry.panels if carry else None
        if xr != "none" and panels is None:
            # In a headset, panels float in the world ahead of the eyes, on a plane seen
            # by both eyes at the right depth.
            panels = app.base.camera.attachNewNode("vr-panels")
            panels.setPos(0, VR_DISTANCE, 0)
            panels.setScale(VR_SCALE)
        self.panels = panels
        frame = Frame(*VR_FRAME) if panels is not None else desktop_frame(ratio)
        self.layout = PanelLayout(frame)
        widths = self.layout.widths
        parent = panels if panels is not None else overlay
        self.status = Panel(parent, self.font, widths["left"], "progress")
        self.narration = Panel(parent, self.font, widths["left"], "narration")
        self.quiz_card = QuizCard(parent, self.font, widths["right"])
        self.layout.add("left", self.status)
        self.layout.add("subtitles", self.narration)
        self.layout.add("right", self.quiz_card)
        self.vignette = app.add(Vignette(overlay, self.navigation, ratio))
        self.hotspots = app.add(Hotspots(app.base.loader, app.render, script, self.select))
        self.avatars = app.add(carry.avatars if carry else Avatars(app.render, app.clock))
        self.narrator: NarratorFigure | None = None
        if script.narrator is not None:
            self.narrator = app.add(load_narrator(exhibit, script, self.nodes.root,
                                                  app.base.camera, app.clock.now))
        # the narrator's voice, heard from where it stands
        self.voices = app.add(SpatialAudio(app))
        self.quiz = QuizSession(list(script.quiz))
        self.progress = app.add(Progress(len(script.hotspots), len(script.route)))
        self.facts = FactRecorder(sink, session or uuid.uuid4(), manifest.id, manifest.version,
                                  script.id)
        self.current: str | None = None
        self._opened_at = 0.0
        self.sounds: dict[str, object] = {}
        self.playing: str | None = None
        self.xr: Headset | None = carry.xr if carry else None
        tonemap = self.shading.pipeline == "simplepbr"  # eyes tone-map as the window does
        if self.xr is None and xr == "simulated":
            self.xr = SimulatedXR(app, app.base.camera, app.size, tonemap=tonemap,
                                  panels=panels)
        elif self.xr is None and xr == "openxr":
            from engine.openxr_headset import OpenXRHeadset

            self.xr = OpenXRHeadset(app, app.base.camera, tonemap=tonemap, panels=panels)
        self.pointer: ControllerPointer | None = None
        self.locomotion: VRLocomotion | None = None
        # False while a live tour's guide has locked free movement (set by the tour).
        self.may_move: Callable[[], bool] = lambda: True
        # Set while in a live tour: the guide puts quiz items and answers go to the tour.
        self.quiz_by_tour: Callable[[int], None] | None = None
        if self.xr is not None:
            app.add(self.xr)
            self.pointer = app.add(ControllerPointer(self, self.xr.controllers["right"]))
            self.xr.on_trigger.append(self._trigger)
            sticks = self.xr.sticks
            self.locomotion = app.add(VRLocomotion(
                self.navigation, self.nodes.root, self.xr.controllers["left"],
                lambda: sticks["left"], lambda: self.may_move()))  # may_move is set later
        self.completed = False
        self.facts.emit("scene_entered")
        self._refresh_status()
        self._shown_second = 0
        app.add(self.quiz_card)  # a verdict makes way after a while
        app.add(self)  # after Progress, so the clock on the status line has ticked
        app.add(self.layout)  # last: panels are placed after everything changed them

    def detach(self) -> ViewCarry:
        """Takes this scene down (its nodes, panels and systems) after :meth:`leave`, and
        returns what the next scene's view keeps."""
        app = self.app
        for system in (self.navigation, self.vignette, self.hotspots, self.avatars,
                       self.narrator, self.voices, self.sky, self.progress, self.xr, self.pointer,
                       self.locomotion, self.quiz_card, self, self.layout):
            if system is not None:
                app.remove(system)
        for sound in self.sounds.values():
            sound.stop()  # type: ignore[attr-defined]
        self.voices.close()
        if self.xr is not None:
            self.xr.on_trigger.remove(self._trigger)
        if self.pointer is not None:
            self.pointer.beam.removeNode()
        self.hotspots.destroy()
        if self.narrator is not None:
            self.narrator.destroy()
        for node in (self.sky.root, self.nodes.root, self.vignette.node, self.status.root,
                     self.narration.root, self.quiz_card.root):
            node.removeNode()
        return ViewCarry(self.shading, self.fonts, self.navigation.rig, self.navigation.mode,
                         self.avatars, self.xr, self.panels)

    def update(self, dt: float) -> None:
        if self.xr is not None:  # without a pointing hand, a look held on a hotspot opens it
            self.hotspots.gaze_source = None if self.xr.hands_tracked else self.app.base.camera
        if int(self.progress.seconds) != self._shown_second:  # the status clock, each second
            self._shown_second = int(self.progress.seconds)
            self._refresh_status()

    def _trigger(self, side: str) -> None:
        if side == "right" and self.pointer is not None:  # the pointing hand
            if self.pointer.aim is not None and self.xr is not None:
                self.xr.pulse("right")  # a tick in the hand: the press took
            self.pointer.trigger()

    # -- hotspots and narration -------------------------------------------------------
    def select(self, hotspot_id: str) -> None:
        """Show a hotspot's narration (subtitles in the chosen language) and play it."""
        self._close_hotspot()
        hotspot = next(h for h in self.scene.script.hotspots if h.id == hotspot_id)
        body = hotspot.text.get(self.language)
        if hotspot.disputed:
            body = f"【{self.labels['disputed']}】 " + body
        sources = [self.scene.script.sources[i].title for i in hotspot.sources]
        body += f"\n{self.labels['sources']}：" + "；".join(sources)
        self.narration.show(hotspot.title.get(self.language), body)
        self.hotspots.highlight(hotspot_id)
        self.current, self._opened_at = hotspot_id, self.progress.seconds
        self.progress.hotspots_seen.add(hotspot_id)
        self._play(hotspot_id)
        self._refresh_status()
        if self.quiz.for_hotspot(hotspot_id):
            self.offer_quiz()
        else:
            self.quiz_card.hide()

    def _play(self, owner: str) -> None:
        """Play narration ``owner`` (stopping the one before): from the narrator, with its
        mouth, gesture and 3D position, when the narrator speaks it; else plainly."""
        tracks = self.scene.audio.get(owner, {})
        name = tracks.get(self.language) or tracks.get("zh-CN")
        if name is None:
            return
        if self.playing is not None:
            before = self.sounds[self.playing]
            before.stop()  # type: ignore[attr-defined]
            self.voices.detach(before)
        file = self.exhibit.file(name)
        narrator = self.narrator if self.narrator is not None and self.narrator.speaks(owner) \
            else None
        if narrator is not None and (sound := self.voices.load(file)) is not None:
            self.voices.attach(sound, narrator.voice_node)
        else:  # plain narration, or no audio manager for 3D sound at all
            sound = self.app.base.loader.loadSfx(Filename.fromOsSpecific(str(file)))
        sound.play()
        self.sounds[owner], self.playing = sound, owner
        if narrator is not None:
            narrator.speak(self._lipsync(name), sound, self._explained(owner))

    def _lipsync(self, ogg: str) -> LipSyncTrack | None:
        track = self.scene.lipsync.get(ogg)
        if track is None:
            return None  # a package from before lip-sync tracks: the mouth stays still
        return LipSyncTrack.model_validate_json(self.exhibit.package.read(track))

    def _explained(self, owner: str) -> tuple[float, float, float] | None:
        """Where narration ``owner`` points: its hotspot, or a stop's first hotspot."""
        script = self.scene.script
        if owner.startswith("stop:"):
            stop = next((s for s in script.route if s.id == owner[5:]), None)
            owner = stop.hotspots[0] if stop is not None and stop.hotspots else ""
        return next((h.at for h in script.hotspots if h.id == owner), None)

    def _close_hotspot(self) -> None:
        if self.current is not None:
            dwell = self.progress.seconds - self._opened_at
            self.facts.emit("hotspot_viewed", hotspot=self.current, dwell_seconds=dwell)
            self.current = None

    def close_panel(self) -> None:
        self._close_hotspot()
        if self.playing is not None:  # the narration stops with its panel
            sound = self.sounds[self.playing]
            sound.stop()  # type: ignore[attr-defined]
            self.voices.detach(sound)
            self.playing = None
        if self.narrator is not None:
            self.narrator.silence()
        self.narration.hide()
        self.quiz_card.hide()
        self.hotspots.highlight(None)

    def click(self, x: float, y: float) -> str | None:
        """Answer with the quiz button, or select the hotspot, under film coordinates
        (-1..1); returns the hotspot's id, or ``choice:N`` for a button."""
        overlay = self.app.base.aspect2d
        point = overlay.getRelativePoint(self.app.base.render2d, Point3(x, -1, y))
        choice = self.quiz_card.choice_at(point, Vec3(0, 1, 0), overlay)
        if choice is not None:
            self.answer_offered(choice)
            return f"choice:{choice}"
        origin, far = Point3(), Point3()
        self.app.base.camLens.extrude(Point2(x, y), origin, far)
        camera = self.app.base.camera
        start = self.app.render.getRelativePoint(camera, origin)
        end = self.app.render.getRelativePoint(camera, far)
        hit = self.hotspots.pick(start, end - start)
        if hit is not None:
            self.select(hit)
        return hit

    # -- route ------------------------------------------------------------------------
    def go_to_stop(self, stop_id: str) -> None:
        self.navigation.teleport_to_stop(stop_id)
        if stop_id not in self.progress.stops_reached:
            self.progress.stops_reached.add(stop_id)
            self.facts.emit("stop_reached", stop=stop_id)
        stop = next(s for s in self.scene.script.route if s.id == stop_id)
        self.narration.show(stop.say.get(self.language), "")
        if self.quiz_by_tour is None:  # in a live tour the guide presents the stop
            self._play(f"stop:{stop_id}")
        self._refresh_status()
        if stop_id == self.scene.script.route[-1].id and self.quiz.remaining():
            self.offer_quiz()  # the end of the route: what is left of the quiz

    # -- quiz -------------------------------------------------------------------------
    def offer_quiz(self, item_id: str | None = None) -> QuizItem | None:
        """Put a quiz item on the card: ``item_id``, else the next unanswered one of the open
        hotspot, else the next unanswered one of the scene."""
        if item_id is not None:
            item = self.quiz.item(item_id)
        elif self.quiz_by_tour is not None:
            return None  # in a live tour the guide decides when a question comes
        else:
            pending = (self.quiz.for_hotspot(self.current) if self.current else []) \
                or self.quiz.remaining()
            if not pending:
                return None
            item = pending[0]
        self.quiz_card.show(item, self.language, keys=self.xr is None)
        return item

    def answer_offered(self, choice: int) -> QuizResult | None:
        """Answer the item on the quiz card with ``choice`` (a button, a key, a trigger)."""
        card = self.quiz_card
        item = card.item
        if item is None or card.result is not None or card.sent is not None \
                or not 0 <= choice < len(item.choices):
            return None
        if self.quiz_by_tour is not None:
            self.quiz_by_tour(choice)
            return None
        return self.answer(item.id, choice)

    def answer(self, item_id: str, choice: int) -> QuizResult:
        """Answer a quiz item; the card (or the panel) says right or wrong and explains."""
        first = item_id not in self.quiz.answers
        result = self.quiz.answer(item_id, choice)
        item = self.quiz.item(item_id)
        verdict = self.labels["correct" if result.correct else "wrong"]
        explanation = item.explain.get(self.language)
        if self.quiz_card.item is not None and self.quiz_card.item.id == item_id:
            self.quiz_card.show_result(result, verdict, explanation)
        else:
            right = item.choices[item.answer].get(self.language)
            self.narration.show(verdict, f"{right}\n{explanation}")
        if first:
            self.facts.emit("quiz_answered", item=item_id, response=choice,
                            correct=result.correct)
        self.progress.quiz_score = self.quiz.score
        self._refresh_status()
        self._check_completed()
        return result

    def _check_completed(self) -> None:
        if self.completed or self.quiz.remaining():
            return
        self.completed = True
        self.facts.emit("scene_completed", hotspots_viewed=len(self.progress.hotspots_seen),
                        hotspots_total=self.progress.hotspots_total,
                        quiz_score=self.quiz.score, seconds=self.progress.seconds)

    def leave(self) -> None:
        self.close_panel()
        self.facts.emit("scene_left", seconds=self.progress.seconds)

    # -- views ------------------------------------------------------------------------
    def _refresh_status(self) -> None:
        self.status.show(self.scene.script.title.get(self.language),
                         self.progress.summary(self.labels))

    def screen_position(self, point: tuple[float, float, float]) -> tuple[float, float] | None:
        """Pixel (x, y) from the top-left where a scene point appears, if in view."""
        camera = self.app.base.camera
        local = camera.getRelativePoint(self.app.render, Point3(*point))
        film = Point2()
        if not self.app.base.camLens.project(local, film):
            return None
        width, height = self.app.size
        return (film.x + 1) / 2 * width, (1 - film.y) / 2 * height

    def stereo_capture(self) -> np.ndarray:
        """Left and right eye side by side."""
        assert isinstance(self.xr, SimulatedXR), "create the view with xr='simulated'"
        left, right = self.xr.capture()
        return np.concatenate([left, right], axis=1)
