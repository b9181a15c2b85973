"""The XR layer: where the head and hands are, and how each eye is rendered.

Backends: ``none`` (desktop), ``simulated`` (a scripted head and two controllers that
render both eyes to offscreen buffers with headset-like eye separation and asymmetric
projection; used by tests and previews) and ``openxr`` (a real runtime and headset).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from panda3d.core import (
    Camera,
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    NodePath,
    PerspectiveLens,
    Texture,
    WindowProperties,
)

from engine.app import ExhibitApp
from engine.errors import XRUnavailable

IPD = 0.064  # metres, a typical adult interpupillary distance
# Per-eye field of view in degrees (outer, inner, up, down), like current headsets.
EYE_FOV = (52.0, 44.0, 48.0, 52.0)


@dataclass
class Pose:
    position: tuple[float, float, float]
    hpr: tuple[float, float, float]


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
                mix = lambda u, v: tuple(x + (y - x) * k for x, y in zip(u, v))  # noqa: E731
                return Pose(mix(a.position, b.position), mix(a.hpr, b.hpr))  # type: ignore
        return self.keys[-1][1]


def eye_lens(side: str, near: float = 0.05, far: float = 3000.0) -> PerspectiveLens:
    """An asymmetric frustum: each eye sees farther outward than inward."""
    outer, inner, up, down = (math.radians(a) for a in EYE_FOV)
    left, right = (outer, inner) if side == "left" else (inner, outer)
    lens = PerspectiveLens()
    width = math.tan(left) + math.tan(right)
    height = math.tan(up) + math.tan(down)
    lens.setFilmSize(width, height)
    lens.setFocalLength(1.0)
    lens.setFilmOffset((math.tan(right) - math.tan(left)) / 2, (math.tan(up) - math.tan(down)) / 2)
    lens.setNearFar(near, far)
    return lens


class SimulatedXR:
    """Two eye cameras on the head, each rendering to its own offscreen buffer."""

    name = "simulated"

    def __init__(self, app: ExhibitApp, head: NodePath, eye_size: tuple[int, int] = (640, 640),
                 script: HeadScript | None = None) -> None:
        self.app = app
        self.head = head
        self.script = script or HeadScript()
        self.time = 0.0
        self.eyes: dict[str, NodePath] = {}
        self.textures: dict[str, Texture] = {}
        self.buffers: dict[str, GraphicsOutput] = {}
        for side, offset in (("left", -IPD / 2), ("right", IPD / 2)):
            texture = Texture(f"{side}-eye")
            buffer = app.base.graphicsEngine.makeOutput(
                app.base.pipe, f"{side}-eye", -2, FrameBufferProperties.getDefault(),
                WindowProperties.size(*eye_size), GraphicsPipe.BF_refuse_window,
                app.base.win.getGsg(), app.base.win)
            buffer.addRenderTexture(texture, GraphicsOutput.RTMCopyRam)
            buffer.setClearColor(app.base.win.getClearColor())
            camera = Camera(f"{side}-eye", eye_lens(side))
            eye = head.attachNewNode(camera)
            eye.setX(offset)
            region = buffer.makeDisplayRegion()
            region.setCamera(eye)
            self.eyes[side], self.textures[side], self.buffers[side] = eye, texture, buffer
        self.controllers = {side: head.getParent().attachNewNode(f"{side}-controller")
                            for side in ("left", "right")}
        for side, x in (("left", -0.2), ("right", 0.2)):
            self.controllers[side].setPos(x, 0.35, 1.1)
        # Called with "left" or "right" when that controller's trigger is pressed.
        self.on_trigger: list[Callable[[str], object]] = []
        self.sticks: dict[str, tuple[float, float]] = {"left": (0.0, 0.0), "right": (0.0, 0.0)}

    def mirror(self) -> None:
        """Show both eyes side by side in the app's window, as a headset's mirror view
        does, in place of the single desktop camera."""
        window = self.app.base.win
        for index, side in enumerate(("left", "right")):
            region = window.makeDisplayRegion(index * 0.5, index * 0.5 + 0.5, 0, 1)
            region.setSort(20)  # over the desktop view's regions
            region.setCamera(self.eyes[side])
            region.setClearColorActive(True)
            region.setClearColor(window.getClearColor())
            region.setClearDepthActive(True)
        self.app.base.cam.node().setActive(False)  # the desktop camera would draw unseen

    def push_stick(self, side: str, x: float, y: float) -> None:
        """The scripted hand holds ``side``'s thumbstick at (x, y), each in -1..1."""
        self.sticks[side] = (x, y)

    def press_trigger(self, side: str) -> None:
        """The scripted hand pulls ``side``'s trigger."""
        for listener in self.on_trigger:
            listener(side)

    def update(self, dt: float) -> None:
        self.time += dt
        pose = self.script.at(self.time)
        if pose is not None:
            self.head.setPos(*pose.position)
            self.head.setHpr(*pose.hpr)

    def capture(self) -> tuple[np.ndarray, np.ndarray]:
        """Both eyes' last frames as (h, w, 3) RGB arrays."""
        self.app.base.graphicsEngine.renderFrame()
        images = []
        for side in ("left", "right"):
            texture = self.textures[side]
            data = np.frombuffer(bytes(texture.getRamImageAs("RGB")), dtype=np.uint8)
            images.append(data.reshape(texture.getYSize(), texture.getXSize(), 3)[::-1].copy())
        return images[0], images[1]


def require_openxr() -> None:
    """Raise ``XRUnavailable`` with what to do when no OpenXR runtime can be reached."""
    try:
        import xr  # pyopenxr
    except ImportError as exc:
        raise XRUnavailable("OpenXR support is not installed: `pip install pyopenxr`, then "
                            "start your headset's OpenXR runtime (SteamVR, Monado, Meta "
                            "Quest Link); or use --xr simulated to preview") from exc
    try:
        xr.enumerate_instance_extension_properties()
    except Exception as exc:  # the loader raises its own types when no runtime is active
        raise XRUnavailable(f"no OpenXR runtime is running ({exc}); start one (SteamVR, "
                            "Monado, Meta Quest Link) or use --xr simulated") from exc
