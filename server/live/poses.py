"""Latest poses of a tour and the frames built from them each tick, with interest
management for large tours.

Small tours (up to ``full_rate`` posing participants) get one frame a tick with every pose
that changed, shared by all. Larger ones are bucketed into square cells on the floor: a
cell's frame carries the guides, every changed pose in the 3 × 3 cells around it (the
nearest ``near_cap`` when crowded), and a rotating slice of everyone else, so far
participants still move, ``far_every`` times more slowly. Each frame is encoded once
and shared by every recipient in the cell.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from protocol.tour_poses import encode_frame, frame_entry, head_xz


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

    def forget(self, seat: int) -> None:
        for table in (self.latest, self.where, self.changed):
            table.pop(seat, None)

    def _cell(self, seat: int) -> tuple[int, int]:
        x, z = self.where.get(seat, (0.0, 0.0))
        size = self.settings.cell
        return int(x // size), int(z // size)

    def frames(self, now: float, recipients: list[int], guides: set[int],
               spectators: set[int]) -> list[tuple[bytes, list[int]]]:
        """Frames for this tick and who gets each; clears the changed set."""
        changed, self.changed = self.changed, {}
        self.tick += 1
        if not changed or not recipients:
            return []
        watchers = [r for r in recipients if r not in spectators]
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
        return out + self._by_cell(now, changed, watchers, guides)

    def _by_cell(self, now: float, changed: dict[int, bytes], watchers: list[int],
                 guides: set[int]) -> list[tuple[bytes, list[int]]]:
        settings = self.settings
        changed_by_cell: dict[tuple[int, int], list[int]] = defaultdict(list)
        for seat in changed:
            if seat not in guides:
                changed_by_cell[self._cell(seat)].append(seat)
        audience: dict[tuple[int, int], list[int]] = defaultdict(list)
        for seat in watchers:
            audience[self._cell(seat)].append(seat)
        slice_ = self.tick % settings.far_every
        far = [s for s in self.latest if s % settings.far_every == slice_ and s not in guides]
        guide_entries = [changed[g] for g in guides if g in changed]
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
            close = set(near)
            entries = guide_entries + [changed[s] for s in near]
            entries += [self.latest[s] for s in far if s not in close][:settings.far_cap]
            out.append((encode_frame(now, entries), seats))
        return out


def _distance2(a: tuple[float, float], b: tuple[float, float]) -> float:
    return (a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2
