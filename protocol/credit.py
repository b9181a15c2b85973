"""Credit rules: what a visit must show to earn 学时 (see domain/learning-credits.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ReplayCredit(BaseModel):
    """What replaying a recorded tour earns: a share of the rule's hours, on the same
    conditions (presence, hotspots, quiz) met while replaying."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    share: float = Field(gt=0, le=1, description="share of the rule's hours a replay earns")


class CreditRule(BaseModel):
    """Conditions for an award and the hours it gives; all conditions must hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    hours: float = Field(gt=0, le=8, description="学时 awarded once the conditions hold")
    min_minutes: float = Field(
        default=0, ge=0, le=24 * 60,
        description="minimum presence in the scene or tour, in minutes"
    )
    hotspot_share: float = Field(
        default=0, ge=0, le=1, description="share of hotspots that must be viewed (0..1)"
    )
    quiz_pass: float = Field(
        default=0, ge=0, le=1, description="quiz score needed to pass (0..1); 0 = no quiz needed"
    )
    tour_presence_share: float = Field(
        default=0,
        ge=0,
        le=1,
        description="for guided tours: share of the tour's duration the member was present",
    )
    replay: ReplayCredit | None = Field(
        default=None, exclude_if=lambda value: value is None,  # manifests stay as they were
        description="whether and how much replaying a recorded tour earns; none: nothing "
                    "(a replay is never attendance)")
