"""The live-tour wire protocol: JSON control messages (this module) and binary pose frames
(``protocol.tour_poses``).

A client opens ``/api/tours/{id}/live`` as a websocket and sends :class:`Hello` first.
Every later text message is one :data:`ClientMessage`; the server answers with
:data:`ServerMessage`. Both are discriminated by ``type`` and validated straight from the
raw text with the adapters built once below.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from protocol.participation import Finite, ParticipationFact
from protocol.scene import Slug

TOUR_PROTOCOL = 3
"""Bumped on any incompatible change; a hello with another version is refused. 2: the
snapshot names the exhibit and version (an engine of 1 refuses a welcome with them).
3: voice (binary ``protocol.voice`` frames beside pose frames, which a client of 2 would
misread as poses), the floor commands and the snapshot's ``floor``."""

MAX_FLOOR = 4
"""Members who may hold the floor at once (the guides speak besides them)."""

MAX_TEXT = 500
"""Longest question or chat line, in characters."""

REACTIONS = ("applause", "heart", "thumbs_up", "question", "flag")

Role = Literal["guide", "co_guide", "member", "spectator"]
Phase = Literal["lobby", "live", "ended"]
MAX_COORD = 1e5
"""Largest magnitude of a coordinate, in metres."""
Coord = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_COORD, le=MAX_COORD)]
Vec3 = tuple[Coord, Coord, Coord]
ShortText = Annotated[str, Field(min_length=1, max_length=MAX_TEXT, pattern=r"^[^\x00]*$")]
"""A question or chat line; no NUL character (no database stores one in text)."""
SeatNumber = Annotated[int, Field(ge=0, le=65535)]


class _Message(BaseModel):
    # NaN and ±Infinity are refused in every float, sent or received: JSON has neither,
    # so one would reach everyone else as ``null`` and their clients could not read it
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


# -- client to server ----------------------------------------------------------------

class Hello(_Message):
    type: Literal["hello"] = "hello"
    version: int
    # a bearer token, or "session-cookie" from a portal page: the principal is then the
    # session cookie of the upgrade request, accepted only with this site's Origin
    token: str = Field(min_length=1, max_length=200)
    resume: str | None = Field(default=None, max_length=100,
                               description="resume token from an earlier welcome")


class Ping(_Message):
    """Clock sync: the server answers with its own clock and the client's ``sent``."""

    type: Literal["ping"] = "ping"
    sent: Finite


class Start(_Message):
    type: Literal["start"] = "start"


class GoToStop(_Message):
    type: Literal["goto_stop"] = "goto_stop"
    scene: Slug
    stop: Slug


class Gather(_Message):
    """Everyone is brought to the guide when the countdown ends."""

    type: Literal["gather"] = "gather"
    countdown: Finite = Field(default=5, ge=0, le=60)
    at: Vec3 = Field(description="where to gather, usually the guide's position")


class Follow(_Message):
    type: Literal["follow"] = "follow"
    on: bool


class Lock(_Message):
    type: Literal["lock"] = "lock"
    locked: bool


class HighlightHotspot(_Message):
    type: Literal["highlight"] = "highlight"
    hotspot: Slug | None


class Laser(_Message):
    type: Literal["laser"] = "laser"
    origin: Vec3 | None = Field(description="None turns the pointer off")
    target: Vec3 | None = None


class MuteAll(_Message):
    type: Literal["mute_all"] = "mute_all"
    muted: bool


class GiveFloor(_Message):
    """Lets a member speak (their raised hand is lowered); at most :data:`MAX_FLOOR` at once."""

    type: Literal["floor_give"] = "floor_give"
    seat: SeatNumber


class TakeFloor(_Message):
    type: Literal["floor_take"] = "floor_take"
    seat: SeatNumber


class OpenFloor(_Message):
    """With the floor open every member may speak, :data:`MAX_FLOOR` at a time."""

    type: Literal["floor_open"] = "floor_open"
    open: bool


class MuteSeat(_Message):
    """Mutes one participant (a member or a co-guide) until unmuted, floor or not."""

    type: Literal["mute_seat"] = "mute_seat"
    seat: SeatNumber
    muted: bool


class StartQuiz(_Message):
    type: Literal["quiz_start"] = "quiz_start"
    item: Slug


class CloseQuiz(_Message):
    type: Literal["quiz_close"] = "quiz_close"


class EndTour(_Message):
    type: Literal["end"] = "end"


class Remove(_Message):
    type: Literal["remove"] = "remove"
    seat: SeatNumber


class HandOver(_Message):
    """Makes ``seat`` the co-guide; with ``lead`` true the guide role itself moves."""

    type: Literal["hand_over"] = "hand_over"
    seat: SeatNumber
    lead: bool = False


class LowerHand(_Message):
    """A guide takes a member's hand from the queue (after answering them)."""

    type: Literal["lower_hand"] = "lower_hand"
    seat: SeatNumber


class RaiseHand(_Message):
    type: Literal["hand"] = "hand"
    raised: bool


class Ask(_Message):
    type: Literal["ask"] = "ask"
    text: ShortText


class React(_Message):
    type: Literal["react"] = "react"
    reaction: Literal[REACTIONS]  # type: ignore[valid-type]


class Answer(_Message):
    type: Literal["answer"] = "answer"
    item: Slug
    choice: int = Field(ge=0, le=5)


class Chat(_Message):
    type: Literal["chat"] = "chat"
    text: ShortText


class Fact(_Message):
    """A participation fact seen by the client (a hotspot viewed, a stop reached); the
    server stores it durably and answers :class:`Ack` with the same id."""

    type: Literal["fact"] = "fact"
    fact: ParticipationFact


GUIDE_COMMANDS = (Start, GoToStop, Gather, Follow, Lock, HighlightHotspot, Laser, MuteAll,
                  StartQuiz, CloseQuiz, EndTour, Remove, HandOver, LowerHand,
                  GiveFloor, TakeFloor, OpenFloor, MuteSeat)
MEMBER_ACTIONS = (RaiseHand, Ask, React, Answer, Chat)

ClientMessage = Annotated[
    Ping | Start | GoToStop | Gather | Follow | Lock | HighlightHotspot | Laser | MuteAll
    | StartQuiz | CloseQuiz | EndTour | Remove | HandOver | LowerHand
    | GiveFloor | TakeFloor | OpenFloor | MuteSeat
    | RaiseHand | Ask | React | Answer | Chat | Fact,
    Field(discriminator="type"),
]


# -- server to client ----------------------------------------------------------------

class Participant(_Message):
    seat: int
    user: int
    name: str
    role: Role
    present: bool = True
    hand: bool = False


class QuizState(_Message):
    item: Slug
    choices: int
    counts: list[int]
    answered: int
    eligible: int
    closed: bool = False
    answer: int | None = Field(default=None, description="revealed when the quiz closes")


class FloorState(_Message):
    """Who may speak besides the guides. Mute-all (the snapshot's ``muted``) silences
    every member, floor or not, and not the co-guides; ``muted`` here lists seats muted
    one by one."""

    holders: list[int] = Field(default_factory=list,
                               description="members given the floor, in the order given")
    open: bool = Field(default=False, description="every member may speak")
    muted: list[int] = Field(default_factory=list, description="seats muted one by one")


class TourSnapshot(_Message):
    """Everything a late joiner needs to show the tour as it is now."""

    tour: int
    phase: Phase
    scene: Slug
    stop: Slug | None
    follow: bool
    locked: bool
    muted: bool
    highlight: Slug | None
    laser: tuple[Vec3, Vec3 | None] | None = None
    quiz: QuizState | None
    participants: list[Participant]
    hands: list[int] = Field(description="seats with a raised hand, oldest first")
    capacity: int
    exhibit: str | None = Field(default=None, description="the tour's exhibit (manifest id)")
    exhibit_version: str | None = Field(default=None,
                                        description="the version of the exhibit it shows")
    floor: FloorState = Field(default_factory=FloorState)


class Welcome(_Message):
    type: Literal["welcome"] = "welcome"
    version: int
    seat: int
    role: Role
    resume: str = Field(description="present this in a new hello to keep the seat after a drop")
    hold_seconds: Finite
    server_time: Finite
    snapshot: TourSnapshot


class Pong(_Message):
    type: Literal["pong"] = "pong"
    sent: Finite
    server_time: Finite


class Error(_Message):
    type: Literal["error"] = "error"
    code: Literal["bad_message", "not_allowed", "illegal_state", "unknown", "rate_limited",
                  "version", "auth", "full"]
    message: str
    about: str | None = Field(default=None, description="the type of the message refused")


class Ack(_Message):
    type: Literal["ack"] = "ack"
    id: str


class Joined(_Message):
    type: Literal["joined"] = "joined"
    participant: Participant


class Left(_Message):
    type: Literal["left"] = "left"
    seat: int
    reason: Literal["left", "dropped", "removed", "expired", "ended"]


class Returned(_Message):
    type: Literal["returned"] = "returned"
    seat: int


class PhaseChanged(_Message):
    type: Literal["phase"] = "phase"
    phase: Phase


class StopChanged(_Message):
    type: Literal["stop"] = "stop"
    scene: Slug
    stop: Slug


class Gathering(_Message):
    type: Literal["gathering"] = "gathering"
    at: Vec3
    deadline: Finite = Field(description="server time when everyone is moved")


class Setting(_Message):
    """follow / locked / muted changed."""

    type: Literal["setting"] = "setting"
    name: Literal["follow", "locked", "muted"]
    on: bool


class Highlighted(_Message):
    type: Literal["highlighted"] = "highlighted"
    hotspot: Slug | None


class LaserMoved(_Message):
    type: Literal["laser"] = "laser"
    origin: Vec3 | None
    target: Vec3 | None = None


class QuizUpdate(_Message):
    type: Literal["quiz"] = "quiz"
    quiz: QuizState | None


class HandChanged(_Message):
    type: Literal["hand"] = "hand"
    seat: int
    raised: bool
    queue: list[int]


class Question(_Message):
    type: Literal["question"] = "question"
    seat: int
    text: str


class Reaction(_Message):
    type: Literal["reaction"] = "reaction"
    seat: int
    reaction: str


class ChatLine(_Message):
    type: Literal["chat"] = "chat"
    seat: int
    text: str


class FloorChanged(_Message):
    type: Literal["floor"] = "floor"
    floor: FloorState


class RoleChanged(_Message):
    type: Literal["role"] = "role"
    seat: int
    role: Role


ServerMessage = Annotated[
    Welcome | Pong | Error | Ack | Joined | Left | Returned | PhaseChanged | StopChanged
    | Gathering | Setting | Highlighted | LaserMoved | QuizUpdate | HandChanged | Question
    | Reaction | ChatLine | RoleChanged | FloorChanged,
    Field(discriminator="type"),
]

HELLO: TypeAdapter[Hello] = TypeAdapter(Hello)
CLIENT: TypeAdapter[ClientMessage] = TypeAdapter(ClientMessage)
SERVER: TypeAdapter[ServerMessage] = TypeAdapter(ServerMessage)
