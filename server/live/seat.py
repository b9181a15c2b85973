"""One participant's place in a tour; kept while they are briefly away."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    _public: wire.Participant | None = field(default=None, init=False, repr=False,
                                             compare=False)

    def __setattr__(self, name: str, value: object) -> None:
        object.__setattr__(self, name, value)
        if name != "_public":
            object.__setattr__(self, "_public", None)  # changed: build it again when asked

    def public(self) -> wire.Participant:
        # Kept until the seat changes: every join sends the whole roster, and building a
        # thousand entries each time made a full tour's joins quadratic (seconds of event
        # loop at a thousand seats).
        if self._public is None:
            self._public = wire.Participant(seat=self.seat, user=self.user, name=self.name,
                                            role=self.role, present=self.present,
                                            hand=self.hand)
        return self._public
