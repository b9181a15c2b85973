"""The jitter buffer: reorders, drops the late, conceals gaps, adapts its delay."""

from __future__ import annotations

import numpy as np

from engine.voice import FRAME_SECONDS, JitterBuffer, Slot
from engine.voice.jitter import MAX_HELD, MAX_TARGET, MIN_TARGET


def _drain(buffer: JitterBuffer, start: float, seconds: float) -> list[Slot]:
    slots = []
    for step in range(int(seconds / FRAME_SECONDS)):
        slot = buffer.pop(start + step * FRAME_SECONDS)
        if slot is not None:
            slots.append(slot)
    return slots


def test_packets_come_out_in_order_whatever_order_they_arrive_in() -> None:
    buffer = JitterBuffer()
    order = [0, 2, 1, 3, 5, 4, 6, 7, 9, 8]
    for seq in order:
        capture = seq * FRAME_SECONDS
        assert buffer.push(seq, capture, bytes([seq]), capture + 0.03 + 0.01 * (seq % 3))
    slots = _drain(buffer, 0.0, 1.0)
    assert [s.seq for s in slots[:10]] == list(range(10))
    assert [s.packet for s in slots[:10]] == [bytes([i]) for i in range(10)]
    assert buffer.lost == 0 and buffer.played == 10


def test_a_late_packet_is_dropped_and_a_gap_is_concealed_with_the_next_packet() -> None:
    buffer = JitterBuffer()
    for seq in (0, 1, 2, 4, 5):
        buffer.push(seq, seq * FRAME_SECONDS, bytes([seq]), seq * FRAME_SECONDS + 0.02)
    slots = _drain(buffer, 0.0, 0.4)
    gap = slots[3]
    assert gap.seq == 3 and gap.packet is None and gap.following == bytes([4])
    assert buffer.lost == 1
    assert not buffer.push(3, 3 * FRAME_SECONDS, b"\x03", 0.5), "its slot has passed"
    assert buffer.late == 1
    assert not buffer.push(4, 4 * FRAME_SECONDS, b"\x04", 0.5), "a duplicate is late too"


def test_the_delay_adapts_to_the_jitter_seen() -> None:
    steady = JitterBuffer()
    for seq in range(100):
        steady.push(seq, seq * FRAME_SECONDS, b"x", seq * FRAME_SECONDS + 0.04)
    assert steady.target == MIN_TARGET
    assert abs((steady.delay or 0) - (0.04 + MIN_TARGET)) < 1e-9

    rng = np.random.default_rng(3)
    shaky = JitterBuffer()
    for seq in range(100):
        shaky.push(seq, seq * FRAME_SECONDS, b"x",
                   seq * FRAME_SECONDS + 0.04 + float(rng.uniform(0, 0.12)))
    assert 0.12 < shaky.target <= MAX_TARGET

    wild = JitterBuffer()
    for seq in range(100):
        wild.push(seq, seq * FRAME_SECONDS, b"x", seq * FRAME_SECONDS + float(rng.uniform(0, 2)))
    assert wild.target == MAX_TARGET


def test_the_delay_changes_only_when_a_talk_spurt_starts() -> None:
    buffer = JitterBuffer()
    for seq in range(20):
        buffer.push(seq, seq * FRAME_SECONDS, b"x", seq * FRAME_SECONDS + 0.01)
    first = buffer.delay
    rng = np.random.default_rng(5)
    for seq in range(20, 60):  # the network gets shaky mid-sentence
        buffer.push(seq, seq * FRAME_SECONDS, b"x",
                    seq * FRAME_SECONDS + 0.01 + float(rng.uniform(0, 0.15)))
    _drain(buffer, 0.0, 1.5)
    assert buffer.delay == first or buffer.delay is None
    # a pause (nothing sent in silence), then the next sentence: the new delay holds
    _drain(buffer, 1.5, 0.5)
    assert not buffer.active
    buffer.push(60, 3.0, b"x", 3.2)
    assert buffer.delay is not None and first is not None and buffer.delay > first + 0.05


def test_a_pause_ends_in_a_few_concealed_frames_then_quiet() -> None:
    buffer = JitterBuffer()
    for seq in range(5):
        buffer.push(seq, seq * FRAME_SECONDS, b"x", seq * FRAME_SECONDS + 0.01)
    slots = _drain(buffer, 0.0, 1.0)
    assert [s.packet is None for s in slots] == [False] * 5 + [True] * 3
    assert not buffer.active and buffer.due() is None


def test_sequence_numbers_wrap() -> None:
    buffer = JitterBuffer()
    for index, seq in enumerate((65534, 65535, 0, 1)):
        buffer.push(seq, index * FRAME_SECONDS, bytes([index]), index * FRAME_SECONDS + 0.01)
    slots = _drain(buffer, 0.0, 0.5)
    assert [s.seq for s in slots[:4]] == [65534, 65535, 0, 1]
    assert all(s.packet is not None for s in slots[:4])


def test_a_flood_of_packets_is_bounded() -> None:
    buffer = JitterBuffer()
    buffer.push(0, 0.0, b"x", 0.01)
    for seq in range(1, 5000):
        buffer.push(seq % 65536, 0.0, b"x", 0.01)
    assert len(buffer._held) <= MAX_HELD


def test_a_short_pause_in_sending_is_not_a_loss() -> None:
    buffer = JitterBuffer()
    buffer.push(0, 0.0, b"a", 0.01)
    first = buffer.pop(1.0)
    assert first is not None and first.packet == b"a"
    gap = buffer.pop(1.0)  # the next frame was not sent (silence): concealed meanwhile
    assert gap is not None and gap.packet is None
    assert buffer.push(1, 0.06, b"b", 0.07), "the next packet is not late for it"
    delay = buffer.delay or 0.0
    assert buffer.pop(0.06 + delay - 0.001) is None, "it keeps its own time"
    after = buffer.pop(0.06 + delay)
    assert after is not None and after.packet == b"b" and buffer.lost == 0
