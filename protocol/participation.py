"""Participation facts the engine and the tour server produce, with producer-chosen ids.

An id is chosen once, when the fact happens, and kept through every retry, so whoever
stores the fact can ignore repeats.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from protocol.scene import Slug


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: UUID
    at: float = Field(description="seconds since the Unix epoch when it happened")
    session: UUID = Field(description="one visit of one member to one exhibit")
    exhibit: Slug
    exhibit_version: str
    scene: Slug


class SceneEntered(_Fact):
    kind: Literal["scene_entered"] = "scene_entered"


class SceneLeft(_Fact):
    kind: Literal["scene_left"] = "scene_left"
    seconds: float = Field(ge=0, description="time spent in the scene")


class StopReached(_Fact):
    kind: Literal["stop_reached"] = "stop_reached"
    stop: Slug


class HotspotViewed(_Fact):
    kind: Literal["hotspot_viewed"] = "hotspot_viewed"
    hotspot: Slug
    dwell_seconds: float = Field(ge=0)


class QuizAnswered(_Fact):
    kind: Literal["quiz_answered"] = "quiz_answered"
    item: Slug
    response: int = Field(ge=0)
    correct: bool


class SceneCompleted(_Fact):
    kind: Literal["scene_completed"] = "scene_completed"
    hotspots_viewed: int = Field(ge=0)
    hotspots_total: int = Field(ge=0)
    quiz_score: float = Field(ge=0, le=1)
    seconds: float = Field(ge=0)


ParticipationFact = Annotated[
    SceneEntered | SceneLeft | StopReached | HotspotViewed | QuizAnswered | SceneCompleted,
    Field(discriminator="kind"),
]
