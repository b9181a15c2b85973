"""A client that stops reading is let go without holding up the tour; one that reads keeps
its seat through any burst of messages the tour sends at once."""

from __future__ import annotations

import asyncio
import socket
import time

from bench.tours.generator import HANDSHAKE, client_frame
from protocol import tour as wire
from server.keys import HUB
from server.live.connection import TOO_SLOW
from server.live.inputs import Join
from server.live.outputs import ALL, Send
from tests.server.conftest import World
from tests.server.live_support import participant, publish, schedule
from tools.build import BuildResult


async def _tour(world: World, samples: dict[str, BuildResult]) -> int:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a],
                          capacity=5000)


async def test_a_burst_of_joins_from_other_processes_keeps_readers_connected(
        world: World, samples: dict[str, BuildResult]) -> None:
    """Members joining through other server processes at the same moment reach this one
    in one read of the tour's log: thousands of roster messages for each present member
    at once, more than any fixed count of queued messages would allow."""
    tour = await _tour(world, samples)
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    room = world.client.server.app[HUB].rooms[tour]
    joins = 2000
    for user in range(1_000_000, 1_000_000 + joins):
        room.inbox.put_nowait(("another-process", Join(user, f"党员{user}", f"ticket-{user}",
                                                       f"conn-{user}", time.time())))
    for _ in range(joins):
        await guide.expect("joined", timeout=30)
    await guide.send(wire.Ping(sent=1.0))
    assert (await guide.expect("pong")).sent == 1.0
    assert len(room.state.seats) == joins + 1
    await guide.close()


async def _silent_member(world: World, tour: int) -> tuple[asyncio.StreamWriter, int]:
    """A member whose socket takes the welcome and then reads nothing more (a small
    receive buffer, so the server's side backs up soon)."""
    host, port = world.client.server.host, world.client.server.port
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (host, port))
    reader, writer = await asyncio.open_connection(sock=sock)
    hello = wire.Hello(version=wire.TOUR_PROTOCOL, token=world.tokens["member"])
    writer.write(HANDSHAKE.format(path=f"/api/tours/{tour}/live", host=f"{host}:{port}")
                 .encode() + client_frame(1, hello.model_dump_json().encode()))
    received = b""
    while b'"welcome"' not in received:
        received += await asyncio.wait_for(reader.read(65536), 10)
    room = world.client.server.app[HUB].rooms[tour]
    seat = room.state.by_user[world.users["member"]]
    return writer, seat


async def test_a_member_who_stops_reading_is_let_go_and_the_tour_goes_on(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await _tour(world, samples)
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    writer, seat = await _silent_member(world, tour)
    room = world.client.server.app[HUB].rooms[tour]
    silent = room.conns[seat]
    line = wire.ChatLine(seat=0, text="学" * 300)  # about 1 kB as JSON
    sent = 0
    while silent.closing is None and sent < 50_000:  # at most ~50 MB
        for _ in range(100):
            room._send(Send(ALL, line))
        sent += 100
        for _ in range(100):  # what the guide reads keeps pace with what is sent
            await guide.expect("chat", timeout=10)
    assert silent.closing is not None and silent.closing[0] == TOO_SLOW
    assert sent < 50_000
    # the guide read every line and still steers the tour
    await guide.send(wire.Start())
    assert (await guide.expect("phase")).phase == "live"
    writer.close()
    await guide.close()
