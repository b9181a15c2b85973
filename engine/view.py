"""ExhibitView: one scene of one exhibit, with everything a member can do in it."""

from __future__ import annotations

import uuid
import numpy as np
from panda3d.core import DynamicTextFont, Filename, Point2, Point3

from engine.app import ExhibitApp
from engine.avatars import Avatars
from engine.comfort import Vignette
from engine.facts import FactRecorder
from engine.hotspots import Hotspots
from engine.loading import LoadedExhibit
from engine.navigation import Navigation
from engine.outbox import FactSink
from engine.panel import Panel
from engine.progress import Progress
from engine.quiz import QuizResult, QuizSession
from engine.scene_graph import build_scene
from engine.shading import enable_shading
from engine.xr import SimulatedXR
from protocol.i18n import Language
from protocol.ui_text import UI_TEXT



class ExhibitView:
    def __init__(self, app: ExhibitApp, exhibit: LoadedExhibit, scene_id: str | None,
                 language: str = "zh-CN", stereo: bool = False, sink: FactSink | None = None,
                 session: uuid.UUID | None = None) -> None:
        self.app = app
        self.exhibit = exhibit
        self.language: Language = language  # type: ignore[assignment]
        self.scene = exhibit.scene(scene_id)
        script = self.scene.script
        self.shading = enable_shading(app)
        self.nodes = build_scene(exhibit, self.scene, app.render)
        app.base.setBackgroundColor(*self.nodes.sky)
        lens = app.base.camLens
        lens.setFov(75)
        lens.setNearFar(0.05, 3000)
        self.navigation = app.add(Navigation(app.render, app.base.camera, script))
        manifest = exhibit.package.manifest
        # A font of its own (not the shared pool), so each view sets its own resolution.
        self.font = DynamicTextFont(Filename.fromOsSpecific(str(exhibit.file(manifest.font))))
        self.font.setPixelsPerUnit(48)
        self.labels = {k: v.get(self.language) for k, v in UI_TEXT.items()}
        overlay = app.base.aspect2d
        ratio = app.size[0] / app.size[1]
        if stereo:
            # In a headset, panels float in the world 0.7 m ahead, about 0.5 m wide:
            # readable at arm's length, and seen by both eyes at the right depth.
            panels = app.base.camera.attachNewNode("vr-panels")
            panels.setPos(0, 0.7, 0)
            panels.setScale(0.34)  # letters ~17 mm tall at 0.7 m: about 1.4 degrees
            self.narration = Panel(panels, self.font, 1.5, "narration")
            self.narration.root.setPos(-0.75, 0, -0.1)
            self.status = Panel(panels, self.font, 1.5, "progress")
            self.status.root.setPos(-0.75, 0, 0.62)
        else:
            self.narration = Panel(overlay, self.font, 1.5, "narration")
            self.narration.root.setPos(-ratio + 0.05, 0, -0.25)
            self.status = Panel(overlay, self.font, 2 * ratio - 0.1, "progress")
            self.status.root.setPos(-ratio + 0.05, 0, 0.97)
        self.vignette = app.add(Vignette(overlay, self.navigation, ratio))
        self.hotspots = app.add(Hotspots(app.base.loader, app.render, script, self.select))
        self.avatars = app.add(Avatars(app.render, app.base.loader, app.clock))
        self.quiz = QuizSession(list(script.quiz))
        self.progress = app.add(Progress(len(script.hotspots), len(script.route)))
        self.facts = FactRecorder(sink, session or uuid.uuid4(), manifest.id, manifest.version,
                                  script.id)
        self.current: str | None = None
        self._opened_at = 0.0
        self.sounds: dict[str, object] = {}
        self.playing: str | None = None
        self.xr = SimulatedXR(app, app.base.camera, app.size) if stereo else None
        if self.xr is not None:
            app.add(self.xr)
        self.completed = False
        self.facts.emit("scene_entered")
        self._refresh_status()

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

    def _play(self, owner: str) -> None:
        tracks = self.scene.audio.get(owner, {})
        name = tracks.get(self.language) or tracks.get("zh-CN")
        if name is None:
            return
        sound = self.app.base.loader.loadSfx(Filename.fromOsSpecific(
            str(self.exhibit.file(name))))
        sound.play()
        self.sounds[owner], self.playing = sound, owner

    def _close_hotspot(self) -> None:
        if self.current is not None:
            dwell = self.progress.seconds - self._opened_at
            self.facts.emit("hotspot_viewed", hotspot=self.current, dwell_seconds=dwell)
            self.current = None

    def close_panel(self) -> None:
        self._close_hotspot()
        self.narration.hide()
        self.hotspots.highlight(None)

    def click(self, x: float, y: float) -> str | None:
        """Select the hotspot under film coordinates (-1..1); returns its id."""
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
        self._refresh_status()

    # -- quiz -------------------------------------------------------------------------
    def answer(self, item_id: str, choice: int) -> QuizResult:
        """Answer a quiz item; the panel says right or wrong and explains."""
        first = item_id not in self.quiz.answers
        result = self.quiz.answer(item_id, choice)
        item = self.quiz.item(item_id)
        verdict = self.labels["correct" if result.correct else "wrong"]
        right = item.choices[item.answer].get(self.language)
        self.narration.show(verdict, f"{right}\n{item.explain.get(self.language)}")
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
        assert self.xr is not None, "create the view with stereo=True"
        left, right = self.xr.capture()
        return np.concatenate([left, right], axis=1)
