"""What a tour reply says: guide, state, the caller's registration, times in the tour's
zone, links to join; and calendar events that say how to join, moves and cancellations."""

from datetime import UTC, datetime, timedelta, timezone

from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from icalendar import Calendar

from server.keys import SETTINGS
from server.settings import Settings
from server.tour_view import links, offset_text, site_base
from tests.server.conftest import World
from tests.server.test_tour_changes import _fact, _tour

BEIJING = timezone(timedelta(hours=8))


async def test_tours_say_who_leads_what_state_and_whether_i_am_registered(world: World
                                                                         ) -> None:
    client = world.client
    start = (datetime.now(BEIJING) + timedelta(days=2)).replace(microsecond=0)
    tour = await _tour(world, starts_at=start.isoformat())
    assert tour["starts_at"] == start.isoformat() and tour["time_zone"] == "+08:00"
    assert tour["ends_at"] == (start + timedelta(minutes=60)).isoformat()
    assert tour["guide"] == {"id": world.users["guide"], "name": "guide-a"}
    assert tour["state"] == "scheduled" and tour["registered_by_me"] is False
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("member"))
    mine = await (await client.get("/api/tours", headers=world.auth("member"))).json()
    assert [(t["id"], t["registered_by_me"], t["registered"]) for t in mine] == \
        [(tour["id"], True, 1)]
    guides = await (await client.get("/api/tours", headers=world.auth("guide"))).json()
    assert guides[0]["registered_by_me"] is False and guides[0]["starts_at"] == start.isoformat()
    one = await (await client.get(f"/api/tours/{tour['id']}", headers=world.auth("member"))
                 ).json()
    assert one == mine[0]
    assert one["links"]["live"].endswith(f"/api/tours/{tour['id']}/live")
    assert one["links"]["live"].startswith("ws://")
    assert one["links"]["engine"] == (f"redhall view founding-1.0.0.exhibit --tour "
                                      f"{one['links']['live']} --token TOKEN")
    assert (await client.get(f"/api/tours/{tour['id']}",
                             headers=world.auth("member_b"))).status == 404
    await _fact(world, tour["id"], "tour_started")
    live = await (await client.get(f"/api/tours/{tour['id']}", headers=world.auth("admin"))
                  ).json()
    assert live["state"] == "live"
    await _fact(world, tour["id"], "tour_ended")
    ended = await (await client.get("/api/tours", headers=world.auth("admin"))).json()
    assert ended[0]["state"] == "ended"
    utc = await _tour(world, starts_at=(datetime.now(UTC) + timedelta(days=3)).isoformat())
    assert utc["time_zone"] == "+00:00" and utc["starts_at"].endswith("+00:00")


def test_offsets_and_links() -> None:
    assert [offset_text(m) for m in (0, 480, -210, 345)] == ["+00:00", "+08:00", "-03:30",
                                                             "+05:45"]
    app = web.Application()
    app[SETTINGS] = Settings(site_url="https://dangjian.example.org/redhall/")
    request = make_mocked_request("GET", "/", headers={"Host": "internal:8080"}, app=app)
    assert site_base(request) == "https://dangjian.example.org/redhall"
    app2 = web.Application()
    app2[SETTINGS] = Settings()
    request = make_mocked_request("GET", "/", headers={"Host": "10.0.0.5:8080"}, app=app2)
    assert site_base(request) == "http://10.0.0.5:8080"

    class _Tour:
        id = 7

    class _Version:
        exhibit_id, version = "founding", "1.0.0"

    made = links("https://dangjian.example.org/redhall", _Tour(), _Version())  # type: ignore[arg-type]
    assert made.live == "wss://dangjian.example.org/redhall/api/tours/7/live"
    assert made.page == "https://dangjian.example.org/redhall/api/tours/7"


async def _event(world: World) -> object:
    address = (await (await world.client.get("/api/me/calendar",
                                             headers=world.auth("member"))).json())["url"]
    feed = await world.client.get(address)
    assert feed.status == 200
    (event,) = Calendar.from_ical(await feed.read()).walk("VEVENT")
    return event


async def test_calendar_events_say_how_to_join_and_follow_moves_and_cancellation(
        world: World) -> None:
    client = world.client
    tour = await _tour(world)
    await client.post(f"/api/tours/{tour['id']}/registration", headers=world.auth("member"))
    event = await _event(world)
    host = client.server.host + ":" + str(client.server.port)
    live = f"ws://{host}/api/tours/{tour['id']}/live"
    assert str(event["url"]) == f"http://{host}/api/tours/{tour['id']}"
    assert str(event["location"]) == live
    description = str(event["description"])
    assert f"redhall view founding-1.0.0.exhibit --tour {live} --token TOKEN" in description
    assert f"http://{host}/api/tours/{tour['id']}" in description
    assert int(event["sequence"]) == 0 and str(event["status"]) == "CONFIRMED"
    later = (datetime.now(BEIJING) + timedelta(days=4)).replace(microsecond=0)
    await client.patch(f"/api/tours/{tour['id']}", json={"starts_at": later.isoformat()},
                       headers=world.auth("guide"))
    event = await _event(world)
    assert int(event["sequence"]) == 1 and event.decoded("dtstart") == later
    await client.delete(f"/api/tours/{tour['id']}", headers=world.auth("guide"))
    event = await _event(world)
    assert int(event["sequence"]) == 2 and str(event["status"]) == "CANCELLED"
    assert str(event["uid"]).startswith(f"tour-{tour['id']}@")
