"""The XR layer: where the head and hands are, and how each eye is rendered.

Backends: ``none`` (desktop), ``simulated`` (a scripted head and two controllers that
render both eyes to offscreen buffers with headset-like eye separation and asymmetric
projection; used by tests and previews) and ``openxr`` (a real runtime and headset).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal, Protocol

import numpy as np
from panda3d.core import (
    Camera,
    NodePath,
    PerspectiveLens,
)

from engine.app import ExhibitApp
from engine.eye_buffer import EyeBuffer, show_side_by_side

XRMode = Literal["none", "simulated", "openxr"]
IPD = 0.064  # metres, a typical adult interpupillary distance
# Per-eye field of view in degrees (outer, inner, up, down), like current headsets.
EYE_FOV = (52.0, 44.0, 48.0, 52.0)


@dataclass
class Pose:
    position: tuple[float, float, float]
    hpr: tuple[float, float, float]


def _mix(u: tuple[float, float, float], v: tuple[float, float, float], k: float
         ) -> tuple[float, float, float]:
    """The point ``k`` of the way from ``u`` to ``v``."""
    return (u[0] + (v[0] - u[0]) * k, u[1] + (v[1] - u[1]) * k, u[2] + (v[2] - u[2]) * k)


@dataclass
class HeadScript:
    """Keyframes (seconds, pose) of the head inside the rig, linearly interpolated."""

    keys: list[tuple[float, Pose]] = field(default_factory=list)

    def at(self, t: float) -> Pose | None:
        if not self.keys:
            return None
        if t <= self.keys[0][0]:
            return self.keys[0][1]
        for (t0, a), (t1, b) in zip(self.keys, self.keys[1:]):
            if t <= t1:
                k = (t - t0) / (t1 - t0)
                return Pose(_mix(a.position, b.position, k), _mix(a.hpr, b.hpr, k))
        return self.keys[-1][1]


class Headset(Protocol):
    """What the view needs of an XR backend, simulated or real."""

    name: str
    controllers: dict[str, NodePath]  # nodes on the rig where each hand points
    on_trigger: list[Callable[[str], object]]  # called with the hand whose trigger went down
    on_button: list[Callable[[str], object]]  # called with "hand" or "react" (left buttons)
    sticks: dict[str, tuple[float, float]]  # each hand's thumbstick, -1..1
    on_exit: list[Callable[[], object]]  # called when the headset ends the visit
    hands_tracked: bool  # False: no controller points, so hotspots are chosen by gaze

    def update(self, dt: float) -> None: ...

    def mirror(self) -> None: ...

    def pulse(self, side: str, amplitude: float = 0.5, seconds: float = 0.03) -> None: ...

    def close(self) -> None: ...


def eye_lens(side: str, near: float = 0.05, far: float = 3000.0) -> PerspectiveLens:
    """An asymmetric frustum: each eye sees farther outward than inward."""
    outer, inner, up, down = (math.radians(a) for a in EYE_FOV)
    left, right = (outer, inner) if side == "left" else (inner, outer)
    lens = PerspectiveLens()
    fov_lens(lens, -left, right, up, -down)
    lens.setNearFar(near, far)
    return lens


def fov_lens(lens: PerspectiveLens, left: float, right: float, up: float, down: float) -> None:
    """Shape ``lens`` to a field of view given as OpenXR does: the angles of the frustum's
    sides in radians, left and down negative."""
    t_left, t_right, t_up, t_down = (math.tan(a) for a in (left, right, up, down))
    lens.setFilmSize(t_right - t_left, t_up - t_down)
    lens.setFocalLength(1.0)
    lens.setFilmOffset((t_right + t_left) / 2, (t_up + t_down) / 2)


class SimulatedXR:
    """Two eye cameras on the head, each rendering to its own offscreen buffer."""

    name = "simulated"

    def __init__(self, app: ExhibitApp, head: NodePath, eye_size: tuple[int, int] = (640, 640),
                 script: HeadScript | None = None, tonemap: bool = True,
                 panels: NodePath | None = None) -> None:
        self.app = app
        self.head = head
        self.script = script or HeadScript()
        self.time = 0.0
        self.eyes: dict[str, NodePath] = {}
        self.buffers: dict[str, EyeBuffer] = {}
        for side, offset in (("left", -IPD / 2), ("right", IPD / 2)):
            eye = head.attachNewNode(Camera(f"{side}-eye", eye_lens(side)))
            eye.setX(offset)
            self.eyes[side] = eye
            self.buffers[side] = EyeBuffer(app, f"{side}-eye", eye_size, eye, tonemap, panels,
                                           ram=True)
        self.textures = {side: buffer.texture for side, buffer in self.buffers.items()}
        self.controllers = {side: head.getParent().attachNewNode(f"{side}-controller")
                            for side in ("left", "right")}
        for side, x in (("left", -0.2), ("right", 0.2)):
            self.controllers[side].setPos(x, 0.35, 1.1)
        # Called with "left" or "right" when that controller's trigger is pressed.
        self.on_trigger: list[Callable[[str], object]] = []
        # Called with "hand" or "react" when the left hand's X or Y button is pressed.
        self.on_button: list[Callable[[str], object]] = []
        self.sticks: dict[str, tuple[float, float]] = {"left": (0.0, 0.0), "right": (0.0, 0.0)}
        self.pulses: list[tuple[str, float, float]] = []  # (side, amplitude, seconds) felt
        self.on_exit: list[Callable[[], object]] = []  # a scripted head never takes it off
        self.hands_tracked = True

    def mirror(self) -> None:
        """Show both eyes side by side in the app's window, as a headset's mirror view
        does, in place of the single desktop camera."""
        show_side_by_side(self.app, [self.textures["left"], self.textures["right"]])

    def push_stick(self, side: str, x: float, y: float) -> None:
        """The scripted hand holds ``side``'s thumbstick at (x, y), each in -1..1."""
        self.sticks[side] = (x, y)

    def press_trigger(self, side: str) -> None:
        """The scripted hand pulls ``side``'s trigger."""
        for listener in self.on_trigger:
            listener(side)

    def press_button(self, name: str) -> None:
        """The scripted left hand presses its ``hand`` (X) or ``react`` (Y) button."""
        for listener in self.on_button:
            listener(name)

    def pulse(self, side: str, amplitude: float = 0.5, seconds: float = 0.03) -> None:
        """The scripted hand feels a buzz; kept in ``pulses``."""
        self.pulses.append((side, amplitude, seconds))

    def update(self, dt: float) -> None:
        self.time += dt
        pose = self.script.at(self.time)
        if pose is not None:
            self.head.setPos(*pose.position)
            self.head.setHpr(*pose.hpr)

    def close(self) -> None:
        for buffer in self.buffers.values():
            buffer.remove(self.app)

    def capture(self) -> tuple[np.ndarray, np.ndarray]:
        """Both eyes' last frames as (h, w, 3) RGB arrays."""
        self.app.base.graphicsEngine.renderFrame()
        images = []
        for side in ("left", "right"):
            texture = self.textures[side]
            data = np.frombuffer(bytes(texture.getRamImageAs("RGB")), dtype=np.uint8)
            images.append(data.reshape(texture.getYSize(), texture.getXSize(), 3)[::-1].copy())
        return images[0], images[1]
