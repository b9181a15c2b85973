"""The Learning Record Store against the xAPI Statements resource rules, on SQLite and
PostgreSQL, through real HTTP."""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.server.conftest import World

ADL = "http://adlnet.gov/expapi/verbs/"
V1 = {"X-Experience-API-Version": "1.0.3"}


@dataclass
class Lrs:
    world: World
    headers: dict[str, str]  # a client that may write and read everything

    @property
    def client(self):  # type: ignore[no-untyped-def]
        return self.world.client

    async def put(self, statement: dict[str, Any], statement_id: str | None = None,
                  headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        sid = statement_id or statement["id"]
        return await self.client.put(f"/xapi/statements?statementId={sid}", json=statement,
                                     headers=headers or self.headers)

    async def post(self, body: Any, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return await self.client.post("/xapi/statements", data=json.dumps(body),
                                      headers={**(headers or self.headers),
                                               "Content-Type": "application/json"})

    async def get(self, **params: str):  # type: ignore[no-untyped-def]
        return await self.client.get("/xapi/statements?" + urlencode(params),
                                     headers=self.headers)

    async def query(self, **params: str) -> list[dict[str, Any]]:
        reply = await self.get(**params)
        assert reply.status == 200, await reply.text()
        return (await reply.json())["statements"]


async def make_client(world: World, scopes: list[str]) -> dict[str, str]:
    reply = await world.client.post("/api/lrs-clients", json={"name": "test " + " ".join(scopes),
                                                              "scopes": scopes},
                                    headers=world.auth("admin"))
    assert reply.status == 201, await reply.text()
    data = await reply.json()
    basic = base64.b64encode(f"{data['key']}:{data['secret']}".encode()).decode()
    return {"Authorization": f"Basic {basic}", **V1}


@pytest.fixture
async def lrs(world: World) -> Lrs:
    return Lrs(world, await make_client(world, ["write", "read"]))


def statement(verb: str = "experienced", *, who: str = "ann", activity: str = "scene/a",
              **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()),
            "actor": {"objectType": "Agent", "name": who, "mbox": f"mailto:{who}@example.com"},
            "verb": {"id": ADL + verb, "display": {"en-US": verb, "zh-CN": "体验"}},
            "object": {"objectType": "Activity", "id": f"http://example.com/{activity}",
                       "definition": {"name": {"en-US": activity, "zh-CN": "场景"}}},
            **extra}


async def test_put_get_repeat_and_conflict(lrs: Lrs) -> None:
    s = statement()
    reply = await lrs.put(s)
    assert reply.status == 204
    assert reply.headers["X-Experience-API-Version"] == "1.0.3"
    got = await lrs.get(statementId=s["id"])
    assert got.status == 200
    stored = await got.json()
    assert stored["actor"] == s["actor"] and stored["id"] == s["id"]
    assert stored["version"] == "1.0.0" and stored["stored"].endswith("Z")
    assert stored["timestamp"] == stored["stored"]
    assert stored["authority"]["account"]["homePage"] == "http://localhost:8080"
    assert got.headers["X-Experience-API-Consistent-Through"] >= stored["stored"]
    assert (await lrs.put(s)).status == 204  # the same statement again: no change
    changed = {**s, "verb": {"id": ADL + "answered"}}
    assert (await lrs.put(changed)).status == 409
    assert (await lrs.post([changed])).status == 409
    assert await (await lrs.get(statementId=s["id"])).json() == stored


async def test_post_batches_are_all_or_nothing(lrs: Lrs) -> None:
    first, second = statement(), statement("answered")
    no_id = statement()
    del no_id["id"]
    reply = await lrs.post([first, no_id, second])
    assert reply.status == 200
    ids = await reply.json()
    assert ids[0] == first["id"] and ids[2] == second["id"] and uuid.UUID(ids[1])
    bad = statement()
    bad["verb"]["id"] = "not an iri"
    before = len(await lrs.query())
    reply = await lrs.post([statement(), bad])
    assert reply.status == 400 and "statements[1].verb.id" in (await reply.json())["error"]
    twice = statement()
    assert (await lrs.post([twice, twice])).status == 400
    linked = statement(attachments=[{**ATTACHMENT, "fileUrl": "http://example.com/p.jpg"}])
    assert (await lrs.post(linked)).status == 200
    before += 1
    assert len(await lrs.query()) == before


ATTACHMENT = {"usageType": "http://example.com/usage/photo", "display": {"zh-CN": "合影"},
              "contentType": "image/jpeg", "length": 1024, "sha2": "ab" * 32}


def _broken() -> list[tuple[str, dict[str, Any]]]:
    s = statement
    two_ifis = s()
    two_ifis["actor"]["openid"] = "http://openid.example.com/ann"
    return [
        ("null value", {**s(), "result": {"success": None}}),
        ("no actor", {k: v for k, v in s().items() if k != "actor"}),
        ("two identifiers", two_ifis),
        ("bad mbox", {**s(), "actor": {"mbox": "ann@example.com"}}),
        ("wrong case key", {**s(), "Result": {"success": True}}),
        ("unknown key", {**s(), "colour": "red"}),
        ("bad uuid", {**s(), "id": "not-a-uuid"}),
        ("bad language tag", {**s(), "verb": {"id": ADL + "x", "display": {"e n": "x"}}}),
        ("scaled above 1", {**s(), "result": {"score": {"scaled": 1.5}}}),
        ("raw below min", {**s(), "result": {"score": {"raw": 1, "min": 2, "max": 5}}}),
        ("bad duration", {**s(), "result": {"duration": "1 hour"}}),
        ("negative zero offset", {**s(), "timestamp": "2008-09-15T15:53:00.601-00:00"}),
        ("bad timestamp", {**s(), "timestamp": "01/011/2015"}),
        ("success as string", {**s(), "result": {"success": "yes"}}),
        ("empty context activities list item", {**s(), "context": {"contextActivities": {
            "parent": [{}]}}}),
        ("revision on agent object", {**s(), "object": {"objectType": "Agent",
                                                        "mbox": "mailto:b@example.com"},
                                      "context": {"revision": "1"}}),
        ("agent object without objectType", {**s(), "object": {"mbox": "mailto:b@ex.com"}}),
        ("voiding a non-reference", s("voided")),
        ("sub-statement with id", {**s(), "object": {"objectType": "SubStatement",
                                                     "id": str(uuid.uuid4()), **{
                                                         k: v for k, v in s().items()
                                                         if k in ("actor", "verb", "object")}}}),
        ("bad interaction type", {**s(), "object": {"id": "http://example.com/q", "definition": {
            "interactionType": "essay"}}}),
        ("duplicate component ids", {**s(), "object": {"id": "http://example.com/q",
                                                       "definition": {
            "interactionType": "choice", "choices": [{"id": "a"}, {"id": "a"}]}}}),
        ("version 0.9", {**s(), "version": "0.9"}),
        ("group authority of three", {**s(), "authority": {"objectType": "Group", "member": [
            {"mbox": f"mailto:{n}@example.com"} for n in "abc"]}}),
        ("anonymous group without members", {**s(), "actor": {"objectType": "Group"}}),
        ("attachment data not sent", {**s(), "attachments": [ATTACHMENT]}),
    ]


async def test_invalid_statements_get_400(lrs: Lrs) -> None:
    for why, body in _broken():
        reply = await lrs.post(body)
        assert reply.status == 400, why
        assert (await reply.json())["error"]
    assert await lrs.query() == []


async def test_duplicate_json_keys_are_refused(lrs: Lrs) -> None:
    raw = json.dumps(statement())[:-1] + ', "id": "' + str(uuid.uuid4()) + '"}'
    reply = await lrs.client.post("/xapi/statements", data=raw,
                                  headers={**lrs.headers, "Content-Type": "application/json"})
    assert reply.status == 400 and "repeats a key" in (await reply.json())["error"]


async def test_nan_and_infinity_are_not_json(lrs: Lrs) -> None:
    for constant in ("NaN", "Infinity", "-Infinity"):
        raw = json.dumps(statement(result={"score": {"raw": 1}})).replace(
            '"raw": 1', f'"raw": {constant}')
        reply = await lrs.client.post("/xapi/statements", data=raw, headers={
            **lrs.headers, "Content-Type": "application/json"})
        assert reply.status == 400, constant
        assert f"{constant} is not a JSON value" in (await reply.json())["error"]
    assert await lrs.query() == []


async def test_numbers_beyond_64_bits_are_kept_exactly(lrs: Lrs) -> None:
    s = statement(result={"extensions": {"http://example.com/big": 2**70 + 1}})
    assert (await lrs.post([s])).status == 200
    back = await (await lrs.get(statementId=s["id"])).json()
    assert back["result"]["extensions"]["http://example.com/big"] == 2**70 + 1


async def test_headers_auth_and_about(lrs: Lrs, world: World) -> None:
    about = await lrs.client.get("/xapi/about")
    assert about.status == 200 and "1.0.3" in (await about.json())["version"]
    no_version = {k: v for k, v in lrs.headers.items() if k != "X-Experience-API-Version"}
    assert (await lrs.client.get("/xapi/statements", headers=no_version)).status == 400
    bad_version = {**lrs.headers, "X-Experience-API-Version": "0.95"}
    assert (await lrs.client.get("/xapi/statements", headers=bad_version)).status == 400
    v2 = await lrs.client.get("/xapi/statements", headers={**lrs.headers,
                                                           "X-Experience-API-Version": "2.0.0"})
    assert v2.status == 200 and v2.headers["X-Experience-API-Version"] == "2.0.0"
    nobody = await lrs.client.get("/xapi/statements", headers=V1)
    assert nobody.status == 401 and "X-Experience-API-Consistent-Through" in nobody.headers
    wrong = {**lrs.headers, "Authorization": "Basic " + base64.b64encode(b"a:b").decode()}
    assert (await lrs.client.get("/xapi/statements", headers=wrong)).status == 401
    reader = await make_client(world, ["read"])
    assert (await lrs.post(statement(), headers=reader)).status == 403
    assert (await lrs.get(Agent="x")).status == 400  # parameter names are case-sensitive
    head = await lrs.client.head("/xapi/statements", headers=lrs.headers)
    assert head.status == 200 and "X-Experience-API-Consistent-Through" in head.headers


async def test_voiding(lrs: Lrs) -> None:
    target, other = statement(), statement()
    await lrs.post([target, other])
    voiding = statement("voided", activity="x")
    voiding["object"] = {"objectType": "StatementRef", "id": target["id"]}
    assert (await lrs.post(voiding)).status == 200
    assert (await lrs.get(statementId=target["id"])).status == 404
    got = await lrs.get(voidedStatementId=target["id"])
    assert got.status == 200 and (await got.json())["id"] == target["id"]
    ids = [s["id"] for s in await lrs.query()]
    assert target["id"] not in ids and voiding["id"] in ids and other["id"] in ids
    # a voiding statement cannot itself be voided
    again = statement("voided", activity="y")
    again["object"] = {"objectType": "StatementRef", "id": voiding["id"]}
    await lrs.post(again)
    assert (await lrs.get(statementId=voiding["id"])).status == 200
    # statements that target a match are returned with it, even when the target is voided
    found = [s["id"] for s in await lrs.query(verb=ADL + "experienced")]
    assert voiding["id"] in found and other["id"] in found and target["id"] not in found


async def test_query_filters(lrs: Lrs) -> None:
    registration = str(uuid.uuid4())
    ann_a = statement(activity="scene/a", context={"registration": registration})
    ann_b = statement("answered", activity="scene/b", context={"contextActivities": {
        "parent": {"id": "http://example.com/exhibit/1"}}})
    bob_a = statement(who="bob", activity="scene/a", context={"instructor": {
        "mbox": "mailto:ann@example.com"}})
    await lrs.post([ann_a, ann_b, bob_a])
    ann = json.dumps({"mbox": "mailto:ann@example.com"})

    async def ids(**params: str) -> set[str]:
        return {s["id"] for s in await lrs.query(**params)}

    assert await ids(agent=ann) == {ann_a["id"], ann_b["id"]}
    assert await ids(agent=ann, related_agents="true") == {ann_a["id"], ann_b["id"],
                                                           bob_a["id"]}
    assert await ids(verb=ADL + "answered") == {ann_b["id"]}
    assert await ids(activity="http://example.com/scene/a") == {ann_a["id"], bob_a["id"]}
    assert await ids(activity="http://example.com/exhibit/1") == set()
    assert await ids(activity="http://example.com/exhibit/1",
                     related_activities="true") == {ann_b["id"]}
    assert await ids(registration=registration) == {ann_a["id"]}
    assert await ids(agent=ann, verb=ADL + "experienced") == {ann_a["id"]}
    stored = (await (await lrs.get(statementId=ann_b["id"])).json())["stored"]
    assert ann_b["id"] not in await ids(since=stored)
    assert ann_b["id"] in await ids(until=stored)
    bob_stored = await (await lrs.get(statementId=bob_a["id"])).json()
    assert bob_stored["context"]["instructor"]["mbox"] == "mailto:ann@example.com"
    ann_b_stored = await (await lrs.get(statementId=ann_b["id"])).json()
    assert isinstance(ann_b_stored["context"]["contextActivities"]["parent"], list)
    for bad in ({"agent": "{not json"}, {"agent": json.dumps({"name": "no ifi"})},
                {"verb": "experienced"}, {"registration": "12"}, {"limit": "-1"},
                {"since": "yesterday"}, {"ascending": "yes"}, {"format": "full"},
                {"statementId": ann_a["id"], "verb": ADL + "experienced"}):
        assert (await lrs.get(**bad)).status == 400, bad


async def test_a_large_batch_files_each_statement_under_its_own_agent_and_activity(
        lrs: Lrs) -> None:
    # 2,400 statements: on SQLite their rows go in several multi-row inserts, and each
    # statement's agent and activity rows carry the number SQLite gave it
    posted = [statement(who=f"p{i}", activity=f"scene/{i}") for i in range(2400)]
    reply = await lrs.post(posted)
    assert reply.status == 200, await reply.text()
    assert await reply.json() == [s["id"] for s in posted]
    for i in (0, 999, 1000, 1001, 1799, 2399):
        agent = json.dumps({"mbox": f"mailto:p{i}@example.com"})
        assert [s["id"] for s in await lrs.query(agent=agent)] == [posted[i]["id"]]
        found = await lrs.query(activity=f"http://example.com/scene/{i}")
        assert [s["id"] for s in found] == [posted[i]["id"]]
    ascending = [s["id"] for s in await lrs.query(limit="500", ascending="true")]
    assert ascending == [s["id"] for s in posted[:500]]


async def test_paging_with_more(lrs: Lrs) -> None:
    posted = [statement(activity=f"page/{i}") for i in range(7)]
    for s in posted:
        await lrs.post(s)
    seen: list[str] = []
    reply = await lrs.get(limit="3", ascending="true")
    while True:
        assert reply.status == 200
        page = await reply.json()
        assert len(page["statements"]) <= 3
        seen += [s["id"] for s in page["statements"]]
        if not page["more"]:
            break
        reply = await lrs.client.get(page["more"], headers=lrs.headers)
    assert seen == [s["id"] for s in posted]
    newest_first = [s["id"] for s in await lrs.query(limit="2")]
    assert newest_first == [posted[6]["id"], posted[5]["id"]]


async def test_formats(lrs: Lrs) -> None:
    s = statement()
    await lrs.put(s)
    ids = await (await lrs.get(statementId=s["id"], format="ids")).json()
    assert ids["actor"] == {"objectType": "Agent", "mbox": "mailto:ann@example.com"}
    assert ids["verb"] == {"id": ADL + "experienced"}
    assert ids["object"] == {"id": "http://example.com/scene/a"}
    reply = await lrs.client.get(f"/xapi/statements?statementId={s['id']}&format=canonical",
                                 headers={**lrs.headers, "Accept-Language": "zh-CN, en;q=0.5"})
    canonical = await reply.json()
    assert canonical["verb"]["display"] == {"zh-CN": "体验"}
    assert canonical["object"]["definition"]["name"] == {"zh-CN": "场景"}


async def test_alternate_request_syntax(lrs: Lrs) -> None:
    s = statement()
    form = {"Authorization": lrs.headers["Authorization"], "X-Experience-API-Version": "1.0.3",
            "Content-Type": "application/json", "statementId": s["id"],
            "content": json.dumps(s)}
    reply = await lrs.client.post("/xapi/statements?method=PUT", data=form)
    assert reply.status == 204, await reply.text()
    form = {"Authorization": lrs.headers["Authorization"], "X-Experience-API-Version": "1.0.3",
            "statementId": s["id"]}
    reply = await lrs.client.post("/xapi/statements?method=GET", data=form)
    assert reply.status == 200 and (await reply.json())["id"] == s["id"]
    reply = await lrs.client.post("/xapi/statements?method=PUT&statementId=" + s["id"],
                                  data=form)
    assert reply.status == 400


async def test_read_mine_sees_only_its_own(lrs: Lrs, world: World) -> None:
    mine = await make_client(world, ["write", "read_mine"])
    own, theirs = statement(), statement()
    await lrs.post(own, headers=mine)
    await lrs.post(theirs)
    reply = await lrs.client.get("/xapi/statements", headers=mine)
    assert [s["id"] for s in (await reply.json())["statements"]] == [own["id"]]
    assert (await lrs.client.get(f"/xapi/statements?statementId={theirs['id']}",
                                 headers=mine)).status == 404
