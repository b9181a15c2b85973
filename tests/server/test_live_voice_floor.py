"""Who may speak, in the tour state machine alone: the floor follows the seats through
drops, departures, removals and role changes, and replicas agree on it."""

from __future__ import annotations

from protocol import tour as wire
from server.live.floor import why_silent
from server.live.inputs import Command, Drop, Expire, Join, Leave, Resume, decode, encode
from server.live.outputs import ALL, Send
from server.live.plan import SceneOutline, TourPlan
from server.live.state import TourState

PLAN = TourPlan(tour=7, guide=1, capacity=3,
                scenes={"hall": SceneOutline(("door",), frozenset(), {})}, first_scene="hall")


def _tour() -> TourState:
    """The guide in seat 0, members in seats 1-3, a spectator in seat 4."""
    state = TourState(PLAN)
    state.apply(Join(1, "导游", "t-0", "c0", 0.0))
    for n in range(1, 5):
        state.apply(Join(100 + n, f"党员{n}", f"t-{n}", f"c{n}", float(n)))
    assert state.seats[4].role == "spectator"
    return state


def _floor(outputs: list[object]) -> wire.FloorState:
    (floor,) = [o.message.floor for o in outputs
                if isinstance(o, Send) and isinstance(o.message, wire.FloorChanged)]
    assert all(o.to == ALL for o in outputs if isinstance(o, Send)
               and isinstance(o.message, wire.FloorChanged))
    return floor


def _silent(state: TourState, seat: int) -> str | None:
    return why_silent(state, state.seats[seat])


def test_who_may_speak() -> None:
    state = _tour()
    assert _silent(state, 0) is None
    assert "floor" in (_silent(state, 1) or "")
    assert "spectators" in (_silent(state, 4) or "")
    assert _floor(state.apply(Command(0, wire.GiveFloor(seat=1), 5.0))).holders == [1]
    assert _silent(state, 1) is None and _silent(state, 2) is not None
    state.apply(Command(0, wire.OpenFloor(open=True), 6.0))
    assert _silent(state, 2) is None and _silent(state, 4) is not None
    state.apply(Command(0, wire.MuteAll(muted=True), 7.0))
    assert "everyone" in (_silent(state, 1) or "") and _silent(state, 0) is None
    state.apply(Command(0, wire.MuteAll(muted=False), 8.0))
    state.apply(Command(0, wire.MuteSeat(seat=1, muted=True), 9.0))
    assert "muted you" in (_silent(state, 1) or "") and _silent(state, 2) is None
    # a co-guide speaks without the floor, and mute-all leaves them audible
    state.apply(Command(0, wire.HandOver(seat=3), 10.0))
    state.apply(Command(0, wire.MuteAll(muted=True), 11.0))
    assert state.seats[3].role == "co_guide" and _silent(state, 3) is None
    # a member may not change the floor
    (refused,) = state.apply(Command(2, wire.OpenFloor(open=False), 12.0))
    assert isinstance(refused, Send) and refused.message.code == "not_allowed"


def test_the_floor_goes_with_a_drop_a_departure_a_removal_or_a_role() -> None:
    state = _tour()
    for seat in (1, 2, 3):
        state.apply(Command(0, wire.GiveFloor(seat=seat), 5.0))
    assert _floor(state.apply(Drop(1, "c1", 6.0))).holders == [2, 3]
    state.apply(Resume("t-1", 101, "c1b", 7.0))
    assert "floor" in (_silent(state, 1) or "")  # back, but not given it again
    assert _floor(state.apply(Leave(2, "c2", 8.0))).holders == [3]
    assert _floor(state.apply(Command(0, wire.HandOver(seat=3), 9.0))).holders == []
    state.apply(Command(0, wire.GiveFloor(seat=1), 10.0))
    assert _floor(state.apply(Command(0, wire.Remove(seat=1), 11.0))).holders == []
    assert state.snapshot().floor == wire.FloorState()


def test_a_held_seat_that_expires_had_lost_the_floor_already() -> None:
    state = _tour()
    state.apply(Command(0, wire.GiveFloor(seat=2), 5.0))
    state.apply(Drop(2, "c2", 6.0))
    assert not any(isinstance(o, Send) and isinstance(o.message, wire.FloorChanged)
                   for o in state.apply(Expire(2, "c2", 70.0)))
    assert state.floor == []


def test_giving_twice_and_muting_twice_change_nothing() -> None:
    state = _tour()
    state.apply(Command(0, wire.GiveFloor(seat=1), 5.0))
    assert state.apply(Command(0, wire.GiveFloor(seat=1), 6.0)) == []
    state.apply(Command(0, wire.MuteSeat(seat=2, muted=True), 7.0))
    assert state.apply(Command(0, wire.MuteSeat(seat=2, muted=True), 8.0)) == []
    assert state.apply(Command(0, wire.OpenFloor(open=False), 9.0)) == []
    (taken,) = state.apply(Command(0, wire.TakeFloor(seat=2), 10.0))
    assert isinstance(taken, Send) and taken.message.code == "bad_message"


def test_replicas_agree_on_the_floor() -> None:
    first, second = _tour(), _tour()
    script = [Command(0, wire.GiveFloor(seat=1), 5.0), Command(0, wire.OpenFloor(open=True), 6.0),
              Command(0, wire.MuteSeat(seat=2, muted=True), 7.0), Drop(1, "c1", 8.0),
              Command(0, wire.GiveFloor(seat=3), 9.0)]
    for event in script:
        assert first.apply(event) == second.apply(decode(encode(event)))
    assert first.snapshot() == second.snapshot()
    assert first.snapshot().floor == wire.FloorState(holders=[3], open=True, muted=[2])
