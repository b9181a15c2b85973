"""The tour wire format: pose quantization, frames, and decoding that refuses cleanly."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from protocol import tour as wire
from protocol.tour_poses import (
    POSE_SIZE,
    Pose,
    PoseError,
    Transform,
    check_pose,
    decode_frame,
    decode_pose,
    encode_frame,
    encode_pose,
    frame_entry,
)

coordinate = st.floats(min_value=-300, max_value=300)
unit = st.floats(min_value=-1, max_value=1)


def _quaternion(values: tuple[float, float, float, float]) -> tuple[float, ...]:
    norm = math.sqrt(sum(v * v for v in values))
    return tuple(v / norm for v in values)


transforms = st.builds(Transform, st.tuples(coordinate, coordinate, coordinate),
                       st.tuples(unit, unit, unit, unit).filter(
                           lambda q: sum(v * v for v in q) > 0.01).map(_quaternion))


@given(transforms, st.none() | transforms, st.none() | transforms,
       st.integers(0, 0xFFFF))
def test_poses_survive_quantization(head, left, right, seq) -> None:  # type: ignore[no-untyped-def]
    data = encode_pose(Pose(head, left, right, seq))
    assert len(data) == POSE_SIZE
    back = decode_pose(data)
    assert back.seq == seq and (back.left is None) == (left is None)
    assert back.head.position == pytest.approx(head.position, abs=0.006)
    assert back.head.rotation == pytest.approx(head.rotation, abs=1e-4)
    entry = frame_entry(9, data)
    _, [(seat, framed)] = decode_frame(encode_frame(123.5, [entry]))
    assert seat == 9 and framed == back


@given(st.binary(max_size=200))
def test_any_bytes_are_a_pose_or_a_pose_error(data: bytes) -> None:
    try:
        check_pose(data)
    except PoseError as exc:
        assert str(exc)
    try:
        decode_frame(data)
    except PoseError as exc:
        assert str(exc)


@given(st.text(max_size=200) | st.binary(max_size=200))
def test_any_text_is_a_message_or_a_validation_error(data: str | bytes) -> None:
    try:
        wire.CLIENT.validate_json(data)
    except ValidationError as exc:
        assert exc.errors()


def test_oversized_text_is_refused() -> None:
    with pytest.raises(ValidationError):
        wire.CLIENT.validate_json('{"type": "chat", "text": "%s"}' % ("长" * (wire.MAX_TEXT + 1)))
    assert wire.CLIENT.validate_json('{"type": "chat", "text": "好"}').text == "好"
