"""Voice in a live tour over real websockets, the transport: malformed packets and floods
dropped, the recorder's view, a listener that falls behind, voice riding the pose frame's
write, a speaker cut off mid-sentence."""

from __future__ import annotations

import asyncio
import contextlib
import math
import socket
import struct

import pytest
from pydantic import BaseModel

from bench.tours.generator import HANDSHAKE, client_frame
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform, encode_pose
from protocol.voice import VOICE_FRAME_KIND, decode_voice_frame, encode_voice
from server.keys import HUB
from server.live.outputs import ALL, Send
from server.live.plan import TourPlan
from tests.server.conftest import World
from tests.server.live_support import (
    VoiceParticipant,
    member_tokens,
    opus_packets,
    voice_participant,
)
from tests.server.voice_support import PACKETS, close_all, joined, nothing_heard, voice_tour
from tools.build import BuildResult


async def test_bad_voice_is_dropped_and_the_connection_stays(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, member = await joined(world, tour, world.tokens["guide"], world.tokens["member"])
    dropped_before, relayed_before = await _metric(world, MALFORMED), await _metric(world, LOCAL)
    nan = struct.pack("<BBHd", 0x56, 1, 0, math.nan) + b"x"
    for bad in (b"V", b"V\x02" + bytes(12), nan, encode_voice(1, 0.0, b"x") + bytes(400),
                struct.pack("<BBHd", 0x56, 1, 0, 1.0)):
        await guide.send_bytes(bad)
    told = await guide.expect("error", about="voice")
    assert told.code == "bad_message"
    await nothing_heard(member)
    # the connection stays, and the next good packet is heard
    await guide.send(wire.Ping(sent=1.0))
    assert (await guide.expect("pong")).sent == 1.0
    assert (await guide.speak(PACKETS[:3])) == await member.heard(3)
    # each is counted by why it was dropped, and the relayed ones once
    assert await _metric(world, MALFORMED) == dropped_before + 5
    assert await _metric(world, LOCAL) == relayed_before + 3
    await close_all(guide, member)


MALFORMED = 'redhall_tour_voice_packets_dropped_total{reason="malformed"}'
LOCAL = 'redhall_tour_voice_packets_relayed_total{origin="local"}'


async def _metric(world: World, name: str) -> float:
    text = await (await world.client.get("/metrics")).text()
    values = [float(line.rpartition(" ")[2]) for line in text.splitlines()
              if line.startswith(name + " ")]
    return values[0] if values else 0.0


async def test_a_voice_flood_is_cut_down_to_the_rate(world: World,
                                                      samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, member = await joined(world, tour, world.tokens["guide"], world.tokens["member"])
    await guide.speak(PACKETS[:1] * 100)  # 2 s of speech at once
    assert (await guide.expect("error", about="voice")).code == "rate_limited"
    await asyncio.sleep(0.3)
    assert 30 <= member.voice.qsize() < 60  # the burst allowance and a little refill
    await guide.send(wire.Ping(sent=2.0))
    assert (await guide.expect("pong")).sent == 2.0  # still connected
    # far past the sustained rate (120 a second, 10 s of slack) the connection is closed
    message = encode_voice(1, 0.0, PACKETS[0])
    with contextlib.suppress(ConnectionError):
        for _ in range(1300):
            await guide.send_bytes(message)
    async with asyncio.timeout(5):
        while await guide.messages.get() is not None:
            pass
    assert guide.closed_with == 1008
    await close_all(guide, member)


async def test_the_snapshot_shows_the_floor(world: World,
                                             samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, member, other = await joined(world, tour, world.tokens["guide"],
                                         world.tokens["member"], (await member_tokens(world, 1))[0])
    await guide.send(wire.GiveFloor(seat=member.seat))
    await guide.send(wire.OpenFloor(open=True))
    await guide.send(wire.MuteSeat(seat=other.seat, muted=True))
    for _ in range(3):
        await guide.expect("floor")
    late = voice_participant(world.client, tour, world.tokens["admin"])
    welcome = await late.connect()
    assert welcome.snapshot.floor == wire.FloorState(holders=[member.seat], open=True,
                                                     muted=[other.seat])
    # a member who drops loses the floor
    await member.close()
    assert (await guide.expect("floor")).floor.holders == []
    await close_all(guide, other, late)


class _Recorder:
    def __init__(self, fail_on: str | None = None) -> None:
        self.events: list[tuple[float, BaseModel]] = []
        self.voices: list[tuple[int, float, bytes]] = []
        self.poses: list[tuple[int, float, bytes]] = []
        self.withdrawn: list[int] = []
        self.closed = False
        self.fail_on = fail_on

    def event(self, at: float, message: BaseModel) -> None:
        self.events.append((at, message))

    def voice(self, seat: int, capture: float, payload: bytes) -> None:
        if self.fail_on == "voice":
            raise OSError("disk full")
        self.voices.append((seat, capture, payload))

    def pose(self, seat: int, at: float, message: bytes) -> None:
        self.poses.append((seat, at, message))

    def withdraw(self, user: int) -> None:
        self.withdrawn.append(user)

    def close(self) -> None:
        self.closed = True


@pytest.mark.parametrize("fail_on", [None, "voice"])
async def test_the_recorder_sees_events_voice_and_guide_poses(
        world: World, samples: dict[str, BuildResult], fail_on: str | None) -> None:
    made: list[_Recorder] = []

    def factory(plan: TourPlan) -> _Recorder:
        made.append(_Recorder(fail_on))
        return made[-1]
    hub = world.client.server.app[HUB]
    hub.recorder_factory = factory
    tour = await voice_tour(world, samples)
    guide, member = await joined(world, tour, world.tokens["guide"], world.tokens["member"])
    await guide.send(wire.Start())
    await member.expect("phase", phase="live")
    spoken = await guide.speak(PACKETS[:3])
    assert await member.heard(3) == spoken  # a failing recorder takes nothing from the tour
    guide_pose = encode_pose(Pose(Transform((1.0, 1.6, 2.0)), seq=1))
    await guide.send_bytes(guide_pose)
    await member.send_bytes(encode_pose(Pose(Transform((3.0, 1.6, 2.0)), seq=1)))
    await asyncio.sleep(0.2)
    [recorder] = made
    assert any(isinstance(m, wire.PhaseChanged) for _, m in recorder.events)
    if fail_on is None:
        assert recorder.voices == [(guide.seat, e.capture, e.payload) for e in spoken]
        assert recorder.poses[-1][0] == guide.seat and recorder.poses[-1][2] == guide_pose
        assert {seat for seat, _, _ in recorder.poses} == {guide.seat}
        # a member withdrawing their consent to keep their voice: the recorder hears of it
        withdrawn = await world.client.post("/api/me/consent", headers=world.auth("member"),
                                            json={"purpose": "voice-recording",
                                                  "text_version": "1", "granted": False})
        assert withdrawn.status == 201 and recorder.withdrawn == [world.users["member"]]
    else:
        assert recorder.voices == [] and recorder.closed  # let go after its first failure
    await guide.send(wire.EndTour())
    await member.expect("phase", phase="ended")
    await close_all(guide, member)
    await hub.close()
    assert recorder.closed


async def _silent_listener(world: World, tour: int,
                           token: str) -> tuple[socket.socket, int]:
    """A listener whose socket takes the welcome and then reads nothing until asked (small
    buffers on both sides, so the server's side backs up soon)."""
    host, port = world.client.server.host, world.client.server.port
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    await loop.sock_connect(sock, (host, port))
    hello = wire.Hello(version=wire.TOUR_PROTOCOL, token=token)
    await loop.sock_sendall(sock, HANDSHAKE.format(path=f"/api/tours/{tour}/live",
                                                   host=f"{host}:{port}").encode()
                            + client_frame(1, hello.model_dump_json().encode()))
    data = bytearray()
    while b"\r\n\r\n" not in data:
        data += await asyncio.wait_for(loop.sock_recv(sock, 65536), 10)
    del data[:data.index(b"\r\n\r\n") + 4]
    while True:
        for opcode, payload in _server_frames(data):
            if opcode == 1 and payload.startswith(b'{"type":"welcome"'):
                return sock, wire.Welcome.model_validate_json(payload).seat
        data += await asyncio.wait_for(loop.sock_recv(sock, 65536), 10)


def _server_frames(data: bytearray) -> list[tuple[int, bytes]]:
    """(opcode, payload) of each whole unmasked frame at the start of ``data``, consumed."""
    frames, offset = [], 0
    while len(data) - offset >= 2:
        opcode, length, start = data[offset] & 0x0F, data[offset + 1] & 0x7F, offset + 2
        if length == 126:
            length, start = int.from_bytes(data[offset + 2:offset + 4], "big"), offset + 4
        elif length == 127:
            length, start = int.from_bytes(data[offset + 2:offset + 10], "big"), offset + 10
        if len(data) < start + length:
            break
        frames.append((opcode, bytes(data[start:start + length])))
        offset = start + length
    del data[:offset]
    return frames


async def test_a_listener_that_stops_reading_loses_old_voice_not_its_seat(
        world: World, samples: dict[str, BuildResult]) -> None:
    """Voice rides the pose frames' write: a listener whose socket backs up skips ticks
    (that voice is lost to it) while the others hear everything; it keeps its seat and
    hears what is said once it reads again."""
    tour = await voice_tour(world, samples)
    guide, member = await joined(world, tour, world.tokens["guide"], world.tokens["member"])
    sock, seat = await _silent_listener(world, tour, (await member_tokens(world, 1))[0])
    try:
        await _listen_slowly(world, tour, guide, member, sock, seat)
    finally:
        sock.close()
        await close_all(guide, member)


async def _listen_slowly(world: World, tour: int, guide: VoiceParticipant,
                         member: VoiceParticipant, sock: socket.socket, seat: int) -> None:
    room = world.client.server.app[HUB].rooms[tour]
    conn = room.conns[seat]
    assert conn.transport is not None
    conn.transport.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF,
                                                       4096)
    conn.frame_buffer = 1024
    line = wire.ChatLine(seat=guide.seat, text="学" * 300)  # about 1 kB as JSON
    for _ in range(60):
        room._send(Send(ALL, line))
    async with asyncio.timeout(5):
        while conn.transport.get_write_buffer_size() <= conn.frame_buffer:  # noqa: ASYNC110  polls the socket's buffer
            await asyncio.sleep(0.01)
    lost = await guide.speak(PACKETS, pace=0.02)
    assert await member.heard(len(PACKETS), timeout=2) == lost
    assert conn._stalled >= 3 and room.conns[seat] is conn and conn.closing is None
    # it reads again: the chat lines come, the voice said meanwhile does not
    loop, data, chats, heard = asyncio.get_running_loop(), bytearray(), 0, []
    async with asyncio.timeout(10):
        while chats < 60:
            data += await loop.sock_recv(sock, 65536)
            for opcode, payload in _server_frames(data):
                chats += opcode == 1 and b'"chat"' in payload
                if opcode == 2 and payload[0] == VOICE_FRAME_KIND:
                    heard += decode_voice_frame(payload)
    assert not [e for e in heard if e.payload in {p.payload for p in lost}]
    later = await guide.speak(PACKETS[:3], first_seq=20, capture=2000.0)
    async with asyncio.timeout(5):
        while len(heard) < 3:
            data += await loop.sock_recv(sock, 65536)
            for opcode, payload in _server_frames(data):
                if opcode == 2 and payload[0] == VOICE_FRAME_KIND:
                    heard += decode_voice_frame(payload)
    assert heard == later


async def test_voice_rides_the_pose_frames_write(world: World,
                                                 samples: dict[str, BuildResult]) -> None:
    """A listener that gets a tick's pose frame gets its voice frame in the same write, so
    voice adds no socket writes to a tour whose members move."""
    tour = await voice_tour(world, samples)
    guide, member, listener = await joined(world, tour, world.tokens["guide"],
                                            world.tokens["member"],
                                            (await member_tokens(world, 1))[0])
    conn = world.client.server.app[HUB].rooms[tour].conns[listener.seat]
    real = conn.transport
    assert real is not None
    writes = 0

    class _Counting:
        """The listener's transport, counting the writes of frames."""

        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def write(self, data: bytes) -> None:
            nonlocal writes
            writes += 1
            real.write(data)

        def writelines(self, parts: tuple[bytes, ...]) -> None:
            nonlocal writes
            writes += 1
            real.writelines(parts)

    conn.transport = _Counting()  # type: ignore[assignment]

    async def move() -> None:
        for step in range(20):
            await member.send_bytes(encode_pose(Pose(Transform((step / 10, 1.6, 0.0)),
                                                     seq=step)))
            await asyncio.sleep(0.05)
    moving = asyncio.create_task(move())
    spoken = await guide.speak(opus_packets(40), pace=0.02)
    await moving
    assert await listener.heard(len(spoken)) == spoken
    await asyncio.sleep(0.1)
    assert listener.voice_frames >= 10 and listener.pose_frames >= 10
    assert writes <= max(listener.voice_frames, listener.pose_frames) + 3
    assert writes < listener.voice_frames + listener.pose_frames - 8
    conn.transport = real
    await close_all(guide, member, listener)


async def test_a_speaker_who_drops_mid_sentence_stalls_nothing(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, member, other = await joined(world, tour, world.tokens["guide"],
                                         world.tokens["member"], (await member_tokens(world, 1))[0])
    await guide.send(wire.GiveFloor(seat=member.seat))
    await member.expect("floor")
    said = await member.speak(PACKETS[:6])
    assert member.ws is not None
    member.ws._writer.transport.abort()  # cut dead, no close handshake (no public way)
    assert await other.heard(6) == said  # what was said before the cut arrives
    await guide.expect("floor", floor=wire.FloorState())  # the floor goes with the drop
    assert (await guide.expect("left", seat=member.seat)).reason == "dropped"
    # the tour goes on: the guide is heard and answered
    assert await guide.speak(PACKETS[6:9], first_seq=6) == await other.heard(3)
    await other.send(wire.Ping(sent=3.0))
    assert (await other.expect("pong")).sent == 3.0
    await close_all(guide, member, other)
