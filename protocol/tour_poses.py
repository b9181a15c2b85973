"""Binary pose messages: head and two hands, quantized, little-endian.

Client → server, 46 bytes::

    u8 kind = 0x50 ('P') | u8 flags | u16 seq | head | left | right
    transform = i16 x, y, z (centimetres) + i16 qx, qy, qz, qw (× 32767)

Server → client, one frame per tick shared by many clients::

    u8 kind = 0x46 ('F') | u8 0 | u16 count | f64 server_time | count × entry
    entry = u16 seat | u8 flags | u16 seq | head | left | right      (47 bytes)

``flags`` bit 0: left hand tracked, bit 1: right hand tracked. The server never decodes
a pose beyond the head's position (for interest management): an entry is the client's
own bytes behind its seat number.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from protocol.errors import RedhallError

POSE_KIND = 0x50
FRAME_KIND = 0x46
POSE_SIZE = 46
ENTRY_SIZE = 47
FRAME_HEADER = struct.Struct("<BBHd")
_POSE_HEAD = struct.Struct("<BBH")
_TRANSFORM = struct.Struct("<7h")
_HEAD_XZ = struct.Struct("<hxxh")  # x, (skip y), z of the head, from offset 4
_SEAT = struct.Struct("<H")
_CM = 100.0
_Q = 32767.0
_LIMIT = 32767


class PoseError(RedhallError):
    """A binary pose message or frame that cannot be read."""


Vec3 = tuple[float, float, float]
Quat = tuple[float, float, float, float]


@dataclass(frozen=True)
class Transform:
    position: Vec3
    rotation: Quat = (0.0, 0.0, 0.0, 1.0)  # x, y, z, w


@dataclass(frozen=True)
class Pose:
    head: Transform
    left: Transform | None = None
    right: Transform | None = None
    seq: int = 0


def _clamp(value: float, scale: float) -> int:
    if not math.isfinite(value):
        return 0
    return max(-_LIMIT, min(_LIMIT, round(value * scale)))


def _pack(transform: Transform | None) -> bytes:
    if transform is None:
        return _TRANSFORM.pack(0, 0, 0, 0, 0, 0, _LIMIT)
    x, y, z = transform.position
    norm = math.sqrt(sum(c * c for c in transform.rotation)) or 1.0
    q = [c / norm for c in transform.rotation]
    return _TRANSFORM.pack(_clamp(x, _CM), _clamp(y, _CM), _clamp(z, _CM),
                           *(_clamp(c, _Q) for c in q))


def _unpack(data: bytes, offset: int) -> Transform:
    x, y, z, qx, qy, qz, qw = _TRANSFORM.unpack_from(data, offset)
    return Transform((x / _CM, y / _CM, z / _CM), (qx / _Q, qy / _Q, qz / _Q, qw / _Q))


def encode_pose(pose: Pose) -> bytes:
    """The 46-byte message a client sends; positions are clamped to ±327.67 m."""
    flags = (1 if pose.left else 0) | (2 if pose.right else 0)
    return (_POSE_HEAD.pack(POSE_KIND, flags, pose.seq & 0xFFFF)
            + _pack(pose.head) + _pack(pose.left) + _pack(pose.right))


def _read_pose(data: bytes, offset: int) -> Pose:
    flags, seq = data[offset], _SEAT.unpack_from(data, offset + 1)[0]
    base = offset + 3
    return Pose(head=_unpack(data, base),
                left=_unpack(data, base + 14) if flags & 1 else None,
                right=_unpack(data, base + 28) if flags & 2 else None, seq=seq)


def decode_pose(data: bytes) -> Pose:
    check_pose(data)
    return _read_pose(data, 1)


def check_pose(data: bytes) -> None:
    """Raises :class:`PoseError` unless ``data`` is a well-formed client pose message."""
    if len(data) != POSE_SIZE:
        raise PoseError(f"a pose message has {POSE_SIZE} bytes, this one has {len(data)}")
    if data[0] != POSE_KIND:
        raise PoseError(f"a pose message starts with 0x{POSE_KIND:02x}, not 0x{data[0]:02x}")
    if data[1] & ~3:
        raise PoseError(f"unknown pose flags 0x{data[1]:02x}")


def head_xz(data: bytes) -> tuple[float, float]:
    """Head x and z in metres, read from a checked pose message without decoding it."""
    x, z = _HEAD_XZ.unpack_from(data, 4)
    return x / _CM, z / _CM


def entry_xz(entry: bytes) -> tuple[float, float]:
    """Head x and z in metres of a frame entry."""
    x, z = _HEAD_XZ.unpack_from(entry, 5)
    return x / _CM, z / _CM


def frame_entry(seat: int, pose_message: bytes) -> bytes:
    """A frame entry: the seat followed by the pose message without its kind byte."""
    return _SEAT.pack(seat) + pose_message[1:]


def encode_frame(server_time: float, entries: list[bytes]) -> bytes:
    return encode_frame_parts(server_time, len(entries), entries)


def encode_frame_parts(server_time: float, count: int, parts: Iterable[bytes]) -> bytes:
    """A frame from entries already joined into a few byte strings, ``count`` in all."""
    if not math.isfinite(server_time):
        raise PoseError("a pose frame's server time must be a finite number")
    return FRAME_HEADER.pack(FRAME_KIND, 0, count, server_time) + b"".join(parts)


def frame_info(data: bytes) -> tuple[float, int]:
    """Server time and entry count of a frame, checked against its length."""
    if len(data) < FRAME_HEADER.size or data[0] != FRAME_KIND:
        raise PoseError("not a pose frame")
    _, _, count, server_time = FRAME_HEADER.unpack_from(data)
    if not math.isfinite(server_time):
        raise PoseError("a pose frame's server time is not a number")
    if len(data) != FRAME_HEADER.size + count * ENTRY_SIZE:
        raise PoseError(f"a frame of {count} entries has "
                        f"{FRAME_HEADER.size + count * ENTRY_SIZE} bytes, not {len(data)}")
    return server_time, count


def decode_frame(data: bytes) -> tuple[float, list[tuple[int, Pose]]]:
    """Server time and (seat, pose) for every entry of a frame."""
    server_time, count = frame_info(data)
    out = []
    for i in range(count):
        offset = FRAME_HEADER.size + i * ENTRY_SIZE
        out.append((_SEAT.unpack_from(data, offset)[0], _read_pose(data, offset + 2)))
    return server_time, out
