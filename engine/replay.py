"""Replays a recorded tour in a view: the guide's avatar walks the recorded route with the
guide's voice playing from it (Panda3D 3D audio), the guide's stops, highlights and laser
appear as they did, and each quiz item comes up for the viewer to answer. Pause, seek and
1.5× speed. :class:`ReplayFacts` marks the visit's facts as a replay of the tour (not
attendance)."""

from __future__ import annotations

import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np
from panda3d.core import LineSegs

from engine.avatars import INTERPOLATION_DELAY, AvatarPose
from engine.outbox import FactSink
from engine.replay_recording import Recording, ReplayError
from engine.replay_timeline import Playback, Timeline, TourAt
from engine.spatial_audio import SpatialAudio
from engine.view import ExhibitView
from engine.xr import XRMode
from protocol.participation import ParticipationFact

RATE = 48_000
GUIDE = "guide"  # the replayed guide's avatar


def decode_voice(path: Path, limit_seconds: float) -> np.ndarray:
    """A recorded voice as ``(n,) int16`` at 48 kHz (at most ``limit_seconds``)."""
    chunks: list[np.ndarray] = []
    total, limit = 0, int(limit_seconds * RATE) + RATE
    try:
        with av.open(str(path)) as container:
            for frame in container.decode(audio=0):
                samples: np.ndarray = np.asarray(frame.to_ndarray()).reshape(-1)
                if samples.dtype.kind == "f":
                    samples = np.clip(samples * 32767, -32768, 32767)
                chunks.append(samples.astype(np.int16))
                total += len(samples)
                if total > limit:
                    break
    except (av.error.FFmpegError, ValueError) as exc:
        raise ReplayError(f"{path.name} is not a playable Ogg Opus voice: {exc}") from None
    return np.concatenate(chunks)[:limit] if chunks else np.zeros(0, np.int16)


class ReplayFacts:
    """A fact sink that marks every fact as a replay of ``tour`` before passing it on, from
    the view's first (entering the scene) to its last."""

    def __init__(self, sink: FactSink, tour: int) -> None:
        self.sink = sink
        self.tour = tour

    def emit(self, fact: ParticipationFact) -> None:
        self.sink.emit(fact.model_copy(update={"replay_of": self.tour}))


class ReplaySystem:
    """Drives ``view`` from ``recording``; added to the view's app as a system."""

    def __init__(self, view: ExhibitView, recording: Recording, cache: Path) -> None:
        self.view = view
        self.recording = recording
        seat = recording.guide_seat
        self.timeline = Timeline(recording.messages,
                                 recording.poses.get(seat, []) if seat is not None else [],
                                 recording.scene)
        self.playback = Playback(recording.duration)
        voice = recording.voices.get(seat) if seat is not None else None
        self.voice = decode_voice(voice, recording.duration) if voice else np.zeros(0, np.int16)
        app = view.app
        self.voice_node = app.render.attachNewNode("guide-voice")
        self.laser = app.render.attachNewNode("replay-laser")
        self.shown = TourAt()
        self.audio_missing: str | None = None  # why the voice cannot be heard, said once
        self.sound = self._load_sound(cache) if len(self.voice) else None
        view.quiz_by_tour = None  # the viewer answers on their own
        # called with each new view as the replay follows the tour to another scene
        self.on_scene_change: list[Callable[[ExhibitView], object]] = []
        app.add(self)
        self._apply()

    # -- controls ---------------------------------------------------------------------

    def toggle_pause(self) -> None:
        self.playback.paused = not self.playback.paused
        self._sync_sound()

    def seek(self, t: float) -> None:
        self.playback.seek(t)
        self._apply()
        self._sync_sound()

    def set_speed(self, speed: float) -> None:
        self.playback.set_speed(speed)
        self._sync_sound()

    def voice_at(self, t: float, seconds: float = 0.02) -> np.ndarray:
        """The guide's voice that plays at replay time ``t``: ``(n,) int16``."""
        start = max(0, int(t * RATE))
        return self.voice[start:start + int(seconds * RATE)]

    # -- each frame -------------------------------------------------------------------

    def update(self, dt: float) -> None:
        self.playback.advance(dt)
        self._apply()

    def _apply(self) -> None:
        t = self.playback.position
        guide = self.timeline.guide_at(t)
        if guide is not None:
            head, heading = guide
            at = self.view.app.clock.now() - INTERPOLATION_DELAY
            self.view.avatars.receive(GUIDE, AvatarPose(at, head, heading, head, head))
            self.voice_node.setPos(*head)
        state = self.timeline.tour_at(t)
        if state == self.shown:
            return
        before, self.shown = self.shown, state
        if state.scene is not None and state.scene != self.view.scene.script.id \
                and any(ref.id == state.scene for ref in self.view.exhibit.package.manifest.scenes):
            self._change_scene(state.scene)
            before = TourAt(scene=state.scene)  # the new view shows all of it afresh
        view = self.view
        here = view.scene.script
        if state.stop != before.stop and state.stop is not None and state.scene in (None, here.id) \
                and any(s.id == state.stop for s in here.route):
            view.go_to_stop(state.stop)
        if state.highlight != before.highlight:
            view.hotspots.highlight(state.highlight)
        if state.laser != before.laser:
            self._draw_laser(state)
        if state.quiz is not None and (before.quiz is None or before.quiz.item != state.quiz.item):
            try:
                view.quiz.item(state.quiz.item)
            except KeyError:
                return  # an item of another scene
            view.offer_quiz(state.quiz.item)

    def _change_scene(self, scene: str) -> None:
        """Leaves the scene shown and shows ``scene``, keeping the avatars, the headset and
        the visit's session, as a live tour does."""
        old = self.view
        old.leave()
        carry = old.detach()
        xr: XRMode = "none" if old.xr is None else (
            "simulated" if old.xr.name == "simulated" else "openxr")
        self.view = ExhibitView(old.app, old.exhibit, scene, old.language, xr=xr,
                                sink=old.facts.sink, session=old.facts.session, carry=carry)
        self.view.quiz_by_tour = None
        for listener in list(self.on_scene_change):
            listener(self.view)

    def can_walk(self) -> bool:
        """The viewer walks freely: a replay locks no one."""
        return True

    def _draw_laser(self, state: TourAt) -> None:
        self.laser.getChildren().detach()
        if state.laser is None:
            return
        origin, target = state.laser
        lines = LineSegs("laser-beam")
        lines.setColor(1.0, 0.1, 0.1, 1.0)
        lines.setThickness(3)
        lines.moveTo(*origin)
        lines.drawTo(*(target or origin))
        self.laser.attachNewNode(lines.create())

    # -- sound ------------------------------------------------------------------------

    def _load_sound(self, cache: Path) -> Any:
        app = self.view.app
        self.spatial = SpatialAudio(app)
        if not self.spatial.device:
            self.audio_missing = "no sound device here: the replay goes on without the voice"
            return None
        cache.mkdir(parents=True, exist_ok=True)
        path = cache / f"replay-{self.recording.tour}-{int(self.recording.start)}.wav"
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(self.voice.tobytes())
        app.add(self.spatial)  # the guide is heard from the avatar, wherever it walks
        sound = self.spatial.load(path)
        self.spatial.attach(sound, self.voice_node)
        sound.play()
        return sound

    def _sync_sound(self) -> None:
        if self.sound is None:
            return
        self.sound.stop()
        self.sound.setPlayRate(self.playback.speed)
        if not self.playback.paused:
            self.sound.setTime(self.playback.position)
            self.sound.play()


