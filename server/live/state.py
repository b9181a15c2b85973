"""The tour as a pure state machine: ``apply(input) -> outputs``. No I/O, no clock, no
aiohttp: time arrives inside each input, so every server process that applies the same
inputs in the same order holds the same tour (see ``server.live.fanout``).

Phases: lobby → live → ended. A message that makes no sense in the current phase is an
``illegal_state`` error; a guide command from a member is ``not_allowed``.
"""

from __future__ import annotations

import uuid
from typing import Any

from protocol import tour as wire
from protocol.participation import stale_or_future, stored_id
from server.live.floor import FLOOR_HANDLERS, floor_state, lose_floor
from server.live.handlers import GUIDE_HANDLERS, MEMBER_HANDLERS, end_tour
from server.live.inputs import Command, Drop, Expire, Input, Join, Leave, Resume
from server.live.outputs import (
    ALL,
    GUIDES,
    Disconnect,
    Output,
    Record,
    Seated,
    Send,
    error,
)
from server.live.plan import TourPlan
from server.live.quiz import OpenQuiz
from server.live.seat import Seat

ROSTER_LIMIT = 64
"""Above this many seats, arrivals and departures go to the guides only: a thousand members
need not hear of each other one by one (they see each other as avatars by seat)."""

RECORD_NAMESPACE = uuid.UUID("7f1c2a8e-3c55-4a4e-9a57-52a1e3f0c0de")
"""Ids of the records the tour makes itself; members' facts are stored under ids scoped to
the member (``protocol.participation.stored_id``), so no client can take one of these."""
GUIDE_ROLES = ("guide", "co_guide")


class TourState:
    def __init__(self, plan: TourPlan) -> None:
        self.plan = plan
        self.phase: wire.Phase = "lobby"
        self.scene = plan.first_scene
        self.stop: str | None = None
        self.follow = False
        self.locked = False
        self.muted = False  # mute-all: members silent, floor or not
        self.floor: list[int] = []  # members who may speak, in the order given
        self.floor_open = False
        self.muted_seats: set[int] = set()
        self.highlight: str | None = None
        self.laser: tuple[wire.Vec3, wire.Vec3 | None] | None = None
        self.quiz: OpenQuiz | None = None
        self.seats: dict[int, Seat] = {}
        self.by_user: dict[int, int] = {}
        self.by_ticket: dict[str, int] = {}
        self.hands: list[int] = []
        self.guides: set[int] = set()  # seats that hold or held a guide role (few)
        self.removed: set[int] = set()
        self._records = 0

    # -- queries -----------------------------------------------------------------------

    def snapshot(self) -> wire.TourSnapshot:
        return wire.TourSnapshot(
            tour=self.plan.tour, phase=self.phase, scene=self.scene, stop=self.stop,
            follow=self.follow, locked=self.locked, muted=self.muted, highlight=self.highlight,
            laser=self.laser, quiz=self.quiz_state(), capacity=self.plan.capacity,
            participants=[s.public() for s in self.seats.values()], hands=list(self.hands),
            exhibit=self.plan.exhibit, exhibit_version=self.plan.exhibit_version,
            floor=floor_state(self))

    def occupied(self, seat: Seat) -> bool:
        """Present, or away with the seat still held."""
        return seat.present or seat.ticket in self.by_ticket

    def present_members(self) -> list[Seat]:
        return [s for s in self.seats.values() if s.role == "member" and s.present]

    def guide_seats(self) -> list[int]:
        return [n for n in self.guides if self.seats[n].present and
                self.seats[n].role in GUIDE_ROLES]

    def _roster(self, message: object) -> Send:
        return Send(ALL if len(self.seats) <= ROSTER_LIMIT else GUIDES, message)

    # -- the one entry point -------------------------------------------------------------

    def apply(self, event: Input) -> list[Output]:
        if isinstance(event, Join):
            return self._join(event)
        if isinstance(event, Resume):
            return self._resume(event)
        if isinstance(event, (Drop, Leave, Expire)):
            return self._gone(event)
        return self._command(event)

    # -- arriving and going --------------------------------------------------------------

    def record(self, kind: str, seat: Seat, at: float, **detail: Any) -> Record:
        self._records += 1
        key = f"tour/{self.plan.tour}/{self._records}/{kind}/{seat.user}"
        return Record(str(uuid.uuid5(RECORD_NAMESPACE, key)), kind, seat.user, at,
                      {"tour": self.plan.tour, "seat": seat.seat, **detail})

    def _role_for(self, user: int) -> wire.Role:
        if user == self.plan.guide:
            return "guide"
        free = self.plan.capacity - len(self.plan.reserved)  # places not kept for anyone
        if user in self.plan.reserved or len(self.seats) < free:
            return "member"  # (fewer seats were ever given than there are free places)
        unreserved = sum(1 for s in self.seats.values() if s.role == "member"
                         and s.user not in self.plan.reserved and self.occupied(s))
        return "member" if unreserved < free else "spectator"

    def _join(self, event: Join) -> list[Output]:
        if self.phase == "ended":
            return [Send(event.ticket, error("illegal_state", "this tour has ended", "hello"))]
        if event.user in self.removed:
            return [Send(event.ticket, error("not_allowed",
                                              "the guide removed you from this tour", "hello"))]
        out: list[Output] = []
        existing = self.by_user.get(event.user)
        if existing is not None:  # the same person again (another device, or after leaving)
            seat = self.seats[existing]
            held = self.occupied(seat)
            if not held and seat.role in ("member", "spectator"):
                seat.role = self._role_for(seat.user)  # a seat given up may have been taken
            if seat.present:
                out.append(Disconnect(seat.seat, 4000, "joined from another connection"))
            self.by_ticket.pop(seat.ticket, None)
            was_present, seat.present, seat.ticket = seat.present, True, event.ticket
            seat.conn = event.conn
            self.by_ticket[seat.ticket] = seat.seat
            out += [Seated(seat.seat, event.ticket),
                    Send(seat.seat, self._welcome(seat, event.now))]
            if not was_present:
                out.append(self._roster(wire.Joined(participant=seat.public())))
            if not held and seat.role != "spectator":
                out.append(self.record("joined", seat, event.now))
            return out
        seat = Seat(seat=len(self.seats), user=event.user, name=event.name,
                    role=self._role_for(event.user), ticket=event.ticket, conn=event.conn)
        self.seats[seat.seat] = seat
        if seat.role in GUIDE_ROLES:
            self.guides.add(seat.seat)
        self.by_user[seat.user] = seat.seat
        self.by_ticket[seat.ticket] = seat.seat
        out += [Seated(seat.seat, event.ticket), Send(seat.seat, self._welcome(seat, event.now)),
                self._roster(wire.Joined(participant=seat.public()))]
        if seat.role != "spectator":
            out.append(self.record("joined", seat, event.now))
        return out

    def _welcome(self, seat: Seat, now: float) -> wire.Welcome:
        return wire.Welcome(version=wire.TOUR_PROTOCOL, seat=seat.seat, role=seat.role,
                            resume=seat.ticket, hold_seconds=self.plan.hold_seconds,
                            server_time=now, snapshot=self.snapshot())

    def _resume(self, event: Resume) -> list[Output]:
        number = self.by_ticket.get(event.ticket)
        if number is None or self.phase == "ended" or self.seats[number].user != event.user:
            return [Send(event.ticket, error("unknown", "that resume token is not valid "
                                              "(the seat was given up); join afresh", "hello"))]
        seat = self.seats[number]
        out: list[Output] = []
        if seat.present:
            out.append(Disconnect(seat.seat, 4000, "resumed from another connection"))
        out += [Seated(seat.seat, event.ticket), Send(seat.seat, self._welcome(seat, event.now))]
        seat.conn = event.conn
        if not seat.present:
            seat.present = True
            out.append(self._roster(wire.Returned(seat=seat.seat)))
        return out

    def _gone(self, event: Drop | Leave | Expire) -> list[Output]:
        seat = self.seats.get(event.seat)
        if seat is None:
            return []
        if event.conn != seat.conn or seat.released:
            return []  # an older connection, or a seat already given up
        if isinstance(event, Drop):  # seat held: attendance continues until it expires
            if not seat.present:
                return []
            seat.present = False
            return [*lose_floor(self, seat),
                    self._roster(wire.Left(seat=seat.seat, reason="dropped"))]
        if isinstance(event, Expire) and seat.present:
            return []  # came back in time
        out = self.release(seat, event.now, "left" if isinstance(event, Leave) else "expired")
        if self.phase == "live" and seat.role in GUIDE_ROLES and not self._steered():
            # a tour never ended would never be judged for credits: it ends when its last
            # guide leaves or is not back in time
            out += end_tour(self, seat, event.now, reason="guides_gone")
        return out

    def _steered(self) -> bool:
        """Whether a guide or co-guide still holds a seat (present, or away and held)."""
        return any(self.occupied(self.seats[n]) and self.seats[n].role in GUIDE_ROLES
                   for n in self.guides)

    def release(self, seat: Seat, now: float, reason: str, announce: bool = True) -> list[Output]:
        """Gives the seat up: attendance ends now; the resume token stops working."""
        seat.present = False
        self.by_ticket.pop(seat.ticket, None)
        seat.ticket = f"released:{seat.seat}"
        out: list[Output] = lose_floor(self, seat)
        if seat.hand:
            out += self.set_hand(seat, False, now)
        if announce:
            out.append(self._roster(wire.Left(seat=seat.seat, reason=reason)))  # type: ignore[arg-type]
        if seat.role != "spectator":
            out.append(self.record("left", seat, now, reason=reason))
        return out

    # -- messages from connected seats ---------------------------------------------------

    def _command(self, event: Command) -> list[Output]:
        seat = self.seats.get(event.seat)
        if seat is None or not seat.present:
            return []
        message = event.message
        if isinstance(message, wire.Ping):
            return [Send(seat.seat, wire.Pong(sent=message.sent, server_time=event.now))]
        if self.phase == "ended":
            return [Send(seat.seat, error("illegal_state", "this tour has ended", message.type))]
        if isinstance(message, wire.GUIDE_COMMANDS):
            if seat.role not in GUIDE_ROLES:
                return [Send(seat.seat, error(
                    "not_allowed", f"only the guide may send `{message.type}`", message.type))]
            handler = GUIDE_HANDLERS.get(type(message)) or FLOOR_HANDLERS[type(message)]
            return handler(self, seat, message, event.now)
        if isinstance(message, wire.Fact):
            return self._fact(seat, message.fact, event.now)
        if seat.role == "spectator":
            return [Send(seat.seat, error("not_allowed", "spectators follow the tour without "
                                           "taking part", message.type))]
        return MEMBER_HANDLERS[type(message)](self, seat, message, event.now)

    def _fact(self, seat: Seat, fact: Any, now: float) -> list[Output]:
        """A member's fact, stored under an id scoped to them, acknowledged with their id."""
        why = stale_or_future(fact.at, now)
        if why is not None:
            return [Send(seat.seat, error("bad_message", f"fact {fact.id}: {why}; it is not "
                                          "stored", "fact"))]
        return [Record(stored_id(seat.user, fact.id), fact.kind, seat.user, fact.at,
                       {"tour": self.plan.tour, "seat": seat.seat,
                        "fact": fact.model_dump(mode="json")}),
                Send(seat.seat, wire.Ack(id=str(fact.id)))]

    def quiz_state(self) -> wire.QuizState | None:
        return self.quiz.state(len(self.present_members())) if self.quiz else None

    def set_hand(self, seat: Seat, raised: bool, now: float) -> list[Output]:
        if seat.hand == raised:
            return []
        seat.hand = raised
        if raised:
            self.hands.append(seat.seat)
        else:
            self.hands.remove(seat.seat)
        out: list[Output] = [Send(ALL, wire.HandChanged(seat=seat.seat, raised=raised,
                                                          queue=list(self.hands)))]
        if raised:
            out.append(self.record("hand_raised", seat, now))
        return out
