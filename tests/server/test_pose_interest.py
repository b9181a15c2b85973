"""Interest management of pose frames (``server.live.poses``): who sees whose pose, each
tick, in small and large tours."""

from __future__ import annotations

from collections import Counter

from protocol.tour_poses import Pose, Transform, decode_frame, encode_pose
from server.live.poses import InterestSettings, PoseTable

GUIDE = 0


def _pose(x: float, z: float, seq: int = 0) -> bytes:
    return encode_pose(Pose(Transform((x, 1.6, z)), seq=seq))


def _table(places: dict[int, tuple[float, float]], **settings: int) -> PoseTable:
    table = PoseTable(InterestSettings(**settings))
    for seat, (x, z) in places.items():
        table.update(seat, _pose(x, z))
    return table


def _seen(frames: list[tuple[bytes, list[int]]]) -> dict[int, list[int]]:
    """Seats whose poses each recipient got this tick (in frame order)."""
    seen: dict[int, list[int]] = {}
    for frame, recipients in frames:
        _, entries = decode_frame(frame)
        for recipient in recipients:
            assert recipient not in seen, "one frame per recipient and tick"
            seen[recipient] = [seat for seat, _ in entries]
    return seen


def test_a_small_tour_shares_one_frame_with_every_changed_pose() -> None:
    table = _table({seat: (seat, 0.0) for seat in range(10)})
    frames = table.frames(1.0, list(range(10)), {GUIDE}, set())
    assert len(frames) == 1
    assert sorted(_seen(frames)[3]) == list(range(10))
    assert table.frames(1.05, list(range(10)), {GUIDE}, set()) == []  # nothing changed


def test_spectators_get_only_the_guide() -> None:
    table = _table({GUIDE: (0.0, 0.0), 1: (1.0, 0.0)})
    seen = _seen(table.frames(1.0, [GUIDE, 1, 2], {GUIDE}, {2}))
    assert seen[2] == [GUIDE]
    assert sorted(seen[1]) == [GUIDE, 1]


def _crowd(rows: int, spacing: float) -> dict[int, tuple[float, float]]:
    """A grid of participants, the guide at one corner."""
    return {row * rows + col: (col * spacing, row * spacing)
            for row in range(rows) for col in range(rows)}


def test_a_large_tour_sends_the_guide_and_neighbours_every_tick() -> None:
    places = _crowd(30, 3.0)  # 900 people over 87 m x 87 m, cells of 6 m
    table = _table(places)
    seen = _seen(table.frames(1.0, list(places), {GUIDE}, set()))
    assert len(seen) == 900
    far_corner = 899
    assert GUIDE in seen[far_corner]
    # the neighbours one grid step away are in a neighbouring cell or the same one
    for neighbour in (far_corner - 1, far_corner - 30, far_corner - 31):
        assert neighbour in seen[far_corner]
    assert all(count == 1 for count in Counter(seen[far_corner]).values()), \
        "a pose goes out at most once per frame"
    assert len(seen[far_corner]) <= 1 + 48 + 48


def test_far_participants_come_in_turn_even_in_a_very_large_tour() -> None:
    places = _crowd(40, 4.0)  # 1,600 people: each far residue holds 160, over far_cap
    table = _table(places)
    watcher = 1599
    shown: set[int] = set()
    for tick in range(60):
        for seat, (x, z) in places.items():
            table.update(seat, _pose(x, z, tick))
        shown.update(_seen(table.frames(tick, [watcher], {GUIDE}, set()))[watcher])
    assert len(shown) == 1600


def test_a_crowded_neighbourhood_keeps_the_nearest() -> None:
    places = {GUIDE: (50.0, 50.0)}
    places.update({seat: (0.1 * (seat % 10), 0.1 * (seat // 10)) for seat in range(1, 101)})
    places.update({seat: (11.0, 11.0) for seat in range(101, 151)})  # two cells off
    table = _table(places, near_cap=48, far_cap=0)
    seen = _seen(table.frames(1.0, [1], {GUIDE}, set()))[1]
    assert GUIDE in seen
    neighbours = [s for s in seen if s != GUIDE]
    assert len(neighbours) == 48
    assert all(s <= 100 for s in neighbours), "the crowd at the centre beats the far edge"
