"""What a live tour tells a recorder: every broadcast control message, every relayed voice
packet and the guides' poses, all on the tour clock (server time, seconds since the epoch,
the clock of ``welcome.server_time`` and of a voice packet's capture time).

The hub calls a :data:`RecorderFactory` when a tour opens on this process and the tour
calls ``close()`` when it closes. With Redis several processes run the same tour, and each
calls its own factory: each sees the whole tour (voice and poses from the other processes
too). Calls come from the event loop and must be cheap; a recorder that raises is logged
once and dropped, and the tour goes on without it (:class:`GuardedRecorder`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel

from server.live.plan import TourPlan

log = logging.getLogger("redhall.tours")


class TourRecorder(Protocol):
    def event(self, at: float, message: BaseModel) -> None:
        """A control message sent to everyone (or to the guides: roster and quiz counts
        in large tours), as the tour applied it at ``at``."""

    def voice(self, seat: int, capture: float, payload: bytes) -> None:
        """One relayed Opus packet (20 ms, mono, 48 kHz clock) spoken by ``seat``."""

    def pose(self, seat: int, at: float, message: bytes) -> None:
        """A guide's or co-guide's 46-byte pose message (``protocol.tour_poses``)."""

    def withdraw(self, user: int) -> None:
        """``user`` withdrew their consent to keep their voice, or their account went
        (told on any server process, ``Hub.withdraw_voice``): keep no more of it as a
        member, and remove what was kept."""

    def close(self) -> None:
        """The tour closed on this process; nothing more follows."""


RecorderFactory = Callable[[TourPlan], TourRecorder | None]


class GuardedRecorder:
    """Passes calls on to a recorder until it raises once; then logs it and lets go."""

    def __init__(self, tour: int, recorder: TourRecorder | None) -> None:
        self.tour = tour
        self.recorder = recorder

    @classmethod
    def open(cls, factory: RecorderFactory | None, plan: TourPlan) -> GuardedRecorder:
        if factory is None:
            return cls(plan.tour, None)
        try:
            return cls(plan.tour, factory(plan))
        except Exception:
            log.exception("tour %s: the recorder could not start; the tour goes on "
                          "unrecorded", plan.tour)
            return cls(plan.tour, None)

    @property
    def active(self) -> bool:
        return self.recorder is not None

    def _failed(self, what: str) -> None:
        log.exception("tour %s: the recorder failed on %s; the rest of the tour is not "
                      "recorded on this process", self.tour, what)
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            try:
                recorder.close()
            except Exception:  # already failing; its first error is logged above
                log.debug("tour %s: closing a failed recorder failed too", self.tour,
                          exc_info=True)

    def event(self, at: float, message: BaseModel) -> None:
        if self.recorder is not None:
            try:
                self.recorder.event(at, message)
            except Exception:  # noqa: BLE001  logged in _failed
                self._failed("an event")

    def voice(self, seat: int, capture: float, payload: bytes) -> None:
        if self.recorder is not None:
            try:
                self.recorder.voice(seat, capture, payload)
            except Exception:  # noqa: BLE001  logged in _failed
                self._failed("a voice packet")

    def pose(self, seat: int, at: float, message: bytes) -> None:
        if self.recorder is not None:
            try:
                self.recorder.pose(seat, at, message)
            except Exception:  # noqa: BLE001  logged in _failed
                self._failed("a pose")

    def withdraw(self, user: int) -> None:
        if self.recorder is not None:
            try:
                self.recorder.withdraw(user)
            except Exception:  # noqa: BLE001  logged in _failed
                self._failed("a withdrawn consent")

    def close(self) -> None:
        recorder, self.recorder = self.recorder, None
        if recorder is not None:
            try:
                recorder.close()
            except Exception:
                log.exception("tour %s: closing the recorder failed", self.tour)
