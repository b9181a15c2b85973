"""A tour recording read back for replay: its index (``<sha256>.json``, as the server
stores it and the API lists it) with the events and voice files beside it, each checked
against the sha256 that names it. Anything wrong is a :class:`ReplayError` that says what.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from engine.errors import EngineError
from protocol import tour as wire
from protocol.tour_poses import Quat, Vec3

MAX_INDEX = 1 << 20
MAX_EVENTS = 256 << 20
MAX_VOICE = 512 << 20
MAX_LINE = 64 * 1024
MAX_DURATION = 12 * 3600.0
_SHA = re.compile(r"^[0-9a-f]{64}$")


class ReplayError(EngineError):
    """A recording that cannot be replayed (missing, damaged, not a recording)."""


@dataclass(frozen=True)
class GuidePose:
    t: float
    head: Vec3
    rotation: Quat


@dataclass
class Recording:
    """``messages``: (seconds from the start, control message), in order; ``poses``: the
    guides' sampled poses by seat; ``voices``: seat → Ogg Opus file."""

    tour: int
    start: float
    duration: float
    messages: list[tuple[float, Any]] = field(default_factory=list)
    poses: dict[int, list[GuidePose]] = field(default_factory=dict)
    voices: dict[int, Path] = field(default_factory=dict)
    roles: dict[int, str] = field(default_factory=dict)
    exhibit: str | None = None  # the tour's package: manifest id, version
    exhibit_version: str | None = None
    scene: str | None = None  # the scene the tour started in

    def check_package(self, exhibit: str, version: str) -> str | None:
        """Refuses a package of another exhibit; returns a note when only the version
        differs (some stops may then be missing)."""
        if self.exhibit is not None and self.exhibit != exhibit:
            raise ReplayError(f"the recording is of a tour of exhibit `{self.exhibit}`, "
                              f"not `{exhibit}`: open the package of `{self.exhibit}`")
        if self.exhibit_version is not None and self.exhibit_version != version:
            return (f"the tour showed version {self.exhibit_version} of `{exhibit}`; this "
                    f"package is version {version}: some stops may differ")
        return None

    @property
    def guide_seat(self) -> int | None:
        """The seat of the tour's guide (else the first co-guide with poses)."""
        guides = [s for s, r in sorted(self.roles.items()) if r == "guide"]
        if guides:
            return guides[0]
        return min(self.poses) if self.poses else None


def _checked(folder: Path, entry: Any, suffix: str, limit: int) -> Path:
    if not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str) \
            or not _SHA.match(entry["sha256"]):
        raise ReplayError("the recording's index names a file without a sha256")
    path = folder / f"{entry['sha256']}{suffix}"
    if not path.is_file():
        raise ReplayError(f"{path.name} is missing: download every file the recording's "
                          "index names into the folder beside it")
    if path.stat().st_size > limit:
        raise ReplayError(f"{path.name} is larger than {limit:,} bytes")
    digest = hashlib.sha256()
    with path.open("rb") as source:
        while chunk := source.read(1 << 16):
            digest.update(chunk)
    if digest.hexdigest() != entry["sha256"]:
        raise ReplayError(f"{path.name} does not match its sha256: it is damaged or "
                          "not the file the index names")
    return path


def _number(value: Any, low: float, high: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) and low <= value <= high else None


def _vector(value: Any, size: int, bound: float) -> tuple[float, ...] | None:
    if not isinstance(value, list) or len(value) != size:
        return None
    numbers = [_number(v, -bound, bound) for v in value]
    return None if any(n is None for n in numbers) else tuple(n for n in numbers if n is not None)


def _text(value: Any) -> str | None:
    """An id or version from the index: short, printable, else left out."""
    if isinstance(value, str) and 0 < len(value) <= 64 and value.isprintable():
        return value
    return None


def load_recording(index_path: Path) -> Recording:
    """Reads and checks a recording from its index file.

    Raises:
        ReplayError: the index or a file it names is missing, damaged or oversized.
    """
    try:
        size = index_path.stat().st_size
    except OSError as exc:
        raise ReplayError(f"cannot read the recording {index_path}: {exc.strerror}") from None
    if not index_path.is_file() or size > MAX_INDEX:
        raise ReplayError(f"{index_path} is not a recording's index (a <sha256>.json file)")
    try:
        index = json.loads(index_path.read_bytes())
    except (ValueError, UnicodeDecodeError):
        raise ReplayError(f"{index_path} is not a recording's index: not JSON") from None
    if not isinstance(index, dict) or index.get("recording") != 1:
        raise ReplayError(f"{index_path} is not a recording's index (format 1)")
    tour = _number(index.get("tour"), 1, 2**31 - 1)
    start = _number(index.get("start"), 0, 4.2e9)
    duration = _number(index.get("duration"), 0, MAX_DURATION)
    voices = index.get("voices")
    if tour is None or start is None or duration is None or not isinstance(voices, list):
        raise ReplayError(f"{index_path}: the recording's index lacks its tour, start, duration "
                          "or voices")
    folder = index_path.parent
    recording = Recording(int(tour), start, duration, exhibit=_text(index.get("exhibit")),
                          exhibit_version=_text(index.get("exhibit_version")),
                          scene=_text(index.get("scene")))
    events = _checked(folder, index.get("events"), ".jsonl", MAX_EVENTS)
    for voice in voices[:64]:
        seat = _number(voice.get("seat") if isinstance(voice, dict) else None, 0, 65535)
        if seat is None:
            raise ReplayError(f"{index_path}: a voice without a seat number")
        recording.voices[int(seat)] = _checked(folder, voice, ".opus", MAX_VOICE)
        if voice.get("role") in ("guide", "co_guide", "member"):
            recording.roles[int(seat)] = voice["role"]
    _read_events(events, recording)
    return recording


def _read_events(path: Path, recording: Recording) -> None:
    """Takes every line that reads as a control message or a pose; skips the rest."""
    with path.open("rb") as source:
        for raw in source:
            if len(raw) > MAX_LINE or not raw.endswith(b"\n"):
                continue
            try:
                line = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                continue
            t = _number(line.get("t") if isinstance(line, dict) else None, 0, MAX_DURATION)
            if t is None:
                continue
            if "message" in line:
                try:
                    message = wire.SERVER.validate_python(line["message"])
                except ValidationError:
                    continue
                if isinstance(message, wire.Joined):
                    p = message.participant
                    recording.roles.setdefault(p.seat, p.role)
                recording.messages.append((t, message))
            elif isinstance(line.get("pose"), dict):
                pose = line["pose"]
                seat = _number(pose.get("seat"), 0, 65535)
                head = _vector(pose.get("head"), 3, wire.MAX_COORD)
                rotation = _vector(pose.get("rotation"), 4, 2.0) or (0.0, 0.0, 0.0, 1.0)
                if seat is not None and head is not None:
                    recording.poses.setdefault(int(seat), []).append(
                        GuidePose(t, head, rotation))  # type: ignore[arg-type]
    recording.messages.sort(key=lambda m: m[0])
    for poses in recording.poses.values():
        poses.sort(key=lambda p: p.t)
