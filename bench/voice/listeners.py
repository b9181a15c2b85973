"""The voice benchmark's listeners: raw asyncio websocket clients of a live tour.

:class:`Listener` is lean, so that one generator core can hold a thousand of them: it
upgrades and joins properly (hello → welcome, checked), answers pings, then reads only
frame headers. Pose frames are counted, not decoded; of a voice frame it reads each
entry's capture time (the 8 bytes after seat and seq) to count the packet and whether it
arrived within :data:`PLAY_BUDGET` of capture, and skips the payload.

:class:`FullListener` takes the whole client path on top: each voice frame decoded
(:func:`protocol.voice.decode_voice_frame`), handed to the engine's
:class:`engine.voice.VoiceReceiver` (jitter buffer, Opus decode, mix), played out every
20 ms of tour time; mouth to ear is capture → the packet decoded for its playout slot.

Both run on one machine with the server, so the tour clock is this machine's clock.
"""

from __future__ import annotations

import asyncio
import struct
import time
from typing import TYPE_CHECKING, cast

from bench.voice.websocket import client_frame, upgraded
from engine.voice import PlayoutClock, VoiceReceiver
from protocol import tour as wire
from protocol.tour_poses import FRAME_KIND as POSE_FRAME_KIND
from protocol.voice import VOICE_FRAME_KIND, VoiceError, decode_voice_frame

if TYPE_CHECKING:
    from bench.tours.generator import Participant, Stats

PLAY_BUDGET = 0.200
"""A packet arriving later than this after capture is too late for a jitter buffer of at
most 200 ms (``engine.voice.jitter.MAX_TARGET``)."""
_CAPTURE = struct.Struct("<d")
_ENTRY = 14  # u16 seat, u16 seq, f64 capture, u16 length (protocol/voice.py)


class Listener(asyncio.Protocol):
    """One lean listener; counters are for the window since :meth:`reset`."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.upgraded = False
        self.transport: asyncio.Transport | None = None
        self.welcomed: asyncio.Future[wire.Welcome] = \
            asyncio.get_running_loop().create_future()
        self.seat = -1
        self.closed = False
        self.poses: Stats | None = None  # pose observers time the poses they get
        self.reset()

    def reset(self) -> None:
        self.bytes = 0
        self.reads = 0
        self.pose_frames = 0
        self.texts = 0
        self.voice_packets = 0
        self.voice_in_time = 0
        self.worst_arrival = 0.0
        self.unread = 0  # frames this listener could not read (none are expected)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.welcomed.done():
            self.welcomed.set_exception(ConnectionError("closed before the welcome"))

    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        self.bytes += len(data)
        self.reads += 1
        if self.buffer or not self.upgraded:
            self.buffer += data
            if not self.upgraded and not self._upgrade():
                return
            used = self._frames(self.buffer)
            del self.buffer[:used]
        else:  # the usual case: whole frames in one read, parsed where they lie
            used = self._frames(data)
            if used < len(data):
                self.buffer += data[used:]

    def _upgrade(self) -> bool:
        try:
            start = upgraded(self.buffer)
        except ConnectionError as refused:
            self._refused(refused)
            return False
        if start < 0:
            return False
        del self.buffer[:start]
        self.upgraded = True
        return True

    def _refused(self, reason: Exception) -> None:
        if not self.welcomed.done():
            self.welcomed.set_exception(reason)
        if self.transport is not None:
            self.transport.close()

    def _frames(self, data: bytes | bytearray) -> int:
        """Reads the whole frames at the start of ``data``; how many bytes they took."""
        offset, size = 0, len(data)
        while size - offset >= 2:
            first, length = data[offset], data[offset + 1]
            start = offset + 2
            if length & 0x80:  # a server never masks (RFC 6455 §5.1)
                self._refused(ConnectionError("the server sent a masked frame"))
                return size
            if length == 126:
                if size - offset < 4:
                    break
                length, start = (data[offset + 2] << 8) | data[offset + 3], offset + 4
            elif length == 127:
                if size - offset < 10:
                    break
                length, start = int.from_bytes(data[offset + 2:offset + 10], "big"), \
                    offset + 10
            end = start + length
            if end > size:
                break
            opcode = first & 0x0F
            if not first & 0x80 or opcode == 0:  # fragments: the server sends none
                self.unread += 1
            elif opcode == 2 and length:
                kind = data[start]
                if kind == POSE_FRAME_KIND:
                    self.pose_frames += 1
                    if self.poses is not None:
                        self.poses.observe(cast("Participant", self),
                                           bytearray(data[start:end]))
                elif kind == VOICE_FRAME_KIND:
                    self._voice(data, start, end)
                else:
                    self.unread += 1
            elif opcode == 1:
                if self.welcomed.done():
                    self.texts += 1  # tour messages: counted, not decoded
                else:
                    self._welcome(bytes(data[start:end]))
            elif opcode == 9:  # ping: answered, or the server drops a listener gone quiet
                self.write(client_frame(10, bytes(data[start:end])))
            elif opcode == 8:
                self.closed = True
                if self.transport is not None:
                    self.transport.close()
            offset = end
        return offset

    def _voice(self, data: bytes | bytearray, start: int, end: int) -> None:
        """Counts a voice frame's packets from their capture times alone."""
        now = time.time()
        position = start + 4
        for _ in range(data[start + 2] | (data[start + 3] << 8)):
            if position + _ENTRY > end:
                break
            transit = now - _CAPTURE.unpack_from(data, position + 4)[0]
            self.voice_packets += 1
            if transit <= PLAY_BUDGET:
                self.voice_in_time += 1
            if transit > self.worst_arrival:
                self.worst_arrival = transit
            position += _ENTRY + (data[position + 12] | (data[position + 13] << 8))
        if position != end:
            self.unread += 1

    def _welcome(self, text: bytes) -> None:
        message = wire.SERVER.validate_json(text)
        if isinstance(message, wire.Welcome):
            self.seat = message.seat
            self.welcomed.set_result(message)
        else:
            self._refused(ConnectionError(f"the server answered the hello with {text[:200]!r}"))


class FullListener(Listener):
    """A listener that also decodes, buffers and plays what it hears, as the engine does."""

    def __init__(self) -> None:
        self.receiver: VoiceReceiver | None = None
        self.clock: PlayoutClock | None = None
        super().__init__()

    def reset(self) -> None:
        super().reset()
        self.arrivals: list[float] = []  # capture → arrival, seconds
        self.decoded: list[float] = []  # capture → decoded for its playout slot
        self.bad = 0  # frames that would not decode
        self.spent = 0.0  # CPU seconds in the full path (decode, buffer, play)

    def hear(self, guides: set[int]) -> None:
        """Starts a fresh receiver (jitter buffer, decoder) and playout clock."""
        self.close_receiver()
        self.receiver = VoiceReceiver()
        self.receiver.guides = set(guides)
        self.clock = PlayoutClock(time.time())

    def _voice(self, data: bytes | bytearray, start: int, end: int) -> None:
        super()._voice(data, start, end)
        if self.receiver is None:
            return
        now, cpu = time.time(), time.thread_time()
        try:
            entries = decode_voice_frame(bytes(data[start:end]))
        except VoiceError:
            self.bad += 1
            return
        self.arrivals += (now - entry.capture for entry in entries)
        self.receiver.receive(entries, now)
        self.spent += time.thread_time() - cpu

    def play(self) -> None:
        """Plays every 20 ms slot due by now. The receiver times a packet by its slot;
        the slot's own lateness (this loop's lag) is added, so a busy generator can only
        make the figure worse."""
        if self.receiver is None or self.clock is None:
            return
        latencies, cpu = self.receiver.latencies, time.thread_time()
        for tick in self.clock.due(time.time()):
            before = len(latencies)
            self.receiver.tick(tick)
            lag = time.time() - tick
            self.decoded += (latencies[i] + lag for i in range(before, len(latencies)))
        self.spent += time.thread_time() - cpu

    def played(self, seat: int) -> tuple[int, int, int]:
        """Packets of ``seat`` played, lost (concealed) and too late, so far."""
        speaker = self.receiver.speakers.get(seat) if self.receiver else None
        if speaker is None:
            return 0, 0, 0
        return speaker.buffer.played, speaker.buffer.lost, speaker.buffer.late

    def delay(self, seat: int) -> float | None:
        """The playout delay (capture → play) the jitter buffer holds ``seat`` to now."""
        speaker = self.receiver.speakers.get(seat) if self.receiver else None
        return None if speaker is None else speaker.buffer.delay

    def close_receiver(self) -> None:
        if self.receiver is not None:
            self.receiver.close()
        self.receiver = self.clock = None
