"""Turns what happens in a view into participation facts with stable ids."""

from __future__ import annotations

import time
import uuid
from typing import Any

from engine.outbox import FactSink
from protocol.participation import (
    HotspotViewed,
    QuizAnswered,
    SceneCompleted,
    SceneEntered,
    SceneLeft,
    StopReached,
)

_KINDS = {cls.model_fields["kind"].default: cls for cls in
          (SceneEntered, SceneLeft, StopReached, HotspotViewed, QuizAnswered, SceneCompleted)}


class FactRecorder:
    """Emits facts for one session in one scene; ids are uuid5(session, sequence number),
    so replaying the same visit gives the same ids."""

    def __init__(self, sink: FactSink | None, session: uuid.UUID, exhibit: str, version: str,
                 scene: str, wall_clock: Any = time.time) -> None:
        self.sink = sink
        self.session = session
        self.common: dict[str, Any] = {"session": session, "exhibit": exhibit,
                                       "exhibit_version": version, "scene": scene}
        self.wall_clock = wall_clock
        self.sequence = 0

    def emit(self, kind: str, **fields: Any) -> None:
        if self.sink is None:
            return
        self.sequence += 1
        fact_id = uuid.uuid5(self.session, f"{self.common['scene']}/{self.sequence}")
        fact = _KINDS[kind](id=fact_id, at=self.wall_clock(), **self.common, **fields)
        self.sink.emit(fact)
