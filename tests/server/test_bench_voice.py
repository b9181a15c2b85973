"""The voice benchmark's listeners against a real server: the lean one counts every packet
from frame headers alone, the full one decodes and plays each of them; neither accepts
what a websocket server must not send."""

from __future__ import annotations

import asyncio
import time

import pytest

from bench.voice.listeners import FullListener, Listener
from bench.voice.measure import _connect, sample
from bench.voice.websocket import ACCEPT, UpgradeRefused, client_frame, upgraded
from protocol.tour_poses import Pose, Transform, encode_pose
from tests.server.conftest import World
from tests.server.live_support import member_tokens, voice_participant
from tests.server.voice_support import PACKETS, voice_tour
from tools.build import BuildResult


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the listeners, not the store
async def test_lean_and_full_listeners_hear_every_packet(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide = voice_participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    url = f"http://{world.client.server.host}:{world.client.server.port}"
    token, = await member_tokens(world, 1)
    lean = await _connect(url, tour, world.tokens["member"], Listener)
    full = await _connect(url, tour, token, FullListener)
    assert isinstance(full, FullListener)
    full.hear({guide.seat})
    full.write(client_frame(2, encode_pose(Pose(Transform((1.0, 1.6, 1.0)), seq=1))))
    await guide.speak(PACKETS[:10], capture=time.time() - 0.02, pace=0.02)
    for _ in range(40):  # the engine's playout pace: every 10 ms
        full.play()
        await asyncio.sleep(0.01)
    assert (lean.voice_packets, lean.voice_in_time, lean.unread) == (10, 10, 0)
    assert lean.pose_frames >= 1  # the full listener's pose, counted without decoding
    assert lean.worst_arrival < 0.2
    assert full.played(guide.seat) == (10, 0, 0)
    assert len(full.decoded) == len(full.arrivals) == 10
    # played after the jitter buffer's wait: later than it arrived, within the budget
    assert all(decoded > arrived for decoded, arrived in zip(full.decoded, full.arrivals))
    assert max(full.decoded) < 0.4
    assert full.bad == 0
    for person in (lean, full):
        assert person.transport is not None
        person.transport.close()
    full.close_receiver()
    await guide.close()


async def test_a_listener_refuses_what_a_server_must_not_send() -> None:
    good = f"HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: {ACCEPT}\r\n\r\n"
    assert upgraded(good.encode() + b"\x82\x00") == len(good)
    assert upgraded(good.encode()[:20]) == -1
    for answer in ("HTTP/1.1 403 Forbidden\r\n\r\n",
                   "HTTP/1.1 101 Switching Protocols\r\nSec-WebSocket-Accept: x\r\n\r\n"):
        try:
            upgraded(answer.encode())
        except UpgradeRefused:
            continue
        raise AssertionError(f"{answer!r} was taken as an upgrade")
    listener = Listener()
    listener.data_received(good.encode() + b"\x81\x85" + bytes(9))  # a masked frame
    assert isinstance(listener.welcomed.exception(), ConnectionError)


def test_the_full_sample_spans_the_join_order() -> None:
    assert sample(1000, 32)[:2] == [0, 32] and sample(1000, 32)[-1] == 999
    assert len(sample(1000, 32)) == 32
    assert sample(10, 32) == list(range(10))
