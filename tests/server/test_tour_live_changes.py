"""Moving and cancelling against a real live room: a lobby is sent home when its tour is
cancelled, and a tour a guide has started can be neither moved nor cancelled."""

import pytest

from protocol import tour as wire
from server.keys import HUB
from tests.server.conftest import World
from tests.server.live_support import participant, publish, schedule
from tools.build import BuildResult


@pytest.fixture
async def tour(world: World, samples: dict[str, BuildResult]) -> int:
    version = await publish(world.client, samples["founding"], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a])


async def test_cancelling_sends_the_lobby_home_and_joining_is_refused(world: World,
                                                                       tour: int) -> None:
    member = participant(world.client, tour, world.tokens["member"])
    await member.connect()
    answer = await world.client.delete(f"/api/tours/{tour}", headers=world.auth("guide"))
    assert answer.status == 200 and (await answer.json())["state"] == "cancelled"
    told = await member.expect("error")
    assert told.code == "illegal_state" and "cancelled" in told.message
    assert (await member.closed()).code == 1000
    again = participant(world.client, tour, world.tokens["member"])
    with pytest.raises(Exception, match="cancelled"):
        await again.connect()
    await again.close()
    await member.close()


async def test_a_started_tour_is_live_and_stays_as_it_is(world: World, tour: int) -> None:
    guide = participant(world.client, tour, world.tokens["guide"])
    await guide.connect()
    await guide.send(wire.Start())
    await guide.expect("phase", phase="live")
    assert world.client.server.app[HUB].rooms[tour].state.phase == "live"
    seen = await (await world.client.get(f"/api/tours/{tour}",
                                         headers=world.auth("guide"))).json()
    assert seen["state"] == "live"
    for method in ("patch", "delete"):
        answer = await world.client.request(method, f"/api/tours/{tour}",
                                            json={"duration_minutes": 90},
                                            headers=world.auth("admin"))
        assert answer.status == 409 and "live" in (await answer.json())["error"]
    await guide.close()
