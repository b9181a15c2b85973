"""Latest poses of a tour and the frames built from them each tick, with interest
management for large tours.

Small tours (up to ``full_rate`` posing participants) get one frame a tick with every pose
that changed, shared by all. Larger ones are bucketed into square cells on the floor: a
cell's frame carries the guides, every changed pose in the 3 × 3 cells around it (the
nearest ``near_cap`` when crowded), and a rotating slice of everyone else (at most
``far_cap``), so far participants still move, ``far_every`` times more slowly or, in a
very large tour, more slowly still. Each frame is encoded once
and shared by every recipient in the cell.

A tick at a thousand participants builds hundreds of frames, so the work per cell is kept
to joining bytes: a seat's cell is worked out when its pose arrives, and the far slice is
joined once per tick.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from protocol.tour_poses import (
    ENTRY_SIZE,
    encode_frame,
    encode_frame_parts,
    frame_entry,
    head_xz,
)

Cell = tuple[int, int]


@dataclass
class InterestSettings:
    full_rate: int = 48
    cell: float = 6.0
    near_cap: int = 48
    far_every: int = 10
    far_cap: int = 48


@dataclass
class PoseTable:
    settings: InterestSettings = field(default_factory=InterestSettings)
    latest: dict[int, bytes] = field(default_factory=dict)  # seat -> frame entry
    where: dict[int, tuple[float, float]] = field(default_factory=dict)
    cells: dict[int, Cell] = field(default_factory=dict)
    changed: dict[int, bytes] = field(default_factory=dict)
    tick: int = 0

    def update(self, seat: int, pose_message: bytes) -> bytes:
        """Stores a checked client pose; returns its frame entry."""
        entry = frame_entry(seat, pose_message)
        self.merge(seat, entry, head_xz(pose_message))
        return entry

    def merge(self, seat: int, entry: bytes, xz: tuple[float, float]) -> None:
        self.latest[seat] = entry
        self.changed[seat] = entry
        self.where[seat] = xz
        size = self.settings.cell
        self.cells[seat] = (int(xz[0] // size), int(xz[1] // size))

    def forget(self, seat: int) -> None:
        for table in (self.latest, self.where, self.cells, self.changed):
            table.pop(seat, None)

    def frames(self, now: float, recipients: list[int], guides: set[int],
               spectators: set[int]) -> list[tuple[bytes, list[int]]]:
        """Frames for this tick and who gets each; clears the changed set."""
        changed, self.changed = self.changed, {}
        self.tick += 1
        if not changed or not recipients:
            return []
        watchers = [r for r in recipients if r not in spectators] if spectators \
            else recipients
        out: list[tuple[bytes, list[int]]] = []
        guide_entries = [changed[g] for g in guides if g in changed]
        if spectators and guide_entries:
            out.append((encode_frame(now, guide_entries), [r for r in recipients
                                                           if r in spectators]))
        if not watchers:
            return out
        if len(self.latest) <= self.settings.full_rate:
            out.append((encode_frame(now, list(changed.values())), watchers))
            return out
        return out + self._by_cell(now, changed, watchers, guides, guide_entries)

    def _far_slice(self, guides: set[int]) -> list[int]:
        """Every ``far_every``-th seat, a different residue each tick; where that is more
        than ``far_cap``, a window that moves on each round, so everyone comes in turn."""
        every, cap = self.settings.far_every, self.settings.far_cap
        residue, round_ = self.tick % every, self.tick // every
        seats = [s for s in self.latest if s % every == residue and s not in guides]
        if len(seats) <= cap:
            return seats
        start = (round_ * cap) % len(seats)
        return (seats[start:] + seats[:start])[:cap]

    def _by_cell(self, now: float, changed: dict[int, bytes], watchers: list[int],
                 guides: set[int], guide_entries: list[bytes]) -> list[tuple[bytes, list[int]]]:
        settings, cells = self.settings, self.cells
        changed_by_cell: dict[Cell, list[int]] = defaultdict(list)
        for seat in changed:
            if seat not in guides:
                changed_by_cell[cells[seat]].append(seat)
        audience: dict[Cell, list[int]] = defaultdict(list)
        for seat in watchers:
            audience[cells.get(seat, (0, 0))].append(seat)
        far = self._far_slice(guides)
        far_index = {s: i for i, s in enumerate(far)}
        far_bytes = b"".join([self.latest[s] for s in far])
        guide_bytes = b"".join(guide_entries)
        out = []
        for (cx, cz), seats in audience.items():
            near: list[int] = []
            for dx in (-1, 0, 1):
                for dz in (-1, 0, 1):
                    near += changed_by_cell.get((cx + dx, cz + dz), ())
            if len(near) > settings.near_cap:
                centre = ((cx + 0.5) * settings.cell, (cz + 0.5) * settings.cell)
                near.sort(key=lambda s: _distance2(self.where[s], centre))
                near = near[:settings.near_cap]
            # a near seat that is also in the far slice goes out once, as a near one
            twice = sorted(far_index[s] for s in near if s in far_index)
            parts = [guide_bytes, b"".join([changed[s] for s in near]),
                     *_without(far_bytes, twice)]
            count = len(guide_entries) + len(near) + len(far) - len(twice)
            out.append((encode_frame_parts(now, count, parts), seats))
        return out


def _without(joined: bytes, indices: list[int]) -> list[bytes]:
    """The entries of ``joined`` except those at ``indices`` (ascending), as byte runs."""
    runs, start = [], 0
    for index in indices:
        runs.append(joined[start * ENTRY_SIZE:index * ENTRY_SIZE])
        start = index + 1
    runs.append(joined[start * ENTRY_SIZE:])
    return runs


def _distance2(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2
