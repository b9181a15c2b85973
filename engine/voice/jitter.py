"""One speaker's jitter buffer: packets in by sequence, one 20 ms slot out when it is due.

Each packet plays at its capture time plus a playout delay. The delay is the smallest
transit seen lately (arrival − capture, on the tour clock: it absorbs any clock offset)
plus a margin for jitter (the spread of recent transits, 60–200 ms). The delay changes
only when the speaker starts talking again, so speech is never stretched or squeezed
mid-sentence. Packets come back in sequence order; a packet whose slot has passed is
dropped as late; a missing one is handed out as a gap (with the next packet, when that
came, so the decoder can use its FEC copy).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np

from engine.voice.codec import FRAME_SECONDS

MIN_TARGET, MAX_TARGET = 0.060, 0.200
WINDOW = 150  # transits remembered: three seconds of speech
MAX_AHEAD = 50  # a packet more than a second ahead starts the stream afresh
TRAILING_GAPS = 3  # frames concealed after the last packet before the speaker counts as quiet
MAX_HELD = 64


@dataclass(frozen=True)
class Slot:
    """What plays next for a speaker: its packet, or a gap (``packet`` None) with the
    packet after it when that has arrived."""

    seq: int
    packet: bytes | None
    following: bytes | None = None
    capture: float | None = None  # the packet's capture time (tour clock)


def _unwrap(seq: int, near: int) -> int:
    """The sequence number (counted past 65535) of u16 ``seq`` nearest to ``near``."""
    return near + ((seq - near + 0x8000) & 0xFFFF) - 0x8000


class JitterBuffer:
    """Reorders, times and gap-fills one speaker's packets."""

    def __init__(self) -> None:
        self._held: dict[int, tuple[float, bytes]] = {}
        self._transits: deque[float] = deque(maxlen=WINDOW)
        self._next: int | None = None  # the sequence number that plays next
        self._after: int | None = None  # the first one not yet played, kept while quiet
        self._last_capture = -math.inf  # of the last packet played
        self._due = 0.0  # when it plays (tour clock)
        self._delay: float | None = None  # the playout delay of this talk spurt
        self._gaps = 0  # consecutive gaps handed out
        self.late = 0
        self.lost = 0
        self.played = 0

    @property
    def target(self) -> float:
        """The jitter margin now wanted, 60–200 ms, from the recent spread of transits."""
        if len(self._transits) < 2:
            return MIN_TARGET
        spread = np.asarray(self._transits)
        margin = float(np.percentile(spread, 95) - spread.min()) + FRAME_SECONDS
        return min(max(margin, MIN_TARGET), MAX_TARGET)

    @property
    def delay(self) -> float | None:
        """The playout delay in force (capture → play), or None while the speaker is quiet."""
        return self._delay

    @property
    def active(self) -> bool:
        return self._next is not None

    def push(self, seq: int, capture: float, packet: bytes, arrival: float) -> bool:
        """Takes a packet that arrived at ``arrival`` (tour clock); False when it came too
        late to play, or twice."""
        self._transits.append(arrival - capture)
        expected = self._next if self._next is not None else self._after
        number = seq if expected is None else _unwrap(seq, expected)
        stale = self._next is None and capture <= self._last_capture
        if expected is not None and (number < expected or number in self._held or stale):
            self.late += 1  # its slot was played or concealed already
            return False
        if self._next is None or number - self._next > MAX_AHEAD:
            self._held.clear()  # a new talk spurt, or the speaker's stream restarted
            self._start(number, capture)
        self._held[number] = (capture, packet)
        if number == self._next and self._gaps and self._delay is not None:
            # the speaker paused briefly: this packet keeps its own time, after the pause
            self._due = max(self._due, capture + self._delay)
        if len(self._held) > MAX_HELD:  # never grows without bound, whatever arrives
            del self._held[min(self._held)]
        return True

    def _start(self, number: int, capture: float) -> None:
        """A talk spurt begins with ``number``: the delay adapts now, not mid-sentence."""
        self._next = number
        self._delay = min(self._transits) + self.target
        self._due = capture + self._delay
        self._gaps = 0

    def due(self) -> float | None:
        """When the next slot plays, or None while the speaker is quiet."""
        return None if self._next is None else self._due

    def pop(self, now: float) -> Slot | None:
        """The slot due by ``now`` (one at most), or None."""
        if self._next is None or now < self._due:
            return None
        number = self._next
        self._next = self._after = number + 1
        held = self._held.pop(number, None)
        if held is not None:
            self._gaps = 0
            self.played += 1
            self._last_capture = held[0]
            following = self._held.get(number + 1)
            if following is not None:  # time the next by its own capture
                self._due = following[0] + (self._delay or 0.0)
            else:
                self._due = held[0] + FRAME_SECONDS + (self._delay or 0.0)
            return Slot(number & 0xFFFF, held[1], capture=held[0])
        if not self._held:  # nothing after it: a pause, the end, or a packet running late
            self._gaps += 1
            if self._gaps > TRAILING_GAPS:
                self._after = number
                self._quiet()
                return None
            # concealed, but the number stays open: a pause in sending is not a loss
            self._next = self._after = number
            self._due += FRAME_SECONDS
            return Slot(number & 0xFFFF, None)
        self.lost += 1
        self._due += FRAME_SECONDS
        following = self._held.get(number + 1)
        return Slot(number & 0xFFFF, None, None if following is None else following[1])

    def _quiet(self) -> None:
        self._next = None
        self._delay = None
        self._gaps = 0
