"""The LRS's document resources (State, Activity Profile, Agent Profile) and the Activities
and Agents lookups, through real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlencode

import pytest

from tests.server.conftest import World
from tests.server.test_lrs import V1, Lrs, lrs, make_client, statement  # noqa: F401 (fixture)

ANN = json.dumps({"objectType": "Agent", "mbox": "mailto:ann@example.com"})
BOB = json.dumps({"mbox": "mailto:bob@example.com"})
ACTIVITY = "http://example.com/scene/a"


def _url(path: str, **params: str) -> str:
    return f"{path}?{urlencode(params)}"


def _state(**params: str) -> str:
    return _url("/xapi/activities/state", **{"activityId": ACTIVITY, "agent": ANN, **params})


async def test_state_put_get_merge_list_delete(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    c, h = lrs.client, lrs.headers
    registration = str(uuid.uuid4())
    reply = await c.put(_state(stateId="bookmark"), data=b'{"stop": 2, "lang": "zh-CN"}',
                        headers={**h, "Content-Type": "application/json"})
    assert reply.status == 204, await reply.text()
    got = await c.get(_state(stateId="bookmark"), headers=h)
    assert got.status == 200 and got.content_type == "application/json"
    assert await got.json() == {"stop": 2, "lang": "zh-CN"}
    etag = got.headers["ETag"]
    assert etag.startswith('"') and "Last-Modified" in got.headers
    # POST merges top-level keys
    reply = await c.post(_state(stateId="bookmark"), data=b'{"stop": 3, "seated": true}',
                         headers={**h, "Content-Type": "application/json"})
    assert reply.status == 204, await reply.text()
    got = await c.get(_state(stateId="bookmark"), headers=h)
    assert await got.json() == {"stop": 3, "lang": "zh-CN", "seated": True}
    assert got.headers["ETag"] != etag
    # any bytes with any type, kept exactly; a registration is its own address
    await c.put(_state(stateId="photo", registration=registration), data=b"\x89PNG\x00\x01",
                headers={**h, "Content-Type": "image/png"})
    got = await c.get(_state(stateId="photo", registration=registration), headers=h)
    assert got.content_type == "image/png" and await got.read() == b"\x89PNG\x00\x01"
    assert (await c.get(_state(stateId="photo"), headers=h)).status == 404
    # ids: all, by registration, since
    assert await (await c.get(_state(), headers=h)).json() == ["bookmark", "photo"]
    assert await (await c.get(_state(registration=registration), headers=h)).json() == \
        ["photo"]
    assert await (await c.get(_state(since="2100-01-01T00:00:00Z"), headers=h)).json() == []
    # merging into something that is not a JSON object is refused, nothing changes
    reply = await c.post(_state(stateId="photo", registration=registration), data=b'{"a":1}',
                         headers={**h, "Content-Type": "application/json"})
    assert reply.status == 400 and "JSON" in (await reply.json())["error"]
    reply = await c.post(_state(stateId="bookmark"), data=b"[1, 2]",
                         headers={**h, "Content-Type": "application/json"})
    assert reply.status == 400
    assert (await (await c.get(_state(stateId="bookmark"), headers=h)).json())["stop"] == 3
    # another agent sees nothing of Ann's
    other = _url("/xapi/activities/state", activityId=ACTIVITY, agent=BOB)
    assert await (await c.get(other, headers=h)).json() == []
    # delete one, then all in a registration, then all
    assert (await c.delete(_state(stateId="bookmark"), headers=h)).status == 204
    assert await (await c.get(_state(), headers=h)).json() == ["photo"]
    assert (await c.delete(_state(registration=registration), headers=h)).status == 204
    assert await (await c.get(_state(), headers=h)).json() == []


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_profiles_need_preconditions_and_honour_them(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    c, h = lrs.client, lrs.headers
    url = _url("/xapi/activities/profile", activityId=ACTIVITY, profileId="settings")
    json_h = {**h, "Content-Type": "application/json"}
    assert (await c.put(url, data=b'{"a": 1}', headers={**json_h, "If-None-Match": "*"})
            ).status == 204
    # creating it again with If-None-Match: * fails; a blind overwrite is a conflict
    assert (await c.put(url, data=b'{"a": 2}', headers={**json_h, "If-None-Match": "*"})
            ).status == 412
    assert (await c.put(url, data=b'{"a": 2}', headers=json_h)).status == 409
    etag = (await c.get(url, headers=h)).headers["ETag"]
    assert (await c.put(url, data=b'{"a": 2}', headers={**json_h, "If-Match": '"0000"'})
            ).status == 412
    assert (await c.put(url, data=b'{"a": 2}', headers={**json_h, "If-Match": etag})
            ).status == 204
    assert await (await c.get(url, headers=h)).json() == {"a": 2}
    assert (await c.delete(url, headers={**h, "If-Match": etag})).status == 412
    assert (await c.delete(url, headers=h)).status == 204
    # agent profiles, addressed by agent
    agent_url = _url("/xapi/agents/profile", agent=ANN, profileId="prefs")
    assert (await c.post(agent_url, data=b'{"lang": "en"}', headers=json_h)).status == 204
    assert await (await c.get(_url("/xapi/agents/profile", agent=ANN), headers=h)).json() == \
        ["prefs"]


async def test_bad_requests_name_the_problem(lrs: Lrs, world: World) -> None:  # noqa: F811 (fixture)
    c, h = lrs.client, lrs.headers
    cases = [
        (_url("/xapi/activities/state", agent=ANN, stateId="x"), "activityId"),
        (_url("/xapi/activities/state", activityId=ACTIVITY, stateId="x"), "agent"),
        (_url("/xapi/activities/state", activityId="not an iri", agent=ANN), "activityId"),
        (_state(registration="nope"), "registration"),
        (_state(StateId="x"), "StateId"),
        (_url("/xapi/activities/state", activityId=ACTIVITY, agent='{"name": "x"}'), "agent"),
    ]
    for url, named in cases:
        reply = await c.get(url, headers=h)
        assert reply.status == 400, url
        assert named in (await reply.json())["error"], (url, await reply.text())
    assert (await c.put(_state(), data=b"{}", headers=h)).status == 400  # no stateId
    assert (await c.get(_state(stateId="x"), headers=V1)).status == 401
    reader = await make_client(world, ["read"])
    assert (await c.put(_state(stateId="x"), data=b"{}", headers=reader)).status == 403


async def test_alternate_syntax_reaches_documents(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    auth = lrs.headers["Authorization"]
    form = {"Authorization": auth, "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json", "activityId": ACTIVITY, "agent": ANN,
            "stateId": "s", "content": '{"x": 1}'}
    reply = await lrs.client.post("/xapi/activities/state?method=PUT", data=form)
    assert reply.status == 204, await reply.text()
    form = {k: v for k, v in form.items() if k not in ("content", "Content-Type")}
    reply = await lrs.client.post("/xapi/activities/state?method=DELETE", data=form)
    assert reply.status == 204
    got = await lrs.client.get(_state(stateId="s"), headers=lrs.headers)
    assert got.status == 404


async def test_activity_definition_and_person(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    c, h = lrs.client, lrs.headers
    s = statement(activity="scene/b")
    assert (await lrs.post([s])).status == 200
    got = await c.get(_url("/xapi/activities", activityId="http://example.com/scene/b"),
                      headers=h)
    assert await got.json() == {"objectType": "Activity", "id": "http://example.com/scene/b",
                                "definition": s["object"]["definition"]}
    unknown = await c.get(_url("/xapi/activities", activityId="http://example.com/none"),
                          headers=h)
    assert await unknown.json() == {"objectType": "Activity", "id": "http://example.com/none"}
    person = await (await c.get(_url("/xapi/agents", agent=json.dumps(
        {"name": "Ann", "mbox": "mailto:ann@example.com"})), headers=h)).json()
    assert person == {"objectType": "Person", "name": ["Ann"],
                      "mbox": ["mailto:ann@example.com"]}


async def test_xapi_2_asks_state_overwrites_for_a_precondition(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    c = lrs.client
    v2 = {**lrs.headers, "X-Experience-API-Version": "2.0.0",
          "Content-Type": "application/json"}
    assert (await c.put(_state(stateId="s"), data=b'{"a": 1}', headers=v2)).status == 204
    reply = await c.put(_state(stateId="s"), data=b'{"a": 2}', headers=v2)
    assert reply.status == 409 and "If-Match" in (await reply.json())["error"]
    etag = (await c.get(_state(stateId="s"), headers=v2)).headers["ETag"]
    assert len(etag) == 42  # a quoted SHA-1
    assert (await c.put(_state(stateId="s"), data=b'{"a": 2}',
                        headers={**v2, "If-Match": etag})).status == 204
    # 1.0.3 clients overwrite State freely, as that version allows
    assert (await c.put(_state(stateId="s"), data=b'{"a": 3}',
                        headers={**lrs.headers, "Content-Type": "application/json"})
            ).status == 204
