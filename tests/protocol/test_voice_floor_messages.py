"""The floor's control messages (tour protocol 3): each round-trips through the adapters
that read raw client and server text, and bad seats are refused."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from protocol import tour as wire


@pytest.mark.parametrize("message", [
    wire.GiveFloor(seat=3), wire.TakeFloor(seat=65535), wire.OpenFloor(open=True),
    wire.MuteSeat(seat=0, muted=False),
])
def test_floor_commands_round_trip(message: wire.GiveFloor) -> None:
    assert wire.CLIENT.validate_json(message.model_dump_json()) == message
    assert type(message) in wire.GUIDE_COMMANDS


def test_the_floor_reaches_clients_in_its_own_message_and_in_the_snapshot() -> None:
    floor = wire.FloorState(holders=[2, 5], open=True, muted=[7])
    changed = wire.FloorChanged(floor=floor)
    assert wire.SERVER.validate_json(changed.model_dump_json()) == changed
    snapshot = wire.TourSnapshot(tour=1, phase="live", scene="s", stop=None, follow=False,
                                 locked=False, muted=True, highlight=None, quiz=None,
                                 participants=[], hands=[], capacity=5, floor=floor)
    assert wire.TourSnapshot.model_validate_json(snapshot.model_dump_json()).floor == floor
    assert wire.TOUR_PROTOCOL == 3 and wire.MAX_FLOOR == 4


@pytest.mark.parametrize("raw", [
    '{"type": "floor_give", "seat": -1}', '{"type": "floor_give", "seat": 65536}',
    '{"type": "floor_take", "seat": 1.5}', '{"type": "floor_give"}',
    '{"type": "mute_seat", "seat": 1}', '{"type": "floor_open", "open": true, "seat": 1}',
])
def test_bad_floor_commands_are_refused(raw: str) -> None:
    with pytest.raises(ValidationError):
        wire.CLIENT.validate_json(raw)
