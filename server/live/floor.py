"""Who may speak in a tour, and the guide commands that change it.

The guide and co-guides always may, unless muted one by one. Members may while they hold
the floor (given by a guide, at most ``MAX_FLOOR`` at once) or while the floor is open, and
not while mute-all is on: mute-all is the guide's "quiet please" to the audience, so it
leaves the co-guides audible, and the floor stays recorded under it. Spectators only
listen. Like every tour setting this lives in the replicated state machine: each server
process decides for its own speakers from the same state.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from protocol import tour as wire
from server.live.outputs import ALL, Output, Send, error
from server.live.seat import Seat

if TYPE_CHECKING:
    from server.live.handlers import Handler
    from server.live.state import TourState

GUIDE_ROLES = ("guide", "co_guide")


def floor_state(state: TourState) -> wire.FloorState:
    return wire.FloorState(holders=list(state.floor), open=state.floor_open,
                           muted=sorted(state.muted_seats))


def announce(state: TourState) -> Send:
    return Send(ALL, wire.FloorChanged(floor=floor_state(state)))


def why_silent(state: TourState, seat: Seat) -> str | None:
    """None when ``seat`` may speak now, else what to tell its client."""
    if not seat.present or state.phase == "ended":
        return "the tour has ended" if state.phase == "ended" else "you are not in the tour"
    if seat.seat in state.muted_seats:
        return "the guide muted you"
    if seat.role in GUIDE_ROLES:
        return None
    if seat.role == "spectator":
        return "spectators listen without speaking"
    if state.muted:
        return "the guide muted everyone; wait until they unmute"
    if seat.seat in state.floor or state.floor_open:
        return None
    return "you don't have the floor; raise your hand and wait for the guide to give it"


def lose_floor(state: TourState, seat: Seat) -> list[Output]:
    """The seat leaves, drops, is removed or becomes a guide: its floor ends."""
    if seat.seat not in state.floor:
        return []
    state.floor.remove(seat.seat)
    return [announce(state)]


def _member(state: TourState, seat: Seat, message: Any) -> Seat | list[Output]:
    target = state.seats.get(message.seat)
    if target is None or not target.present or target.role != "member":
        return [Send(seat.seat, error("bad_message", f"seat {message.seat} is not a present "
                                      "member (guides always have the floor; spectators "
                                      "never)", message.type))]
    return target


def _give(state: TourState, seat: Seat, message: wire.GiveFloor, now: float) -> list[Output]:
    target = _member(state, seat, message)
    if isinstance(target, list):
        return target
    if target.seat in state.floor:
        return []
    if len(state.floor) >= wire.MAX_FLOOR:
        return [Send(seat.seat, error(
            "illegal_state", f"{wire.MAX_FLOOR} members hold the floor already (seats "
            f"{', '.join(map(str, state.floor))}); take it from one first", message.type))]
    state.floor.append(target.seat)
    out: list[Output] = state.set_hand(target, False, now)  # their hand was answered
    return [*out, announce(state)]


def _take(state: TourState, seat: Seat, message: wire.TakeFloor, now: float) -> list[Output]:
    if message.seat not in state.floor:
        return [Send(seat.seat, error("bad_message", f"seat {message.seat} does not hold the "
                                      "floor", message.type))]
    state.floor.remove(message.seat)
    return [announce(state)]


def _open(state: TourState, seat: Seat, message: wire.OpenFloor, now: float) -> list[Output]:
    if state.floor_open == message.open:
        return []
    state.floor_open = message.open
    return [announce(state)]


def _mute(state: TourState, seat: Seat, message: wire.MuteSeat, now: float) -> list[Output]:
    target = state.seats.get(message.seat)
    if target is None or target.seat == seat.seat:
        return [Send(seat.seat, error("bad_message", f"there is no other participant in seat "
                                      f"{message.seat}", message.type))]
    if target.role == "guide":
        return [Send(seat.seat, error("not_allowed", "the lead guide cannot be muted",
                                      message.type))]
    if (target.seat in state.muted_seats) == message.muted:
        return []
    if message.muted:
        state.muted_seats.add(target.seat)
    else:
        state.muted_seats.discard(target.seat)
    return [announce(state)]


FLOOR_HANDLERS: dict[type, Handler] = {
    wire.GiveFloor: _give, wire.TakeFloor: _take, wire.OpenFloor: _open, wire.MuteSeat: _mute,
}
