"""The voice wire format: client messages and server frames round-trip, and any bytes are
either read or refused with VoiceError."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocol.voice import (
    MAX_PAYLOAD,
    VOICE_HEADER,
    VoiceEntry,
    VoiceError,
    decode_voice,
    decode_voice_frame,
    encode_voice,
    encode_voice_frame,
    join_voice_frame,
    relay_entry,
)

payloads = st.binary(min_size=1, max_size=MAX_PAYLOAD)
captures = st.floats(allow_nan=False, allow_infinity=False)
seqs = st.integers(0, 0xFFFF)
entries = st.builds(VoiceEntry, st.integers(0, 0xFFFF), seqs, captures, payloads)


@given(seqs, captures, payloads)
def test_a_client_message_round_trips(seq: int, capture: float, payload: bytes) -> None:
    data = encode_voice(seq, capture, payload)
    assert data[:2] == b"V\x01" and len(data) == VOICE_HEADER.size + len(payload)
    packet = decode_voice(data)
    assert (packet.seq, packet.capture, packet.payload) == (seq, capture, payload)


@given(st.lists(entries, max_size=8))
def test_a_frame_round_trips(frame_entries: list[VoiceEntry]) -> None:
    data = encode_voice_frame(frame_entries)
    assert data[:2] == b"A\x01"
    assert decode_voice_frame(data) == frame_entries


@given(st.integers(0, 0xFFFF), seqs, captures, payloads)
def test_a_relayed_entry_is_the_clients_packet_behind_its_seat(
        seat: int, seq: int, capture: float, payload: bytes) -> None:
    message = encode_voice(seq, capture, payload)
    frame = join_voice_frame(2, [relay_entry(seat, message), relay_entry(0, message)])
    assert decode_voice_frame(frame) == [VoiceEntry(seat, seq, capture, payload),
                                         VoiceEntry(0, seq, capture, payload)]


def test_the_layout_is_the_documented_one() -> None:
    data = encode_voice(0x1234, 1.5, b"\xfc\xff")
    assert data == bytes([0x56, 1, 0x34, 0x12]) + struct.pack("<d", 1.5) + b"\xfc\xff"
    frame = encode_voice_frame([VoiceEntry(7, 3, 2.0, b"ab")])
    assert frame == (bytes([0x41, 1, 1, 0, 7, 0, 3, 0]) + struct.pack("<d", 2.0)
                     + bytes([2, 0]) + b"ab")


@pytest.mark.parametrize(("data", "says"), [
    (b"", "at least"),
    (encode_voice(1, 0.0, b"x")[:11], "at least"),
    (encode_voice(1, 0.0, b"x")[:12], "1 to 400"),
    (b"P" + encode_voice(1, 0.0, b"x")[1:], "starts with 0x56"),
    (b"V\x02" + encode_voice(1, 0.0, b"x")[2:], "version 2"),
    (struct.pack("<BBHd", 0x56, 1, 1, math.nan) + b"x", "finite"),
    (struct.pack("<BBHd", 0x56, 1, 1, -math.inf) + b"x", "finite"),
    (encode_voice(1, 0.0, b"x") + bytes(MAX_PAYLOAD), "1 to 400"),
])
def test_bad_client_messages_are_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(VoiceError, match=says):
        decode_voice(data)


def test_encoding_refuses_what_decoding_would() -> None:
    for capture, payload in [(math.nan, b"x"), (0.0, b""), (0.0, bytes(MAX_PAYLOAD + 1))]:
        with pytest.raises(VoiceError):
            encode_voice(0, capture, payload)
    with pytest.raises(VoiceError):
        encode_voice_frame([VoiceEntry(70000, 0, 0.0, b"x")])


@pytest.mark.parametrize(("data", "says"), [
    (b"A\x01", "at least"),
    (b"F\x01\x00\x00", "starts with 0x41"),
    (b"A\x09\x00\x00", "version 9"),
    (b"A\x01\x01\x00" + bytes(5), "ends inside entry 0"),
    (b"A\x01\x01\x00" + struct.pack("<HHdH", 1, 1, 0.0, 50) + b"xy", "past the frame"),
    (b"A\x01\x01\x00" + struct.pack("<HHdH", 1, 1, math.inf, 1) + b"x", "finite"),
    (b"A\x01\x01\x00" + struct.pack("<HHdH", 1, 1, 0.0, 0), "1 to 400"),
    (encode_voice_frame([VoiceEntry(1, 1, 0.0, b"x")]) + b"!", "after its last entry"),
])
def test_bad_frames_are_refused_with_a_reason(data: bytes, says: str) -> None:
    with pytest.raises(VoiceError, match=says):
        decode_voice_frame(data)


@given(st.binary(max_size=500))
def test_any_bytes_are_a_message_or_a_voice_error(data: bytes) -> None:
    try:
        packet = decode_voice(data)
    except VoiceError as exc:
        assert str(exc)
    else:
        assert encode_voice(packet.seq, packet.capture, packet.payload) == data


@given(st.binary(max_size=500) | st.binary(max_size=60).map(lambda b: b"A\x01" + b))
def test_any_bytes_are_a_frame_or_a_voice_error(data: bytes) -> None:
    try:
        read = decode_voice_frame(data)
    except VoiceError as exc:
        assert str(exc)
    else:
        assert encode_voice_frame(read) == data
