"""The narrator (数字人讲解员) standing in a scene and speaking its narration.

Each frame the figure breathes, blinks at seeded random intervals, turns its head toward
the member (within a clamp, as a neck allows) and, while a narration plays, shapes its mouth
from the narration's lip-sync track at the audio's playback time. When a narration starts
it turns toward the hotspot being explained and gestures at it with its right arm.

The figure faces -y in its own model space (glTF +z forward, converted to Panda3D's z-up).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from typing import Any

from direct.actor.Actor import Actor
from panda3d.core import AudioSound, NodePath, Point3

from engine.loading import LoadedExhibit
from engine.narrator_face import Blinker, approach, envelope, mouth_at
from protocol.lipsync import LipSyncTrack
from protocol.package import MalformedPackage
from protocol.scene import Narrator as NarratorSpec
from protocol.scene import SceneScript

HEAD_YAW_LIMIT = 60.0  # degrees either side of the chest
HEAD_PITCH_LIMIT = 20.0
BODY_TURN_LIMIT = 75.0  # how far a gesture turns the body from where it stands facing
HEAD_RATE = 6.0  # 1/s: how quickly the head follows
GESTURE_RAMP = 0.6  # seconds to raise (and lower) the arm, as the figure's animation does
BREATH_SECONDS = 4.0
BREATH_DEGREES = 1.2


def heading_of(facing: float | tuple[float, float, float],
               position: tuple[float, float, float]) -> float:
    """The heading (0 faces +y, 90 faces -x) a narrator standing at ``position`` faces."""
    if isinstance(facing, float | int):
        return float(facing)
    dx, dy = facing[0] - position[0], facing[1] - position[1]
    return math.degrees(math.atan2(-dx, dy))


def _wrap(degrees: float) -> float:
    return (degrees + 180.0) % 360.0 - 180.0


class NarratorFigure:
    """The narrator of one scene, updated every frame by the app.

    Args:
        actor: the rigged figure (see ``assets/_generate/narrator.py``), not yet placed.
        spec: where it stands and what it speaks, from the scene script.
        parent: the scene's root node.
        viewer: the member's eyes (the camera), which the head turns toward.
        now: the engine clock.
        seed: the blink schedule's seed (the scene's id makes one).
    """

    def __init__(self, actor: Actor, spec: NarratorSpec, parent: NodePath, viewer: NodePath,
                 now: Callable[[], float], seed: str) -> None:
        self.actor = actor
        self.spec = spec
        self.viewer = viewer
        self._now = now
        self.facing = heading_of(spec.facing, spec.position)
        actor.reparentTo(parent)
        actor.setPos(*spec.position)
        actor.setH(self.facing + 180.0)  # the figure faces -y; heading 0 faces +y
        head = actor.exposeJoint(None, "modelRoot", "head")
        self.head_height = head.getPos(actor).z if head is not None else 1.6
        self.head_node = head
        # where its voice comes from: the head, following its turns (the figure without one)
        self.voice_node: NodePath = head if head is not None else actor
        hand = actor.exposeJoint(None, "modelRoot", "hand.R")
        self.hand_aside = abs(hand.getPos(actor).x) if hand is not None else 0.0
        self.sliders = {name: actor.controlJoint(None, "modelRoot", name)
                        for name in ("viseme_A", "viseme_E", "viseme_O", "viseme_S", "blink")}
        self.head = actor.controlJoint(None, "modelRoot", "head")
        self.chest = actor.controlJoint(None, "modelRoot", "chest")
        start = now()
        self.blinker = Blinker(int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8]),
                               start)
        self._born = start
        self.head_yaw = 0.0
        self.head_pitch = 0.0
        self.body_turn = 0.0
        self.track: LipSyncTrack | None = None
        self.sound: Any = None
        self.spoke_at = 0.0
        self.gesture_at: float | None = None
        self.gesture_turn = 0.0
        self.gesture_length = (actor.getNumFrames("gesture") / actor.getFrameRate("gesture")
                               if "gesture" in actor.getAnimNames() else 0.0)

    # -- what it speaks -----------------------------------------------------------------
    def speaks(self, owner: str) -> bool:
        """Whether narration ``owner`` (a hotspot id or ``stop:<id>``) is the narrator's."""
        if owner.startswith("stop:"):
            return self.spec.stops is None or owner[5:] in self.spec.stops
        return self.spec.hotspots is None or owner in self.spec.hotspots

    def speak(self, track: LipSyncTrack | None, sound: Any,
              toward: tuple[float, float, float] | None) -> None:
        """Start speaking ``sound`` with ``track``'s mouth shapes, gesturing ``toward`` the
        point being explained (ahead when None)."""
        now = self._now()
        self.track, self.sound, self.spoke_at = track, sound, now
        self.gesture_at = now if self.gesture_length > 0 else None
        self.gesture_turn = 0.0
        if toward is not None:
            position = self.actor.getPos()
            bearing = heading_of((toward[0], toward[1], toward[2]),
                                 (position.x, position.y, position.z))
            # The arm points straight ahead from the right shoulder: turn so that the line
            # from the hand, not from the middle of the body, meets the point.
            distance = math.hypot(toward[0] - position.x, toward[1] - position.y)
            aside = math.degrees(math.asin(min(self.hand_aside / max(distance, 1e-6), 1.0)))
            turn = _wrap(bearing + aside - self.facing)
            self.gesture_turn = max(-BODY_TURN_LIMIT, min(BODY_TURN_LIMIT, turn))

    def silence(self) -> None:
        """Stop speaking (the panel was closed); the gesture finishes on its own."""
        self.track, self.sound = None, None

    def speech_time(self) -> float | None:
        """Seconds into the narration being spoken: the audio's own playback time while
        it plays on a device, else the engine clock since it started (no audio device)."""
        if self.track is None:
            return None
        sound = self.sound
        if sound is not None and sound.status() == AudioSound.PLAYING and sound.length() > 0:
            return float(sound.getTime())
        return self._now() - self.spoke_at

    def mouth(self) -> dict[str, float]:
        """The mouth targets' weights now."""
        seconds = self.speech_time()
        if self.track is None or seconds is None:
            return dict.fromkeys(("viseme_A", "viseme_E", "viseme_O", "viseme_S"), 0.0)
        return mouth_at(self.track, seconds)

    # -- every frame --------------------------------------------------------------------
    def update(self, dt: float) -> None:
        now = self._now()
        for name, weight in {**self.mouth(), "blink": self.blinker.weight(now)}.items():
            slider = self.sliders.get(name)
            if slider is not None:
                slider.setX(weight)
        if self.chest is not None:  # breathing: the chest rises and falls
            phase = 2 * math.pi * (now - self._born) / BREATH_SECONDS
            self.chest.setP(-BREATH_DEGREES * (0.5 - 0.5 * math.cos(phase)))
        gesture = self._gesture(now)
        self.body_turn = self.gesture_turn * gesture
        self.actor.setH(self.facing + 180.0 + self.body_turn)
        yaw, pitch = self._toward_viewer()
        # While gesturing the head follows the arm toward the hotspot, then comes back.
        yaw, pitch = yaw * (1 - gesture), pitch * (1 - gesture)
        self.head_yaw = approach(self.head_yaw, yaw, HEAD_RATE, dt)
        self.head_pitch = approach(self.head_pitch, pitch, HEAD_RATE, dt)
        if self.head is not None:
            self.head.setHpr(self.head_yaw, self.head_pitch, 0)

    def _gesture(self, now: float) -> float:
        """Poses the arm at the gesture's frame; returns how far into it (0..1) it is."""
        if self.gesture_at is None:
            return 0.0
        seconds = now - self.gesture_at
        if seconds >= self.gesture_length:
            self.gesture_at = None
            self.actor.pose("gesture", self.actor.getNumFrames("gesture") - 1)  # at rest
            return 0.0
        self.actor.pose("gesture", seconds * self.actor.getFrameRate("gesture"))
        return envelope(seconds, self.gesture_length, GESTURE_RAMP)

    def _toward_viewer(self) -> tuple[float, float]:
        """Head yaw and pitch (degrees, clamped) that face the viewer's eyes."""
        eye = self.actor.getRelativePoint(self.viewer, Point3(0, 0, 0))
        dx, dy, dz = eye.x, eye.y, eye.z - self.head_height
        yaw = math.degrees(math.atan2(dx, -dy))  # the figure faces -y
        pitch = -math.degrees(math.atan2(dz, math.hypot(dx, dy)))  # +p looks down
        return (max(-HEAD_YAW_LIMIT, min(HEAD_YAW_LIMIT, yaw)),
                max(-HEAD_PITCH_LIMIT, min(HEAD_PITCH_LIMIT, pitch)))

    def destroy(self) -> None:
        self.actor.cleanup()
        self.actor.removeNode()


def load_narrator(exhibit: LoadedExhibit, script: SceneScript, parent: NodePath,
                  viewer: NodePath, now: Callable[[], float]) -> NarratorFigure:
    """The scene's narrator from its figure in the package (converted once, cached)."""
    spec = script.narrator
    if spec is None or spec.model is None:
        raise MalformedPackage(f"{exhibit.package.path}: scene `{script.id}` has a narrator "
                               "but names no figure for it")
    actor = Actor(exhibit.model(spec.model))
    return NarratorFigure(actor, spec, parent, viewer, now, script.id)
