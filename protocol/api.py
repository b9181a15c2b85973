"""Request and response bodies of the server's HTTP API (also used by its clients)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from protocol.participation import ParticipationFact

Role = Literal["member", "guide", "editor", "admin"]


MAX_ID = 2**31 - 1
DbId = Annotated[int, Field(ge=1, le=MAX_ID, description="an id a database column holds")]
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _sane_moment(value: datetime) -> datetime:
    """A moment in 2000..2100 once in UTC: 9999-12-31 at -12:00 is past the last moment
    ``datetime`` holds, and overflows wherever it is compared or converted."""
    try:
        year = value.astimezone(UTC).year
    except OverflowError:
        year = 10_000 if value.year > 1 else 0
    if year < FIRST_YEAR:
        raise ValueError(f"must be in the future (not before {FIRST_YEAR})")
    if year > LAST_YEAR:
        raise ValueError(f"must be within five years from now (not after {LAST_YEAR})")
    return value


SaneDatetime = Annotated[AwareDatetime, AfterValidator(_sane_moment)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class LoginRequest(_Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class TokenRequest(_Strict):
    label: str = Field(default="", max_length=100)


class TokenResponse(_Strict):
    id: int
    token: str
    expires_at: datetime


class OrgCreate(_Strict):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["committee", "branch"]
    parent_id: DbId | None = None


class Org(_Strict):
    id: int
    name: str
    kind: str
    parent_id: int | None


class UserCreate(_Strict):
    username: str = Field(pattern=r"^[A-Za-z0-9_.-]{3,64}$")
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=8, max_length=200)
    role: Role = "member"
    org_id: DbId | None = None
    phone: str | None = Field(default=None, pattern=r"^\+?[0-9 -]{5,20}$")
    id_number: str | None = Field(default=None, pattern=r"^[0-9]{17}[0-9Xx]$")


class UserOut(_Strict):
    id: int
    username: str
    display_name: str
    role: Role
    org_id: int | None


class ConsentRequest(_Strict):
    purpose: Literal["participation-records", "personal-data", "voice-recording"]
    text_version: str = Field(min_length=1, max_length=20)
    granted: bool


class TourCreate(_Strict):
    exhibit_id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    version: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")  # one line
    starts_at: SaneDatetime = Field(description="with a time zone, e.g. 2026-12-01T14:00:00+08:00")
    duration_minutes: int = Field(ge=10, le=480)
    capacity: int = Field(ge=1, le=5000)
    branches: list[DbId] = Field(min_length=1, max_length=100,
                                 description="invited branch ids")
    keep_member_voices: bool = Field(
        default=False, description="keep, in the tour's recording, the voices of members who "
        "speak and have consented to it (the guides' voices are always kept)")


class TourOut(_Strict):
    id: int
    exhibit_id: str
    version: str
    title: str
    guide_id: int
    starts_at: datetime
    duration_minutes: int
    capacity: int
    registered: int
    branches: list[int]
    cancelled: bool


class ExhibitListQuery(_Strict):
    all: Literal["0", "1"] = Field(default="0", description="1: every version (editors)")


class ParticipationBatch(_Strict):
    """Facts from a self-guided visit, delivered from the engine's outbox; a fact already
    stored (same id) is acknowledged again and not stored twice."""

    facts: list[ParticipationFact] = Field(min_length=1, max_length=500)


class ParticipationReceipt(_Strict):
    received: int
    stored: int = Field(description="how many were new; the rest were repeats")
