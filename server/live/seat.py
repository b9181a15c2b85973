"""One participant's place in a tour; kept while they are briefly away."""

from __future__ import annotations

from dataclasses import dataclass

from protocol import tour as wire


@dataclass
class Seat:
    seat: int
    user: int
    name: str
    role: wire.Role
    ticket: str  # the resume token; replaced when the seat is released
    conn: str = ""  # the connection now in the seat
    present: bool = True
    hand: bool = False

    @property
    def released(self) -> bool:
        """Given up (left, expired, removed): nothing more can happen to this seat."""
        return self.ticket == f"released:{self.seat}"

    def public(self) -> wire.Participant:
        return wire.Participant(seat=self.seat, user=self.user, name=self.name, role=self.role,
                                present=self.present, hand=self.hand)
