"""Where a member's participation facts go during a live tour: to the tour itself.

Facts sent to the outbox are delivered later (``redhall deliver``) as a self-guided visit,
which would count the tour's time a second time. So while a tour is on, the engine's facts
(scenes entered and left, stops, hotspots viewed, answers) go through the tour's connection
and are stored with the tour; the tour's credit is judged from the tour server's own record,
so a fact lost with a failed connection costs no credit. Once the tour has ended, the member
may go on alone, and those facts go to the outbox as a visit again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.outbox import FactSink
from protocol import tour as wire
from protocol.participation import ParticipationFact


class TourFactSink:
    """A :class:`~engine.outbox.FactSink` that sends to the tour until ``ended()`` holds,
    then to ``after`` (the outbox)."""

    def __init__(self, link: Any, after: FactSink) -> None:
        self.link = link
        self.after = after
        self.ended: Callable[[], bool] = lambda: False  # told by the tour once it exists

    def emit(self, fact: ParticipationFact) -> None:
        if self.ended():
            self.after.emit(fact)
        else:
            self.link.send(wire.Fact(fact=fact))
