"""Ids in paths: only ASCII digits a database column can hold; anything else is no such
thing (404), never a server error."""

from __future__ import annotations

from tests.server.conftest import World
from tests.server.test_tour_changes import _tour

HUGE = "1" * 5000
NOT_ASCII = "\u0661"  # ١, ARABIC-INDIC DIGIT ONE: a digit to \d, not to the routes
TOO_BIG = str(2**31)


async def test_odd_ids_in_paths_are_not_found(world: World) -> None:
    tour = await _tour(world)
    paths = [("GET", "/api/tours/{}"), ("PATCH", "/api/tours/{}"),
             ("DELETE", "/api/tours/{}"), ("GET", "/api/tours/{}/attendance"),
             ("POST", "/api/tours/{}/registration"), ("DELETE", "/api/tours/{}/registration"),
             ("GET", "/api/tours/{}/live"), ("GET", "/api/users/{}/export"),
             ("DELETE", "/api/users/{}"), ("DELETE", "/api/auth/tokens/{}")]
    for method, path in paths:
        for odd in (HUGE, NOT_ASCII, TOO_BIG, "0", "99999999999"):
            reply = await world.client.request(method, path.format(odd), json={},
                                               headers=world.auth("admin"))
            assert reply.status == 404, (method, path, odd[:12], await reply.text())
    # real ids still answer
    assert (await world.client.get(f"/api/tours/{tour['id']}",
                                   headers=world.auth("admin"))).status == 200
    assert (await world.client.get(f"/api/users/{world.users['member']}/export",
                                   headers=world.auth("member"))).status == 200
