"""Whose voice a recording keeps: the guide's and co-guides' always; a member's only when
the tour keeps members' voices and that member's latest answer to the voice-recording
consent is yes. Until both are known a member's packets are not written."""

from __future__ import annotations

from dataclasses import dataclass, field

from protocol import tour as wire

VOICE_CONSENT = "voice-recording"
"""The consent purpose a member grants for their voice to be kept in recordings."""
STAFF_ROLES = frozenset({"guide", "co_guide"})


@dataclass
class VoicePolicy:
    keep_members: bool = False
    consented: set[int] = field(default_factory=set)  # users whose latest answer is yes
    # user -> how many withdrawals reached this tour: a consent read before one is stale
    withdrawals: dict[int, int] = field(default_factory=dict)

    def withdraw(self, user: int) -> None:
        self.consented.discard(user)
        self.withdrawals[user] = self.withdrawals.get(user, 0) + 1

    def allows(self, user: int, role: str) -> bool:
        if role in STAFF_ROLES:
            return True
        return role == "member" and self.keep_members and user in self.consented


@dataclass
class Roster:
    """Seat → (user, role), followed from the tour's broadcast messages."""

    seats: dict[int, tuple[int, str]] = field(default_factory=dict)

    def follow(self, message: object) -> int | None:
        """Takes in a roster change; returns the user who joined, if one did."""
        if isinstance(message, wire.Joined):
            p = message.participant
            self.seats[p.seat] = (p.user, p.role)
            return p.user
        if isinstance(message, wire.RoleChanged) and message.seat in self.seats:
            self.seats[message.seat] = (self.seats[message.seat][0], message.role)
        return None
