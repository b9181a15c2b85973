"""Participation facts the engine and the tour server produce, with producer-chosen ids.

An id is chosen once, when the fact happens, and kept through every retry, so whoever
stores the fact can ignore repeats.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field

from protocol.scene import Slug

Finite = Annotated[float, Field(allow_inf_nan=False)]
"""A float that is a number: NaN and ±Infinity are refused (JSON has neither; a client
that sends them anyway would otherwise have them echoed as ``null``)."""
Seconds = Annotated[float, Field(allow_inf_nan=False, ge=0, le=366 * 86400)]
"""A duration, at most a year."""
EARLIEST = 946_684_800.0  # 2000-01-01T00:00:00Z
LATEST = 4_102_444_800.0  # 2100-01-01T00:00:00Z
EpochSeconds = Annotated[float, Field(allow_inf_nan=False, ge=EARLIEST, le=LATEST)]
"""A moment as seconds since the Unix epoch, in 2000..2099 (any date a database and
``datetime`` hold); the server also refuses facts far from its own clock
(:func:`stale_or_future`)."""
PAST_WINDOW = 400 * 86400.0
"""How long ago a fact may have happened and still be taken (an outbox kept offline)."""
FUTURE_WINDOW = 86400.0
"""How far ahead of the server's clock a fact's time may be (a client's clock off)."""


MEMBER_FACTS = UUID("5b0f3c7e-2d1a-4e8b-9f64-0c2a7d9e1b35")
"""Namespace of the ids facts are stored under: see :func:`stored_id`."""


def stored_id(user: int, client_id: UUID | str) -> str:
    """The id a member's fact is stored under: the id their client chose, scoped to them.

    Ids the server makes (a tour's own records) and ids other members chose can never be
    taken this way, and a retry of the same fact is still stored once."""
    return str(uuid5(MEMBER_FACTS, f"member/{user}/{str(client_id).lower()}"))


def stale_or_future(at: float, now: float) -> str | None:
    """Why a fact at ``at`` cannot be taken at server time ``now``, or None if it can."""
    if at < now - PAST_WINDOW:
        return f"the fact's time `at` is more than {PAST_WINDOW / 86400:.0f} days ago"
    if at > now + FUTURE_WINDOW:
        return "the fact's time `at` is more than a day ahead of the server's clock"
    return None


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    id: UUID
    at: EpochSeconds = Field(description="seconds since the Unix epoch when it happened")
    session: UUID = Field(description="one visit of one member to one exhibit")
    exhibit: Slug
    exhibit_version: str
    scene: Slug
    replay_of: int | None = Field(
        default=None, ge=1, le=2_147_483_647, exclude_if=lambda value: value is None,
        description="the tour whose recording this visit replays: a replay, not attendance")


class SceneEntered(_Fact):
    kind: Literal["scene_entered"] = "scene_entered"


class SceneLeft(_Fact):
    kind: Literal["scene_left"] = "scene_left"
    seconds: Seconds = Field(description="time spent in the scene")


class StopReached(_Fact):
    kind: Literal["stop_reached"] = "stop_reached"
    stop: Slug


class HotspotViewed(_Fact):
    kind: Literal["hotspot_viewed"] = "hotspot_viewed"
    hotspot: Slug
    dwell_seconds: Seconds


class QuizAnswered(_Fact):
    kind: Literal["quiz_answered"] = "quiz_answered"
    item: Slug
    response: int = Field(ge=0, le=1000)
    correct: bool


class SceneCompleted(_Fact):
    kind: Literal["scene_completed"] = "scene_completed"
    hotspots_viewed: int = Field(ge=0, le=100_000)
    hotspots_total: int = Field(ge=0, le=100_000)
    quiz_score: Finite = Field(ge=0, le=1)
    seconds: Seconds


ParticipationFact = Annotated[
    SceneEntered | SceneLeft | StopReached | HotspotViewed | QuizAnswered | SceneCompleted,
    Field(discriminator="kind"),
]
