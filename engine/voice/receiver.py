"""Everything heard in a tour: a jitter buffer and a decoder per speaker, mixed each 20 ms.

The network side calls :meth:`VoiceReceiver.receive` with each voice frame's entries; a
playout clock calls :meth:`VoiceReceiver.tick` every 20 ms of tour time and gets the
stereo mix to play or record. ``placement`` (set by the engine) gives each speaker a gain
and pan from where their avatar stands; guides are always mixed.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np

from engine.voice.codec import FRAME_SAMPLES, FRAME_SECONDS, OpusDecoder
from engine.voice.errors import VoiceError
from engine.voice.jitter import MAX_TARGET, JitterBuffer
from engine.voice.mixer import Voice, mix
from protocol.voice import VoiceEntry

MAX_SPEAKERS = 32  # buffers kept at once; a flood of seats cannot grow memory
SPEAKING_FOR = 0.3  # a seat counts as speaking this long after its voice last arrived
LATENCIES_KEPT = 10_000

Placement = Callable[[int], tuple[float, float]]


@dataclass
class _Speaker:
    buffer: JitterBuffer = field(default_factory=JitterBuffer)
    decoder: OpusDecoder = field(default_factory=OpusDecoder)
    started: float = 0.0
    last_arrival: float = -1e9


class VoiceReceiver:
    """Decodes and mixes every speaker heard in the tour."""

    def __init__(self) -> None:
        self.guides: set[int] = set()
        self.placement: Placement | None = None
        self.speakers: dict[int, _Speaker] = {}
        # capture → played, seconds, of real frames: the mouth-to-ear latency
        self.latencies: deque[float] = deque(maxlen=LATENCIES_KEPT)
        self.bad = 0  # packets that would not decode (concealed instead)
        self.ignored = 0  # entries from beyond MAX_SPEAKERS

    def receive(self, entries: Iterable[VoiceEntry], arrival: float) -> None:
        """Takes one frame's entries, ``arrival`` on the tour clock."""
        for entry in entries:
            speaker = self.speakers.get(entry.seat)
            if speaker is None:
                if len(self.speakers) >= MAX_SPEAKERS and not self._forget_one():
                    self.ignored += 1
                    continue
                speaker = self.speakers[entry.seat] = _Speaker()
            if not speaker.buffer.active:
                speaker.started = arrival
            speaker.last_arrival = arrival
            speaker.buffer.push(entry.seq, entry.capture, entry.payload, arrival)

    def _forget_one(self) -> bool:
        """Drops the speaker quiet longest, if one is quiet; True when one was dropped."""
        quiet = [(s.last_arrival, seat) for seat, s in self.speakers.items()
                 if not s.buffer.active]
        if not quiet:
            return False
        self.forget(min(quiet)[1])
        return True

    def speaking(self, now: float) -> frozenset[int]:
        """The seats whose voice arrived within :data:`SPEAKING_FOR` of ``now`` (tour
        clock): nothing is sent in silence, so arriving voice is speech. Known without
        decoding, so the indicator works where nothing is played."""
        # copied in one step: the engine's thread asks while the network's adds speakers
        arrivals = [(seat, s.last_arrival) for seat, s in list(self.speakers.items())]
        return frozenset(seat for seat, at in arrivals if now - at < SPEAKING_FOR)

    def forget(self, seat: int) -> None:
        """Drops a speaker who left."""
        speaker = self.speakers.pop(seat, None)
        if speaker is not None:
            speaker.decoder.close()

    def _frame(self, speaker: _Speaker, now: float) -> np.ndarray | None:
        slot = speaker.buffer.pop(now)
        if slot is None:
            return None
        decoder = speaker.decoder
        try:
            if slot.packet is not None:
                frame = decoder.decode(slot.packet)
                if slot.capture is not None:
                    self.latencies.append(now - slot.capture)
                return frame
            if slot.following is not None:
                return decoder.recover(slot.following)
        except VoiceError:
            self.bad += 1
        return decoder.conceal()

    def tick(self, now: float) -> np.ndarray:
        """The mix for the 20 ms slot starting at ``now`` (tour clock): (960, 2) float32."""
        voices = []
        for seat, speaker in self.speakers.items():
            due = speaker.buffer.due()
            # the playout clock stalled: decode what is overdue (keeping the decoder's
            # state) and play only the newest, so latency stays bounded
            while due is not None and due < now - MAX_TARGET:
                self._frame(speaker, now)
                due = speaker.buffer.due()
            frame = self._frame(speaker, now)
            if frame is None:
                continue
            gain, pan = (1.0, 0.0) if self.placement is None else self.placement(seat)
            if seat in self.guides:
                gain = 1.0  # heard from wherever the guide stands, but from that side
            voices.append(Voice(seat, frame, seat in self.guides, gain, pan, speaker.started))
        if not voices:
            return np.zeros((FRAME_SAMPLES, 2), np.float32)
        return mix(voices)

    def close(self) -> None:
        for seat in list(self.speakers):
            self.forget(seat)


class PlayoutClock:
    """Ticks every 20 ms of tour time from ``start``; :meth:`due` says which ticks have
    come by now (several after a stall, none if called early)."""

    def __init__(self, start: float) -> None:
        self.next = start

    def due(self, now: float) -> list[float]:
        ticks = []
        while self.next <= now:
            ticks.append(self.next)
            self.next += FRAME_SECONDS
        return ticks


def tour_now(clock_offset: float) -> float:
    """The tour clock now, from this machine's clock and the measured offset."""
    return time.time() + clock_offset
