"""A finished recording stored content-addressed beside the packages (data_dir/blobs):
each voice ``<sha256>.opus``, the events ``<sha256>.jsonl`` and an index ``<sha256>.json``
naming them; the index's sha256 goes in the tour's row.

The same step finishes a recording cut off by a crash: each file is cut back to its last
complete page or line first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from server.recording.events import read_lines
from server.recording.ogg import PRE_SKIP, SAMPLE_RATE, pages, tag
from server.recording.recorder import EVENTS, LOCK, META

INDEX_FORMAT = 1
STORED = "stored"
_VOICE = re.compile(r"^seat-([0-9]{1,5})\.opus$")
_SHA = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 16


class Recordings:
    """Where recordings live: ``live/`` while they are written, ``blobs/`` once stored."""

    def __init__(self, data_dir: Path) -> None:
        self.live = data_dir / "recordings" / "live"
        self.blobs = data_dir / "blobs"
        self.live.mkdir(parents=True, exist_ok=True)
        self.blobs.mkdir(parents=True, exist_ok=True)

    def path(self, sha256: str, suffix: str) -> Path | None:
        """A stored file by its hash; None for anything that is not a sha256."""
        if not _SHA.match(sha256) or suffix not in (".json", ".jsonl", ".opus"):
            return None
        return self.blobs / f"{sha256}{suffix}"

    def index(self, sha256: str) -> dict[str, Any] | None:
        path = self.path(sha256, ".json")
        if path is None:
            return None
        try:  # a voice being taken out replaces the index under the reader
            value = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    def abandoned(self) -> Iterator[Path]:
        """Folders no running process is writing (their writer's lock is gone); each is
        locked by this process until the next is asked for, so two processes starting
        together do not store the same one."""
        for folder in sorted(self.live.iterdir()):
            if not folder.is_dir():
                continue
            with (folder / LOCK).open("ab") as lock:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue
                yield folder

    def store(self, folder: Path, previous: str | None = None) -> tuple[int, str]:
        """Moves a closed recording folder into the store; returns (tour, index sha256)."""
        meta = json.loads((folder / META).read_text())
        tour, start = int(meta["tour"]), float(meta["start"])
        events = folder / EVENTS
        _cut_torn_line(events)
        seats: dict[int, dict[str, Any]] = {}
        duration = 0.0
        for line in read_lines(events):
            duration = max(duration, float(line.get("t", 0.0)))
            message = line.get("message")
            if isinstance(message, dict) and message.get("type") == "joined":
                p = message.get("participant", {})
                seats[int(p["seat"])] = {"user": p["user"], "role": p["role"]}
        voices = []
        for path in sorted(folder.glob("seat-*.opus")):
            match = _VOICE.match(path.name)
            if match is None:
                continue
            seconds = _cut_torn_page(path)
            seat = int(match.group(1))
            who = dict(seats.get(seat, {"user": None, "role": None}))
            with path.open("rb") as voice:
                role = tag(voice.read(4096), "REDHALL_ROLE")
            if role is not None:  # the role when the file was opened, not the one at joining
                who["role"] = role
            sha, size = self._keep(path, ".opus")
            voices.append({"seat": seat, **who,
                           "sha256": sha, "size": size, "seconds": round(seconds, 3)})
            duration = max(duration, seconds)
        sha, size = self._keep(events, ".jsonl")
        about = {key: meta[key] for key in ("exhibit", "exhibit_version", "scene")
                 if isinstance(meta.get(key), str)}
        index = {"recording": INDEX_FORMAT, "tour": tour, "start": start, **about,
                 "duration": round(duration, 3), "events": {"sha256": sha, "size": size},
                 "voices": voices, "previous": previous}
        data = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
        index_sha = hashlib.sha256(data).hexdigest()
        target = self.blobs / f"{index_sha}.json"
        temporary = target.with_suffix(".part")
        temporary.write_bytes(data)
        os.replace(temporary, target)
        (folder / STORED).write_text(index_sha)  # the tour's row is next
        return tour, index_sha

    def stored(self, folder: Path) -> tuple[int, str] | None:
        """(tour, index sha256) of a folder already stored but not yet in the tour's row."""
        try:
            sha = (folder / STORED).read_text().strip()
            tour = int(json.loads((folder / META).read_text())["tour"])
        except (OSError, ValueError, KeyError):
            return None
        return (tour, sha) if _SHA.match(sha) else None

    def forget(self, folder: Path) -> None:
        """Removes a folder whose recording is stored and entered in the tour's row."""
        shutil.rmtree(folder, ignore_errors=True)

    def _keep(self, path: Path, suffix: str) -> tuple[str, int]:
        digest, size = hashlib.sha256(), 0
        with path.open("rb") as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        os.replace(path, self.blobs / f"{sha}{suffix}")
        return sha, size


def _cut_torn_line(path: Path) -> None:
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end != len(data):
        with path.open("r+b") as out:
            out.truncate(end)


def _cut_torn_page(path: Path) -> float:
    """Cuts a voice file back to its last intact page; returns its length in seconds."""
    data = path.read_bytes()
    end = granule = 0
    for offset, length in pages(data):
        end = offset + length
        granule = int.from_bytes(data[offset + 6:offset + 14], "little", signed=True)
    if end != len(data):
        with path.open("r+b") as out:
            out.truncate(end)
    return max(0, granule - PRE_SKIP) / SAMPLE_RATE
