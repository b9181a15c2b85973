"""Clocks the engine runs on: the wall clock in use, a manual one in tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since an arbitrary start."""
        ...


class WallClock:
    def now(self) -> float:
        return time.monotonic()


class ManualClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: float = 0.0) -> None:
        self.t = start

    def now(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds
