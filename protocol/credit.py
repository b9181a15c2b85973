"""Credit rules: what a visit must show to earn 学时 (see domain/learning-credits.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


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
