"""What can happen to a tour. Each input carries the time it happened (server clock,
seconds since the epoch) so replicas applying the log agree; each can be encoded for the
shared log (``server.live.fanout``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from protocol import tour as wire


@dataclass(frozen=True)
class Join:
    user: int
    name: str
    ticket: str  # becomes the resume token
    conn: str  # names the connection, so a late drop of an older one is ignored
    now: float


@dataclass(frozen=True)
class Resume:
    ticket: str
    user: int
    conn: str
    now: float


@dataclass(frozen=True)
class Drop:
    """The connection was lost; the seat is held."""

    seat: int
    conn: str
    now: float


@dataclass(frozen=True)
class Leave:
    """The member closed the connection on purpose."""

    seat: int
    conn: str
    now: float


@dataclass(frozen=True)
class Expire:
    """The hold on a dropped seat ran out."""

    seat: int
    conn: str
    now: float


@dataclass(frozen=True)
class Command:
    seat: int
    message: Any  # a validated protocol.tour.ClientMessage
    now: float


Input = Join | Resume | Drop | Leave | Expire | Command
_KINDS: dict[str, type] = {"join": Join, "resume": Resume, "drop": Drop, "leave": Leave,
                           "expire": Expire, "command": Command}
_NAMES = {cls: name for name, cls in _KINDS.items()}


def encode(event: Input) -> bytes:
    fields: dict[str, Any] = dict(event.__dict__)
    if isinstance(event, Command):
        fields["message"] = event.message.model_dump(mode="json")
    return json.dumps({"k": _NAMES[type(event)], **fields}, separators=(",", ":")).encode()


def decode(data: bytes) -> Input:
    fields = json.loads(data)
    cls = _KINDS[fields.pop("k")]
    if cls is Command:
        fields["message"] = wire.CLIENT.validate_python(fields["message"])
    return cls(**fields)  # type: ignore[no-any-return]
