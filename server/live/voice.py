"""The voice relay of one tour: Opus packets accepted during a tick go out as one voice
frame (``protocol.voice``) built once and shared by every listener; the server never
decodes audio.

Everyone hears every relayed packet: only guides and members allowed to speak are relayed
(``server.live.floor``; on the open floor ``server.live.talk``), and they speak to the
whole tour, spectators included. A speaker does not get their own packets back: each
speaker in a tick gets a frame without them.
"""

from __future__ import annotations

from collections.abc import Container, Iterator
from dataclasses import dataclass, field

from protocol.voice import ENTRY_HEADER, VoiceError, join_voice_frame
from server.live.voice_metrics import VOICE_DROPPED
from server.live.wsframe import binary_frame

MAX_TICK_ENTRIES = 256
"""Packets one tick carries at most (three 20 ms packets from each of 80 speakers); more
are dropped, counted as ``overflow``."""


@dataclass
class TickVoice:
    """This tick's frames: ``shared`` for every listener; ``own[seat]`` for a speaker (None
    where nobody else spoke)."""

    shared: bytes | None = None
    own: dict[int, bytes | None] = field(default_factory=dict)

    def for_seat(self, seat: int) -> bytes | None:
        return self.own.get(seat, self.shared)


@dataclass
class VoiceRelay:
    pending: list[tuple[int, bytes]] = field(default_factory=list)  # (seat, entry)

    def add(self, seat: int, entry: bytes) -> bool:
        """Queues a frame entry for the next tick; False when the tick is full."""
        if len(self.pending) >= MAX_TICK_ENTRIES:
            VOICE_DROPPED.labels("overflow").inc()
            return False
        self.pending.append((seat, entry))
        return True

    def take(self, local: Container[int]) -> TickVoice:
        """The frames of the packets queued since the last tick; ``local`` are the seats
        with a connection on this process (the only ones that need a frame of their own)."""
        pending, self.pending = self.pending, []
        if not pending:
            return TickVoice()
        shared = binary_frame(join_voice_frame(len(pending), [e for _, e in pending]))
        own: dict[int, bytes | None] = {}
        for speaker in {seat for seat, _ in pending}:
            if speaker in local:
                others = [e for s, e in pending if s != speaker]
                own[speaker] = binary_frame(join_voice_frame(len(others), others)) \
                    if others else None
        return TickVoice(shared, own)


def split_entries(blob: bytes) -> Iterator[tuple[int, bytes]]:
    """(seat, entry) for each frame entry of ``blob``, entries joined back to back as
    another server process publishes them; stops at the first that does not fit."""
    offset = 0
    while offset + ENTRY_HEADER.size <= len(blob):
        seat, _seq, _capture, length = ENTRY_HEADER.unpack_from(blob, offset)
        end = offset + ENTRY_HEADER.size + length
        if end > len(blob) or length == 0:
            raise VoiceError("a relayed voice entry runs past the end of its message")
        yield seat, blob[offset:end]
        offset = end
    if offset != len(blob):
        raise VoiceError("a relayed voice message ends inside an entry")
