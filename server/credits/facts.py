"""Stored participation facts as typed models, for the credit rules.

Three shapes reach the ``participation`` table:

* a self-guided visit's fact (``POST /api/participation``): the engine's own
  :mod:`protocol.participation` fact, as its detail;
* what a live tour's server records itself (tour started or ended, joined, left, a stop
  reached, a quiz item started or answered, a hand raised, a question asked): the tour and
  seat plus the kind's own fields;
* a fact a member's client reports during a tour (a ``fact`` message): the tour and seat
  plus the engine's fact under ``fact``.

:func:`read` gives each one a typed model, or the reason it cannot be used; nothing that
reads facts for credits looks into a detail dictionary by hand."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from protocol import participation as p
from protocol.scene import Slug
from server.db.models import ParticipationRecord

log = logging.getLogger("redhall.credits")
DAY = 24 * 3600.0

# -- a visit's facts: the protocol's models, with every number finite and in range ------


class _Finite(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False)


class SceneEntered(p.SceneEntered, _Finite):
    pass


class SceneLeft(p.SceneLeft, _Finite):
    seconds: float = Field(ge=0, le=DAY)


class StopReached(p.StopReached, _Finite):
    pass


class HotspotViewed(p.HotspotViewed, _Finite):
    dwell_seconds: float = Field(ge=0, le=DAY)


class QuizAnswered(p.QuizAnswered, _Finite):
    response: int = Field(ge=0, le=1000)


class SceneCompleted(p.SceneCompleted, _Finite):
    hotspots_viewed: int = Field(ge=0, le=100_000)
    hotspots_total: int = Field(ge=0, le=100_000)
    seconds: float = Field(ge=0, le=DAY)


VisitFact = Annotated[SceneEntered | SceneLeft | StopReached | HotspotViewed | QuizAnswered
                      | SceneCompleted, Field(discriminator="kind")]

# -- what a live tour's server records ------------------------------------------------


class _Live(BaseModel):
    # the server writes these; fields it may add later are no reason to refuse one
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)

    tour: int = Field(ge=1)
    seat: int = Field(ge=0)


class TourStarted(_Live):
    kind: Literal["tour_started"]


class TourEnded(_Live):
    kind: Literal["tour_ended"]


class Joined(_Live):
    kind: Literal["joined"]


class Left(_Live):
    kind: Literal["left"]
    reason: str = ""


class GuideStop(_Live):
    """The guide moved everyone to a route stop (``stop`` is its id, or its number in
    facts stored before stops had ids)."""

    kind: Literal["stop_reached"]
    scene: Slug
    stop: str | int


class QuizStarted(_Live):
    kind: Literal["quiz_started"]
    scene: Slug
    item: Slug


class LiveAnswer(_Live):
    """A member's first answer to the open quiz item, judged by the server."""

    kind: Literal["quiz_answered"]
    scene: Slug
    item: Slug
    response: int = Field(ge=0, le=1000)
    correct: bool


class HandRaised(_Live):
    kind: Literal["hand_raised"]


class QuestionAsked(_Live):
    kind: Literal["question_asked"]


class Reported(_Live):
    """A fact the member's own client reported during the tour (their view of it: the
    tour's credits go by what the server saw, not by these)."""

    kind: str
    fact: VisitFact

    @property
    def scene(self) -> str:
        return self.fact.scene


LiveFact = Annotated[TourStarted | TourEnded | Joined | Left | GuideStop | QuizStarted
                     | LiveAnswer | HandRaised | QuestionAsked, Field(discriminator="kind")]

_LIVE_KINDS = frozenset(model.model_fields["kind"].annotation.__args__[0]  # type: ignore[union-attr]
                        for model in (TourStarted, TourEnded, Joined, Left, GuideStop,
                                      QuizStarted, LiveAnswer, HandRaised, QuestionAsked))
_VISIT: TypeAdapter[VisitFact] = TypeAdapter(VisitFact)
_LIVE: TypeAdapter[LiveFact] = TypeAdapter(LiveFact)
_REPORTED: TypeAdapter[Reported] = TypeAdapter(Reported)
Body = (SceneEntered | SceneLeft | StopReached | HotspotViewed | QuizAnswered | SceneCompleted
        | TourStarted | TourEnded | Joined | Left | GuideStop | QuizStarted | LiveAnswer
        | HandRaised | QuestionAsked | Reported)


@dataclass(frozen=True)
class Fact:
    """One usable stored fact: who, when (seconds since the epoch), in which tour (None for
    a self-guided visit), and its typed content."""

    number: int
    user: int
    at: float
    tour: int | None
    body: Body

    @property
    def kind(self) -> str:
        return self.body.kind

    @property
    def scene(self) -> str | None:
        """The scene it happened in, where the fact names one."""
        return getattr(self.body, "scene", None)

    @property
    def reported(self) -> bool:
        """Whether a member's client reported it during a tour (not the tour's server)."""
        return isinstance(self.body, Reported)


@dataclass(frozen=True)
class Read:
    """A stored fact read for credits: ``fact``, or why it cannot be used."""

    fact: Fact | None
    reason: str = ""
    quiet: bool = False  # a kind the rules have no use for, rather than a broken fact


def _why(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else first["msg"]


def read(record: ParticipationRecord) -> Read:
    """The typed fact in ``record``, or the reason it is of no use to the credit rules."""
    detail = record.detail if isinstance(record.detail, dict) else {}
    try:
        body: Body
        if record.tour_id is None:
            body = _VISIT.validate_python({**detail, "kind": record.kind})
        elif "fact" in detail:
            body = _REPORTED.validate_python({**detail, "kind": record.kind})
            if body.fact.kind != record.kind:
                return Read(None, f"reported as {record.kind} but holds a {body.fact.kind}")
        elif record.kind not in _LIVE_KINDS:
            return Read(None, f"a {record.kind!r} fact is not used by the credit rules",
                        quiet=True)
        else:
            body = _LIVE.validate_python({**detail, "kind": record.kind})
    except ValidationError as exc:
        return Read(None, f"a {record.kind!r} fact the credit rules cannot read ({_why(exc)})")
    if isinstance(body, _Live) and body.tour != record.tour_id:
        return Read(None, f"recorded for tour {record.tour_id} but names tour {body.tour}")
    number = record.number if isinstance(record.number, int) else 0
    return Read(Fact(number, record.user_id, record.at.timestamp(), record.tour_id, body))


def usable(records: list[ParticipationRecord]) -> list[Fact]:
    """The facts of ``records`` the credit rules can use, in order; every other one is
    logged with its reason and left out."""
    found = []
    for record in records:
        result = read(record)
        if result.fact is None and result.quiet:
            log.debug("credits leave out fact %s: %s", record.id, result.reason)
        elif result.fact is None:
            log.warning("credits skip fact %s of user %s: %s", record.id, record.user_id,
                        result.reason)
        else:
            found.append(result.fact)
    return found
