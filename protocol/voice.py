"""Binary voice messages in a live tour: Opus packets relayed, never decoded, by the server.

Version 1, little-endian. Client → server, one websocket message per 20 ms Opus packet::

    u8 kind = 0x56 ('V') | u8 version = 1 | u16 seq | f64 capture | payload

``capture`` is when the packet's first sample was captured, on the tour clock (seconds,
the ``server_time`` of welcome and pong); ``payload`` is one Opus packet of 1..400 bytes
(mono, 48 kHz clock, 20 ms). ``seq`` counts packets per speaker and wraps at 65536.

Server → client, one message per tick, one buffer shared by every listener::

    u8 kind = 0x41 ('A') | u8 version = 1 | u16 count | count × entry
    entry = u16 seat | u16 seq | f64 capture | u16 length | payload

An entry is the speaker's seat followed by the client's own seq, capture and payload.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable
from dataclasses import dataclass

from protocol.errors import RedhallError

VOICE_KIND = 0x56
VOICE_FRAME_KIND = 0x41
VOICE_VERSION = 1
MAX_PAYLOAD = 400
"""Largest Opus packet, in bytes (20 ms at 24 kbit/s is about 60; FEC adds some)."""
PACKET_SECONDS = 0.020

VOICE_HEADER = struct.Struct("<BBHd")
FRAME_HEADER = struct.Struct("<BBH")
ENTRY_HEADER = struct.Struct("<HHdH")
_SEQ_CAPTURE = slice(2, VOICE_HEADER.size)
_SEAT = struct.Struct("<H")
_LENGTH = struct.Struct("<H")


class VoiceError(RedhallError):
    """A binary voice message or frame that cannot be read."""


@dataclass(frozen=True)
class VoicePacket:
    """One client voice message."""

    seq: int
    capture: float
    payload: bytes


@dataclass(frozen=True)
class VoiceEntry:
    """One packet in a server voice frame, with the seat that spoke it."""

    seat: int
    seq: int
    capture: float
    payload: bytes


def _check_payload(payload: bytes) -> None:
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        raise VoiceError(f"a voice payload has 1 to {MAX_PAYLOAD} bytes, "
                         f"this one has {len(payload)}")


def _check_capture(capture: float) -> None:
    if not math.isfinite(capture):
        raise VoiceError("a voice packet's capture time must be a finite number")


def encode_voice(seq: int, capture: float, payload: bytes) -> bytes:
    """The message a client sends for one Opus packet; ``seq`` wraps at 65536."""
    _check_capture(capture)
    _check_payload(payload)
    return VOICE_HEADER.pack(VOICE_KIND, VOICE_VERSION, seq & 0xFFFF, capture) + payload


def decode_voice(data: bytes) -> VoicePacket:
    """Reads a client voice message; :class:`VoiceError` for anything malformed."""
    if len(data) < VOICE_HEADER.size:
        raise VoiceError(f"a voice message has at least {VOICE_HEADER.size + 1} bytes, "
                         f"this one has {len(data)}")
    kind, version, seq, capture = VOICE_HEADER.unpack_from(data)
    if kind != VOICE_KIND:
        raise VoiceError(f"a voice message starts with 0x{VOICE_KIND:02x}, not 0x{kind:02x}")
    if version != VOICE_VERSION:
        raise VoiceError(f"voice version {version} is not understood; "
                         f"this server speaks version {VOICE_VERSION}")
    _check_capture(capture)
    payload = bytes(data[VOICE_HEADER.size:])
    _check_payload(payload)
    return VoicePacket(seq, capture, payload)


def relay_entry(seat: int, message: bytes) -> bytes:
    """A frame entry for a client message already read by :func:`decode_voice`: its own
    seq, capture and payload behind the speaker's seat, without decoding them again."""
    if not 0 <= seat <= 0xFFFF:
        raise VoiceError(f"seat {seat} is not a u16")
    payload_length = len(message) - VOICE_HEADER.size
    return (_SEAT.pack(seat) + message[_SEQ_CAPTURE] + _LENGTH.pack(payload_length)
            + message[VOICE_HEADER.size:])


def encode_voice_entry(entry: VoiceEntry) -> bytes:
    if not 0 <= entry.seat <= 0xFFFF:
        raise VoiceError(f"seat {entry.seat} is not a u16")
    _check_capture(entry.capture)
    _check_payload(entry.payload)
    return ENTRY_HEADER.pack(entry.seat, entry.seq & 0xFFFF, entry.capture,
                             len(entry.payload)) + entry.payload


def encode_voice_frame(entries: Iterable[VoiceEntry]) -> bytes:
    """The frame the server sends in one tick."""
    encoded = [encode_voice_entry(entry) for entry in entries]
    return join_voice_frame(len(encoded), encoded)


def join_voice_frame(count: int, encoded: Iterable[bytes]) -> bytes:
    """A frame from ``count`` entries already encoded (by :func:`relay_entry`)."""
    if not 0 <= count <= 0xFFFF:
        raise VoiceError(f"a voice frame holds at most 65535 entries, not {count}")
    return FRAME_HEADER.pack(VOICE_FRAME_KIND, VOICE_VERSION, count) + b"".join(encoded)


def decode_voice_frame(data: bytes) -> list[VoiceEntry]:
    """Every entry of a server voice frame; :class:`VoiceError` for anything malformed."""
    if len(data) < FRAME_HEADER.size:
        raise VoiceError(f"a voice frame has at least {FRAME_HEADER.size} bytes, "
                         f"this one has {len(data)}")
    kind, version, count = FRAME_HEADER.unpack_from(data)
    if kind != VOICE_FRAME_KIND:
        raise VoiceError(f"a voice frame starts with 0x{VOICE_FRAME_KIND:02x}, "
                         f"not 0x{kind:02x}")
    if version != VOICE_VERSION:
        raise VoiceError(f"voice frame version {version} is not understood; "
                         f"this client reads version {VOICE_VERSION}")
    entries = []
    offset = FRAME_HEADER.size
    for index in range(count):
        if offset + ENTRY_HEADER.size > len(data):
            raise VoiceError(f"a voice frame of {count} entries ends inside entry {index}")
        seat, seq, capture, length = ENTRY_HEADER.unpack_from(data, offset)
        offset += ENTRY_HEADER.size
        if offset + length > len(data):
            raise VoiceError(f"entry {index} of a voice frame claims {length} bytes "
                             "past the frame's end")
        payload = bytes(data[offset:offset + length])
        offset += length
        _check_capture(capture)
        _check_payload(payload)
        entries.append(VoiceEntry(seat, seq, capture, payload))
    if offset != len(data):
        raise VoiceError(f"a voice frame of {count} entries has {len(data) - offset} "
                         "bytes after its last entry")
    return entries
