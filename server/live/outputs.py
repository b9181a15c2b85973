"""What applying an input to a tour produces; the transport carries these out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from protocol import tour as wire

ALL = "all"
GUIDES = "guides"


@dataclass(frozen=True)
class Send:
    """``to``: a seat number, :data:`ALL`, :data:`GUIDES`, or the ticket of a connection
    that has no seat yet."""

    to: int | str
    message: Any


@dataclass(frozen=True)
class Record:
    """A participation fact to store durably, once (``id`` is the same on every replica)."""

    id: str
    kind: str
    user: int
    at: float
    detail: dict[str, Any]


@dataclass(frozen=True)
class Disconnect:
    seat: int
    code: int
    reason: str


@dataclass(frozen=True)
class Seated:
    """The seat given to the connection that presented ``ticket``."""

    seat: int
    ticket: str


Output = Send | Record | Disconnect | Seated


def error(code: str, message: str, about: str | None = None) -> wire.Error:
    return wire.Error(code=code, message=message, about=about)  # type: ignore[arg-type]
