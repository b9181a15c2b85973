"""ExhibitApp: one Panda3D ShowBase, driven by one frame task that updates small systems.

Nothing here reads the `base`/`render`/`loader` builtins; everything is reached through
the app. ``step(dt)`` advances an injected clock and renders one frame, so tests move
time deterministically.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, Protocol, TypeVar

import numpy as np
from direct.showbase.ShowBase import ShowBase
from direct.task import Task
from panda3d.core import NodePath, RenderState, TransformState, loadPrcFileData, unloadPrcFile

from engine.clock import Clock, ManualClock, WallClock

# what a task answers to run again next frame
CONT: int = Task.cont

WindowType = Literal["onscreen", "offscreen", "none"]


class System(Protocol):
    def update(self, dt: float) -> None:
        """Advance by ``dt`` seconds."""
        ...


S = TypeVar("S", bound=System)


class ExhibitApp:
    """The engine's application object.

    Args:
        window_type: ``onscreen`` (a desktop window), ``offscreen`` (a buffer, works
            without a display through p3headlessgl) or ``none`` (no rendering).
        size: framebuffer width and height in pixels.
        clock: where time comes from; a ``ManualClock`` in tests.
    """

    def __init__(self, window_type: WindowType = "offscreen", size: tuple[int, int] = (960, 540),
                 clock: Clock | None = None) -> None:
        lines = [f"window-type {window_type}", f"win-size {size[0]} {size[1]}",
                 "sync-video false", "show-frame-rate-meter false", "textures-power-2 none",
                 "framebuffer-multisample false"]
        if window_type != "onscreen":
            lines += ["load-display p3headlessgl", "aux-display p3headlessgl",
                      "audio-library-name null"]
        self._prc = loadPrcFileData("redhall-engine", "\n".join(lines))
        self.base = ShowBase(windowType=window_type)
        self.window_type = window_type
        self.size = size
        self.clock = clock or WallClock()
        self.render: NodePath = self.base.render
        # Opaque geometry drawn in scene order: sorted by render state (Panda3D's default)
        # the order followed memory addresses, so surfaces at equal depth (thin strands
        # far off) came out differently from one process to the next, and a package's
        # thumbnails with them; the same frame is now the same pixels in every process.
        from panda3d.core import CullBinManager

        CullBinManager.getGlobalPtr().setBinType("opaque", CullBinManager.BT_fixed)
        self.systems: list[System] = []
        self._last = self.clock.now()
        # Panda3D's task manager outlives a ShowBase: the app's tasks leave with it, or a
        # later app in the process would also run this one's systems every frame
        self._tasks: list[Task.Task] = []
        self.add_task(self._frame, "redhall-frame", sort=-10)
        # Panda3D sweeps its caches of render and transform states for unused ones every
        # frame; a sweep every tenth frame frees them as surely and pays the sweep's fixed
        # part once in ten frames (measured: 0.3-1 ms less app time a frame in Luding)
        if self.base.taskMgr.hasTaskNamed("garbageCollectStates"):
            self.base.taskMgr.remove("garbageCollectStates")
            self.add_task(self._collect_states, "redhall-collect-states", sort=46)
        self._frames = 0

    @property
    def renderer(self) -> str:
        """The OpenGL renderer string, e.g. ``llvmpipe`` on Mesa without a GPU."""
        gsg = self.base.win.getGsg() if self.base.win is not None else None
        return gsg.getDriverRenderer() if gsg is not None else "none"

    def add(self, system: S) -> S:
        """Updates ``system`` every frame from now on, after those added before it."""
        self.systems.append(system)
        return system

    def add_task(self, run: Callable[[Task.Task], int], name: str, sort: int) -> None:
        """Runs ``run`` every frame at ``sort`` until the app is destroyed."""
        self._tasks.append(self.base.taskMgr.add(run, name, sort=sort))

    def remove(self, system: System) -> None:
        """Stops updating ``system`` (a scene being left); one not added is ignored."""
        self.systems = [s for s in self.systems if s is not system]  # by identity

    def _frame(self, task: Task.Task) -> int:
        now = self.clock.now()
        dt, self._last = max(now - self._last, 0.0), now
        systems = self.systems
        for system in tuple(systems):  # a system may swap others out (a scene change)
            if self.systems is not systems and not any(s is system for s in self.systems):
                continue  # removed during this frame
            system.update(dt)
        return CONT

    def _collect_states(self, task: Task.Task) -> int:
        self._frames += 1
        if self._frames % 10 == 0:
            TransformState.garbageCollect()
            RenderState.garbageCollect()
        return CONT

    def step(self, dt: float = 1 / 60) -> None:
        """Advance the clock by ``dt`` (when it is manual) and run one frame."""
        if isinstance(self.clock, ManualClock):
            self.clock.advance(dt)
        self.base.taskMgr.step()

    def capture(self) -> np.ndarray:
        """The last rendered frame as (height, width, 3) uint8 RGB, top row first."""
        self.base.graphicsEngine.renderFrame()
        texture = self.base.win.getScreenshot()
        data = np.frombuffer(bytes(texture.getRamImageAs("RGB")), dtype=np.uint8)
        return data.reshape(texture.getYSize(), texture.getXSize(), 3)[::-1].copy()

    def run(self) -> None:
        """Run until the window closes (desktop use)."""
        self.base.run()

    def destroy(self) -> None:
        for task in self._tasks:
            self.base.taskMgr.remove(task)
        self._tasks.clear()
        self.base.destroy()
        unloadPrcFile(self._prc)
