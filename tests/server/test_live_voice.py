"""Voice in a live tour over real websockets: who is heard — the guides, members with the
floor, not under mute, never spectators — and what the snapshot says of the floor."""

from __future__ import annotations

from protocol import tour as wire
from tests.server.conftest import World
from tests.server.live_support import (
    member_tokens,
    voice_participant,
)
from tests.server.voice_support import PACKETS, close_all, joined, nothing_heard, voice_tour
from tools.build import BuildResult


async def test_every_listener_hears_the_guides_packets_once(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    extra = await member_tokens(world, 2)
    guide, member, *others = await joined(world, tour, world.tokens["guide"],
                                           world.tokens["member"], *extra)
    spoken = await guide.speak(PACKETS, first_seq=65530)  # the sequence wraps
    for listener in (member, *others):
        heard = await listener.heard(len(PACKETS))
        assert heard == spoken
        assert [e.seq for e in heard][5:8] == [65535, 0, 1]
        # two or three 20 ms packets ride each 50 ms tick
        assert listener.voice_frames < len(PACKETS)
    await nothing_heard(guide, member, *others)  # nothing twice, and not to the speaker
    await close_all(guide, member, *others)


async def test_a_member_is_heard_only_with_the_floor(world: World,
                                                      samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, member, other = await joined(world, tour, world.tokens["guide"],
                                         world.tokens["member"], (await member_tokens(world, 1))[0])
    await member.speak(PACKETS[:5])
    refused = await member.expect("error", about="voice")
    assert refused.code == "not_allowed" and "floor" in refused.message
    await nothing_heard(guide, other)
    assert member.messages.empty()  # told once, not once a packet
    # a raised hand given the floor is lowered, and everyone sees who holds it
    await member.send(wire.RaiseHand(raised=True))
    await guide.expect("hand", raised=True)
    await guide.send(wire.GiveFloor(seat=member.seat))
    assert (await other.expect("hand", raised=False)).queue == []
    floor = await other.expect("floor")
    assert floor.floor.holders == [member.seat]
    spoken = await member.speak(PACKETS, first_seq=100)
    for listener in (guide, other):
        assert await listener.heard(len(PACKETS)) == spoken
    await nothing_heard(member)
    # taken back: dropped again, and told again
    await guide.send(wire.TakeFloor(seat=member.seat))
    await member.expect("floor", floor=wire.FloorState())
    await member.speak(PACKETS[:3])
    assert "floor" in (await member.expect("error", about="voice")).message
    await nothing_heard(guide, other)
    await close_all(guide, member, other)


async def test_at_most_four_members_hold_the_floor(world: World,
                                                    samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, *members = await joined(world, tour, world.tokens["guide"],
                                    *await member_tokens(world, 5))
    for member in members[:4]:
        await guide.send(wire.GiveFloor(seat=member.seat))
        await guide.expect("floor")
    await guide.send(wire.GiveFloor(seat=members[4].seat))
    refused = await guide.expect("error", about="floor_give")
    assert refused.code == "illegal_state" and "4 members hold the floor" in refused.message
    # the guide cannot give it to themself, a stranger seat, or a spectator
    await guide.send(wire.GiveFloor(seat=guide.seat))
    assert (await guide.expect("error", about="floor_give")).code == "bad_message"
    await guide.send(wire.GiveFloor(seat=999))
    assert (await guide.expect("error", about="floor_give")).code == "bad_message"
    # members may not give it themselves
    await members[4].send(wire.GiveFloor(seat=members[4].seat))
    assert (await members[4].expect("error", about="floor_give")).code == "not_allowed"
    # a member who leaves loses the floor; the place goes to the fifth
    await members[0].close()
    left = await guide.expect("floor")
    assert members[0].seat not in left.floor.holders
    await guide.send(wire.GiveFloor(seat=members[4].seat))
    assert members[4].seat in (await guide.expect("floor")).floor.holders
    await close_all(guide, *members)


async def test_mute_all_silences_members_not_the_guides(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, member, co_guide, listener = await joined(
        world, tour, world.tokens["guide"], world.tokens["member"], *await member_tokens(world, 2))
    await guide.send(wire.HandOver(seat=co_guide.seat))
    await guide.expect("role", role="co_guide")
    await guide.send(wire.GiveFloor(seat=member.seat))
    await guide.expect("floor")
    await guide.send(wire.MuteAll(muted=True))
    await member.expect("setting", name="muted", on=True)
    await member.speak(PACKETS[:4])
    assert "muted everyone" in (await member.expect("error", about="voice")).message
    await nothing_heard(listener)
    assert (await guide.speak(PACKETS[:4])) == await listener.heard(4)
    assert (await co_guide.speak(PACKETS[4:8], first_seq=4)) == await listener.heard(4)
    # the floor stays recorded under mute-all and counts again once unmuted
    late = voice_participant(world.client, tour, world.tokens["admin"])
    assert (await late.connect()).snapshot.floor.holders == [member.seat]
    await guide.send(wire.MuteAll(muted=False))
    await member.expect("setting", name="muted", on=False)
    assert (await member.speak(PACKETS[:4], first_seq=50)) == await listener.heard(4)
    # one seat muted, co-guide included; the lead guide cannot be
    await guide.send(wire.MuteSeat(seat=co_guide.seat, muted=True))
    await listener.expect("floor", floor=wire.FloorState(holders=[member.seat],
                                                         muted=[co_guide.seat]))
    await co_guide.speak(PACKETS[:2])
    assert "muted you" in (await co_guide.expect("error", about="voice")).message
    await co_guide.send(wire.MuteSeat(seat=guide.seat, muted=True))
    assert (await co_guide.expect("error", about="mute_seat")).code == "not_allowed"
    await nothing_heard(listener)
    await close_all(guide, member, co_guide, listener, late)


async def test_the_open_floor_lets_four_members_speak_at_once(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples)
    guide, *members = await joined(world, tour, world.tokens["guide"],
                                    *await member_tokens(world, 5))
    await guide.send(wire.OpenFloor(open=True))
    assert (await members[0].expect("floor")).floor.open is True
    for index, member in enumerate(members[:4]):
        assert await member.speak(PACKETS[:2], first_seq=index) == await guide.heard(2)
    await members[4].speak(PACKETS[:2])
    busy = await members[4].expect("error", about="voice")
    assert "4 members are speaking" in busy.message
    await nothing_heard(guide)
    await guide.send(wire.OpenFloor(open=False))
    await members[0].expect("floor")
    await members[0].speak(PACKETS[:2])
    assert "floor" in (await members[0].expect("error", about="voice")).message
    await close_all(guide, *members)


async def test_spectators_listen_and_are_never_relayed(
        world: World, samples: dict[str, BuildResult]) -> None:
    tour = await voice_tour(world, samples, capacity=1)  # the guide and one member
    guide, member, spectator = await joined(world, tour, world.tokens["guide"],
                                             world.tokens["member"],
                                             (await member_tokens(world, 1))[0])
    assert spectator.welcome is not None and spectator.welcome.role == "spectator"
    await guide.send(wire.GiveFloor(seat=spectator.seat))
    assert (await guide.expect("error", about="floor_give")).code == "bad_message"
    await guide.send(wire.OpenFloor(open=True))
    await spectator.expect("floor")
    await spectator.speak(PACKETS[:4])
    assert "spectators" in (await spectator.expect("error", about="voice")).message
    await nothing_heard(guide, member)
    assert (await guide.speak(PACKETS[:4])) == await spectator.heard(4)
    await close_all(guide, member, spectator)
