"""The events of a recorded tour as JSON lines, one write per line.

The first line names the recording; each later line is ``{"t": seconds since the start,
...}`` with either ``"message"`` (a control message as the tour broadcast it) or
``"pose"`` (a guide's head, sampled about ten times a second). A line cut short by a
``kill -9`` is the last and is skipped by :func:`read_lines`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from protocol.tour_poses import Pose

FORMAT = 1
MAX_LINE = 64 * 1024  # a control message is at most a few kilobytes (a full roster more)


def _dumps(value: dict[str, Any]) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"),
                      allow_nan=False).encode() + b"\n"


def header_line(tour: int, start: float, about: dict[str, str | None] | None = None) -> bytes:
    """``about``: the tour's exhibit, its version and the scene it starts in."""
    return _dumps({"recording": FORMAT, "tour": tour, "start": start, **(about or {})})


def message_line(t: float, message: dict[str, Any]) -> bytes:
    return _dumps({"t": round(t, 3), "message": message})


def pose_line(t: float, seat: int, pose: Pose) -> bytes:
    head = pose.head
    return _dumps({"t": round(t, 3), "pose": {
        "seat": seat, "head": [round(c, 3) for c in head.position],
        "rotation": [round(c, 4) for c in head.rotation]}})


class EventsWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out

    def write(self, line: bytes) -> None:
        if len(line) <= MAX_LINE:
            self.out.write(line)


def read_lines(path: Path) -> Iterator[dict[str, Any]]:
    """Every complete, readable line of an events file (a torn or foreign line is skipped:
    the recording plays without it)."""
    with path.open("rb") as source:
        for raw in source:
            if not raw.endswith(b"\n") or len(raw) > MAX_LINE:
                continue
            try:
                value = json.loads(raw)
            except ValueError:
                continue
            if isinstance(value, dict) and _finite_time(value):
                yield value


def _finite_time(value: dict[str, Any]) -> bool:
    t = value.get("t", 0.0)
    return isinstance(t, (int, float)) and math.isfinite(t) and 0 <= t <= 7 * 86400
