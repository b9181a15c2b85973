"""The app's lifetime: what it starts each frame ends with it."""

from __future__ import annotations

from engine.app import ExhibitApp
from engine.clock import ManualClock


class _Counter:
    def __init__(self) -> None:
        self.updates = 0

    def update(self, dt: float) -> None:
        self.updates += 1


def test_a_destroyed_app_stops_updating_its_systems() -> None:
    first = ExhibitApp("offscreen", (32, 18), ManualClock())
    counter = first.add(_Counter())
    first.step()
    assert counter.updates == 1
    first.destroy()
    second = ExhibitApp("offscreen", (32, 18), ManualClock())
    try:
        for _ in range(3):
            second.step()
        assert counter.updates == 1  # Panda3D's task manager outlives a ShowBase
        names = [task.name for task in second.base.taskMgr.getAllTasks()]
        assert names.count("redhall-frame") == 1
        assert names.count("redhall-collect-states") <= 1
    finally:
        second.destroy()
