"""A live tour recorded as it happens: each kept speaker's voice as Ogg Opus, the control
messages and the guides' poses as JSON lines, all on the tour clock.

The event loop only puts small items on a queue (a bounded number: past it they are
dropped and counted, never waited for); one writer thread per tour turns them into pages
and lines and hands each to the operating system as it is made.
"""

from __future__ import annotations

import fcntl
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from pydantic import BaseModel

from protocol.tour_poses import PoseError, decode_pose
from server.recording.events import EventsWriter, header_line, message_line, pose_line
from server.recording.ogg import OggOpusWriter, packet_samples
from server.recording.voices import Roster, VoicePolicy

log = logging.getLogger("redhall.recording")
QUEUE_LIMIT = 4096  # items waiting for the writer (~2 MB at most)
POSE_INTERVAL = 0.1  # a guide's pose kept ten times a second
LATE_SAMPLES = 3 * 960  # a packet this much behind the speaker's end is still appended
AHEAD_SECONDS = 1.0  # a capture time further ahead than this is taken as arrival time
MAX_GAP_SAMPLES = 12 * 3600 * 48_000  # longer than any tour: a clock gone wrong, dropped
META = "meta.json"
EVENTS = "events.jsonl"
LOCK = "lock"


def voice_name(seat: int) -> str:
    return f"seat-{seat}.opus"


@dataclass(frozen=True)
class _Voice:
    seat: int
    user: int
    role: str  # the seat's role as the packet came (the writer thread runs behind)
    capture: float
    arrived: float
    payload: bytes


@dataclass(frozen=True)
class _Event:
    at: float
    message: BaseModel


@dataclass(frozen=True)
class _Pose:
    seat: int
    at: float
    message: bytes


@dataclass(frozen=True)
class _Forget:
    user: int


_CLOSE = object()


class _Speaker:
    def __init__(self, out: IO[bytes], writer: OggOpusWriter, user: int, role: str) -> None:
        self.out = out
        self.writer = writer
        self.user = user
        self.role = role  # the seat's role when the file was opened, written in it


class FileTourRecorder:
    """Records one tour into ``folder`` (created here, with a lock held while writing).

    Args:
        about: the tour's ``exhibit``, ``exhibit_version`` and first ``scene``, kept in the
            recording so a replay shows the right package from the right scene.
        finished: called in the writer thread with the folder once its files are closed.
    """

    def __init__(self, folder: Path, tour: int, start: float, policy: VoicePolicy,
                 finished: Callable[[Path], None] | None = None,
                 on_joined: Callable[[int], None] | None = None,
                 about: dict[str, str | None] | None = None) -> None:
        self.folder = folder
        self.tour = tour
        self.start = start
        self.policy = policy
        self.roster = Roster()
        self.dropped = 0
        self._finished = finished
        self._on_joined = on_joined
        self._last_pose: dict[int, float] = {}
        self._queue: queue.SimpleQueue[object] = queue.SimpleQueue()
        self._closed = False
        folder.mkdir(parents=True, exist_ok=False)
        self._lock = (folder / LOCK).open("wb")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        (folder / META).write_text(json.dumps({"tour": tour, "start": start, **(about or {})}))
        self._events_file = (folder / EVENTS).open("wb", buffering=0)
        self._events_file.write(header_line(tour, start, about))
        self._events = EventsWriter(self._events_file)
        self._speakers: dict[int, _Speaker] = {}
        self._thread = threading.Thread(target=self._run, name=f"tour-{tour}-recorder",
                                         daemon=True)
        self._thread.start()

    # -- called on the event loop: cheap, never waits ----------------------------------

    def _put(self, item: object) -> None:
        if self._closed:
            return
        if self._queue.qsize() >= QUEUE_LIMIT:
            self.dropped += 1
            return
        self._queue.put(item)

    def event(self, at: float, message: BaseModel) -> None:
        joined = self.roster.follow(message)
        if joined is not None and self._on_joined is not None:
            self._on_joined(joined)
        self._put(_Event(at, message))

    def voice(self, seat: int, capture: float, payload: bytes) -> None:
        who = self.roster.seats.get(seat)
        if who is None or not self.policy.allows(*who):
            return  # not this speaker's to keep: never written
        self._put(_Voice(seat, *who, capture, time.time(), bytes(payload)))

    def pose(self, seat: int, at: float, message: bytes) -> None:
        if at - self._last_pose.get(seat, -1e18) < POSE_INTERVAL:
            return
        self._last_pose[seat] = at
        self._put(_Pose(seat, at, bytes(message)))

    def withdraw(self, user: int) -> None:
        """``user`` may no longer be kept as a member: their later packets are not
        written, and their voice files opened while they were a member are deleted
        (their seats' next packets, should they be allowed again, start new files)."""
        self.policy.withdraw(user)
        if not self._closed:
            self._queue.put(_Forget(user))  # never dropped, unlike what is recorded

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._queue.put(_CLOSE)

    def join(self, timeout: float | None = None) -> None:
        """Waits for the writer to finish (tests and shutdown)."""
        self._thread.join(timeout)

    # -- the writer thread ---------------------------------------------------------------

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is _CLOSE:
                    break
                try:
                    self._write(item)
                except Exception:  # one item that cannot be written does not end the rest
                    log.exception("tour %s: a recorded item could not be written", self.tour)
                if self._queue.empty():
                    for speaker in self._speakers.values():
                        speaker.writer.flush()
        finally:
            self._end()

    def _write(self, item: object) -> None:
        if isinstance(item, _Voice):
            self._write_voice(item)
        elif isinstance(item, _Event):
            self._events.write(message_line(item.at - self.start,
                                            item.message.model_dump(mode="json")))
        elif isinstance(item, _Forget):
            self._forget(item.user)
        elif isinstance(item, _Pose):
            try:
                pose = decode_pose(item.message)
            except PoseError:
                return
            self._events.write(pose_line(item.at - self.start, item.seat, pose))

    def _write_voice(self, item: _Voice) -> None:
        samples = packet_samples(item.payload)
        if samples == 0:
            return
        speaker = self._speakers.get(item.seat)
        if speaker is None:
            out = (self.folder / voice_name(item.seat)).open("wb", buffering=0)
            user, role = item.user, item.role
            writer = OggOpusWriter(out, serial=self.tour * 1000 + item.seat, comments={
                "REDHALL_TOUR": str(self.tour), "REDHALL_SEAT": str(item.seat),
                "REDHALL_START": repr(self.start), "REDHALL_ROLE": role,
                "REDHALL_USER": str(user)})
            speaker = self._speakers[item.seat] = _Speaker(out, writer, user, role)
        capture = item.capture
        if not capture - item.arrived <= AHEAD_SECONDS:  # also NaN: taken when it came
            capture = item.arrived
        slot = max(0, round((capture - self.start) * 50)) * 960
        end = speaker.writer.samples
        if slot < end - LATE_SAMPLES or slot - end > MAX_GAP_SAMPLES:
            return  # a repeat, or too late to place (its time has been played), or absurd
        if slot > end:
            speaker.writer.silence(slot - end)
        speaker.writer.add(item.payload, samples)

    def _forget(self, user: int) -> None:
        """Each file is judged by the role it was opened with (the role its index entry
        will name): a member's goes, a guide's stays, whatever the seat is now."""
        for seat, speaker in list(self._speakers.items()):
            if speaker.user == user and speaker.role == "member":
                del self._speakers[seat]
                speaker.out.close()
                (self.folder / voice_name(seat)).unlink(missing_ok=True)

    def _end(self) -> None:
        for speaker in self._speakers.values():
            try:
                speaker.writer.flush(last=True)
            finally:
                speaker.out.close()
        self._events_file.close()
        try:
            if self._finished is not None:  # still locked: no other process takes it
                self._finished(self.folder)
        except Exception:
            log.exception("tour %s: storing the recording failed; it is stored at the "
                          "next start", self.tour)
        finally:
            fcntl.flock(self._lock, fcntl.LOCK_UN)
            self._lock.close()

