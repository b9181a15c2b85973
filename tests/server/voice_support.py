"""What the voice tests share: a published tour, its people joined with voice, and
checks on what they heard."""

from __future__ import annotations

import asyncio

from tests.server.conftest import World
from tests.server.live_support import (
    VoiceParticipant,
    opus_packets,
    publish,
    schedule,
    voice_participant,
)
from tools.build import BuildResult

PACKETS = opus_packets(12)




async def voice_tour(world: World, samples: dict[str, BuildResult], capacity: int = 20) -> int:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a],
                          capacity=capacity)


async def joined(world: World, tour: int, *tokens: str) -> list[VoiceParticipant]:
    people = []
    for token in tokens:
        person = voice_participant(world.client, tour, token)
        await person.connect()
        people.append(person)
    return people


async def close_all(*people: VoiceParticipant) -> None:
    for person in people:
        await person.close()


async def nothing_heard(*people: VoiceParticipant, wait: float = 0.3) -> None:
    """No voice reaches any of ``people`` for a few ticks."""
    await asyncio.sleep(wait)
    for person in people:
        assert person.voice.empty(), f"seat {person.seat} heard {person.voice.get_nowait()}"
