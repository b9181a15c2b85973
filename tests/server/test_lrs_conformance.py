"""The LRS against the finer xAPI rules, on SQLite and PostgreSQL through real HTTP: values
of the wrong JSON type anywhere in a statement (400, never a server error), the empty
objects the specification allows, OAuth authorities, ISO 8601 durations, the alternate
request syntax with real headers, signed statements compared by the specification's
comparison rules, the Activities resource's canonical definition and the ids format."""

from __future__ import annotations

import copy
import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from server.lrs import store
from server.lrs.activities import definitions_in, merged_definition
from server.lrs.attachments import SIGNATURE
from server.lrs.rules import StatementError
from server.lrs.shape import formatted, normalized, related, same_statement
from server.lrs.store import Writer
from server.routes import xapi
from tests.server.test_lrs import ADL, Lrs, lrs, statement  # noqa: F401 (fixture)
from tests.server.test_lrs_attachments import _certificate, _jws, _meta, _multipart, _part, _post

CHOICE = {"interactionType": "choice", "correctResponsesPattern": ["a"],
          "choices": [{"id": "a", "description": {"en": "Yan'an"}},
                      {"id": "b", "description": {"en": "Ruijin"}}]}
CONSUMER = {"objectType": "Agent", "account": {"homePage": "http://example.com/oauth",
                                                "name": "tour-app"}}
USER = {"objectType": "Agent", "mbox": "mailto:ann@example.com"}


def _rich() -> dict[str, Any]:
    """A valid statement that uses most of what a statement can hold."""
    sub = {"objectType": "SubStatement",
           "actor": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
           "verb": {"id": ADL + "answered", "display": {"en": "answered"}},
           "object": {"objectType": "Activity", "id": "http://example.com/q/1",
                      "definition": CHOICE},
           "result": {"response": "a", "success": True},
           "context": {"contextActivities": {"parent": [{"id": "http://example.com/quiz"}]},
                       "revision": "2", "platform": "RedHall"},
           "timestamp": "2026-05-01T09:30:00Z"}
    return statement(
        object=sub,
        result={"score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10}, "success": True,
                "completion": False, "response": "b", "duration": "PT1M2.5S",
                "extensions": {"http://example.com/ext": {"deep": [1, 2]}}},
        context={"registration": str(uuid.uuid4()),
                 "instructor": {"name": "Guide", "mbox": "mailto:guide@example.com"},
                 "team": {"objectType": "Group", "name": "Branch", "member": [USER]},
                 "contextActivities": {"grouping": [{"id": "http://example.com/exhibit"}],
                                       "category": {"id": "http://example.com/profile"}},
                 "language": "zh-CN",
                 "statement": {"objectType": "StatementRef", "id": str(uuid.uuid4())},
                 "extensions": {"http://example.com/seat": 12}},
        timestamp="2026-05-01T09:31:00.250+08:00",
        attachments=[{"usageType": "http://example.com/usage/photo",
                      "display": {"zh-CN": "合影"}, "contentType": "image/jpeg",
                      "length": 10, "sha2": "ab" * 32, "fileUrl": "http://example.com/p"}])


def _paths(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _paths(value, (*path, i))
    return found


RICH_PATHS = _paths(_rich())
JSON_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(min_value=-2**70),
                         st.integers(min_value=10**300, max_value=10**400),
                         st.floats(allow_nan=False, allow_infinity=False), st.text(max_size=8),
                         st.sampled_from(["", "http://example.com/x", "PT1S", "choice",
                                          "Agent", "Group", "SubStatement", "StatementRef",
                                          "mailto:x@example.com", str(uuid.uuid4()),
                                          "2026-05-01T09:30:00Z", "en-US"]))
JSON_VALUES = st.recursive(JSON_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3),
    st.dictionaries(st.sampled_from(["id", "objectType", "mbox", "en", "name", "member",
                                     "definition", "homePage", "x"]), inner, max_size=3)),
    max_leaves=6)


def _replaced(statement_: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict:
    out = copy.deepcopy(statement_)
    holder = out
    for step in path[:-1]:
        holder = holder[step]
    holder[path[-1]] = value
    return out


WRONG_TYPES: list[Any] = [None, True, 0, -1.5, 10**400, "", "x", "http://example.com/x", [],
                          [{}], {}, {"a": 1}, {"en": "x"}]


def _through_the_server(body: Any) -> bool:
    """What the server does with a statement it is sent, short of the database: checks it,
    completes it, files it under its agents and activities, compares it with a repeat and
    serves it in every format. True if it was accepted; any exception but the refusal of
    a bad statement is a failure."""
    try:
        statements = xapi._statement_list(body, {}, "2.0.0")
    except StatementError:
        return False
    for sent in statements:
        done = store._completed(sent, Writer(1, CONSUMER, "2.0.0"), "2026-05-01T00:00:00Z")
        related(done)
        text = store._row(done, 1, None).body
        for fmt in ("exact", "ids", "canonical"):
            formatted(text, fmt, ["zh-CN"])
        for version in ("1.0.0", "2.0.0"):
            assert same_statement(json.loads(text), normalized(sent), version)
        merged_definition(definitions_in(done, "http://example.com/q/1"))
    return True


def test_every_wrong_type_at_every_place_is_refused_or_served() -> None:
    for path in RICH_PATHS:
        for value in WRONG_TYPES:
            _through_the_server(_replaced(_rich(), path, value))


@settings(max_examples=1500, deadline=None, database=None)
@given(path=st.sampled_from(RICH_PATHS), value=JSON_VALUES)
def test_any_value_anywhere_is_refused_or_served(path: tuple[Any, ...], value: Any) -> None:
    _through_the_server(_replaced(_rich(), path, value))


async def _stored_in_every_format(lrs: Lrs, body: dict[str, Any]) -> None:  # noqa: F811 (fixture)
    reply = await lrs.post(body)
    assert reply.status < 500, await reply.text()
    if reply.status != 200:  # refused, or (a mutated id) taken by another statement
        assert reply.status in (400, 409) and (await reply.json())["error"]
        return
    for fmt in ("exact", "ids", "canonical"):
        got = await lrs.get(statementId=body["id"], format=fmt)
        assert got.status == 200, (fmt, await got.text())
    found = await lrs.client.get("/xapi/activities?" + urlencode(
        {"activityId": "http://example.com/q/1"}), headers=lrs.headers)
    assert found.status == 200


@settings(max_examples=120, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(path=st.sampled_from(RICH_PATHS), value=JSON_VALUES)
async def test_any_value_anywhere_is_answered_without_a_server_error(
        lrs: Lrs, path: tuple[Any, ...], value: Any) -> None:  # noqa: F811 (fixture)
    body = _replaced(_rich(), path, value)
    if path != ("id",):
        body["id"] = str(uuid.uuid4())
    await _stored_in_every_format(lrs, body)


async def test_wrong_json_types_are_400(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    base = statement()
    cases = {
        "interactionType object": ("object", "definition", {"interactionType": {"a": 1}}, 400),
        "interactionType list": ("object", "definition", {"interactionType": ["choice"]}, 400),
        "date that does not exist": ("timestamp", None, "2026-02-30T00:00:00Z", 400),
        # a number beyond a float's range is a number all the same, compared exactly
        "score beyond a float": ("result", None, {"score": {"raw": 10**400}}, 200),
        "scaled beyond a float": ("result", None, {"score": {"scaled": 10**400}}, 400),
    }
    for why, (key, inner, value, status) in cases.items():
        body = copy.deepcopy(base) | {"id": str(uuid.uuid4())}
        if inner is None:
            body[key] = value
        else:
            body[key][inner] = value
        reply = await lrs.post(body)
        assert reply.status == status, (why, await reply.text())
        if status == 400:
            assert (await reply.json())["error"], why
    # an unpaired surrogate and JSON nested without end are no statements either
    raw = json.dumps(statement(result={"response": "x"})).replace('"x"', '"\\ud800"')
    for data in (raw, "[" * 10000 + "]" * 10000):
        reply = await lrs.client.post("/xapi/statements", data=data, headers={
            **lrs.headers, "Content-Type": "application/json"})
        assert reply.status == 400 and (await reply.json())["error"]


async def test_the_empty_objects_the_specification_allows_are_accepted(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    empty_name = statement()
    empty_name["object"]["definition"] = {"name": {}, "description": {}}
    bodies = [
        statement(object={"id": "http://example.com/e", "definition": {}}),
        statement(result={}),
        statement(result={"score": {}}),
        statement(context={}),
        statement(context={"contextActivities": {}}),
        {**statement(), "verb": {"id": ADL + "experienced", "display": {}}},
        empty_name,
    ]
    for body in bodies:
        reply = await lrs.post(body)
        assert reply.status == 200, (body, await reply.text())
        stored = await (await lrs.get(statementId=body["id"])).json()
        for key in ("result", "context", "object", "verb"):
            assert stored.get(key) == body.get(key)


async def test_an_authority_is_an_agent_or_an_oauth_pair(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    pair = {"objectType": "Group", "member": [CONSUMER, USER]}
    refused = {
        "identified group": {**pair, "mbox": "mailto:apps@example.com"},
        "identified group without members": {"objectType": "Group",
                                              "mbox": "mailto:apps@example.com"},
        "one agent": {"objectType": "Group", "member": [CONSUMER]},
        "three agents": {**pair, "member": [CONSUMER, USER,
                                            {"mbox": "mailto:bob@example.com"}]},
        "no consumer by account": {**pair, "member": [USER, {"mbox": "mailto:b@ex.com"}]},
    }
    for why, authority in refused.items():
        reply = await lrs.post(statement(authority=authority))
        assert reply.status == 400, why
        assert "authority" in (await reply.json())["error"], why
    for authority in (pair, CONSUMER, USER):
        assert (await lrs.post(statement(authority=authority))).status == 200, authority


async def test_durations_are_iso_8601_as_xapi_profiles_it(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    for good in ("P4W", "P1Y2M3DT4H5M6.5S", "PT0.01S", "P1D", "PT1.5H", "P0.5W"):
        reply = await lrs.post(statement(result={"duration": good}))
        assert reply.status == 200, good
    for bad in ("P4W1D", "P1W2DT1H", "P1DT", "PT", "P", "PT1.5H30M", "P1.5DT1H", "PT-1S"):
        reply = await lrs.post(statement(result={"duration": bad}))
        assert reply.status == 400, bad
        assert "duration" in (await reply.json())["error"], bad


async def test_alternate_syntax_reads_real_headers_and_form_fields(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    s = statement()
    auth, version = lrs.headers["Authorization"], {"X-Experience-API-Version": "1.0.3"}
    # everything but the content's fields as real headers
    reply = await lrs.client.post("/xapi/statements?method=PUT", headers={
        "Authorization": auth, **version}, data={"statementId": s["id"],
                                                 "Content-Type": "application/json",
                                                 "content": json.dumps(s)})
    assert reply.status == 204, await reply.text()
    reply = await lrs.client.post("/xapi/statements?method=GET", headers={
        "Authorization": auth, **version}, data={"statementId": s["id"]})
    assert reply.status == 200 and (await reply.json())["id"] == s["id"]
    # mixed: the credentials as a form field, the version as a header, and the other way
    reply = await lrs.client.post("/xapi/statements?method=GET", headers=version,
                                  data={"Authorization": auth, "statementId": s["id"]})
    assert reply.status == 200, await reply.text()
    reply = await lrs.client.post("/xapi/statements?method=GET", headers={
        "Authorization": auth}, data={"X-Experience-API-Version": "2.0.0",
                                      "statementId": s["id"]})
    assert reply.status == 200 and reply.headers["X-Experience-API-Version"] == "2.0.0"
    # a form field wins over a header of the same name
    reply = await lrs.client.post("/xapi/statements?method=GET", headers={
        "Authorization": "Basic bm86bm8=", **version}, data={"Authorization": auth,
                                                              "statementId": s["id"]})
    assert reply.status == 200
    # with neither, still refused
    reply = await lrs.client.post("/xapi/statements?method=GET", headers=version,
                                  data={"statementId": s["id"]})
    assert reply.status == 401
    # documents take the same
    state = "/xapi/activities/state?method=PUT"
    reply = await lrs.client.post(state, headers={"Authorization": auth, **version}, data={
        "activityId": "http://example.com/scene/a", "stateId": "s",
        "agent": json.dumps(USER), "content": '{"a": 1}'})
    assert reply.status == 204, await reply.text()


def _signed_post(s: dict[str, Any], payload: dict[str, Any]) -> bytes:
    key, x5c = _certificate()
    token = _jws(payload, key, x5c)
    signed = copy.deepcopy(s)
    signed["attachments"] = [_meta(token, "application/octet-stream", SIGNATURE)]
    return _multipart([signed], [_part(token, "application/octet-stream")])


async def test_signed_statements_are_compared_by_the_comparison_rules(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    v2 = {**lrs.headers, "X-Experience-API-Version": "2.0.0"}
    v1 = lrs.headers
    s = statement(result={"duration": "PT12.3456S"}, timestamp="2026-05-01T09:30:00.000Z",
                  actor={"objectType": "Group", "member": [USER, CONSUMER]})
    same = {**copy.deepcopy(s), "result": {"duration": "PT12.34S"},
            "timestamp": "2026-05-01T17:30:00+08:00",
            "actor": {"objectType": "Group", "member": [CONSUMER, USER]}}
    same["verb"]["display"] = {"EN-us": "experienced", "zh-cn": "体验"}
    lrs.headers = v2
    assert (await _post(lrs, _signed_post(s, same))).status == 200
    # beyond 0.01 s the durations differ, and so do different instants
    for change in ({"result": {"duration": "PT12.35S"}},
                   {"timestamp": "2026-05-01T09:30:00.010Z"},
                   {"object": {"id": "http://example.com/other"}}):
        other = statement(result={"duration": "PT12.3456S"},
                          timestamp="2026-05-01T09:30:00.000Z")
        reply = await _post(lrs, _signed_post(other, {**copy.deepcopy(other), **change}))
        assert reply.status == 400, change
        assert "payload" in (await reply.json())["error"]
    # in xAPI 1.0.3 a duration is compared as a string
    lrs.headers = v1
    other = statement(result={"duration": "PT12.3456S"})
    payload = {**copy.deepcopy(other), "result": {"duration": "PT12.34S"}}
    assert (await _post(lrs, _signed_post(other, payload))).status == 400
    assert (await _post(lrs, _signed_post(other, copy.deepcopy(other)))).status == 200


async def test_a_repeat_is_the_same_statement_by_the_comparison_rules(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    s = statement(timestamp="2026-05-01T09:30:00Z", context={
        "registration": str(uuid.uuid4()),
        "team": {"objectType": "Group", "member": [USER, CONSUMER]}})
    assert (await lrs.post(s)).status == 200
    repeat = copy.deepcopy(s)
    repeat["timestamp"] = "2026-05-01T17:30:00.000+08:00"
    repeat["context"]["registration"] = s["context"]["registration"].upper()
    repeat["context"]["team"]["member"].reverse()
    repeat["actor"]["mbox"] = "mailto:ann@EXAMPLE.com"
    assert (await lrs.post(repeat)).status == 200
    changed = {**copy.deepcopy(s), "timestamp": "2026-05-01T09:30:01Z"}
    assert (await lrs.post(changed)).status == 409


async def test_the_activity_definition_merges_what_statements_bring(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    activity = "http://example.com/q/merge"
    first = statement(object={"id": activity, "definition": {
        "name": {"en-US": "Which city?"}, "type": "http://adlnet.gov/expapi/activities/cmi"
        ".interaction", **CHOICE}})
    second = statement(object={"id": activity, "definition": {
        "name": {"zh-CN": "哪座城市？"}, "description": {"zh-CN": "选择"},
        "interactionType": "choice", "correctResponsesPattern": ["b"],
        "choices": [{"id": "a", "description": {"zh-CN": "延安"}}],
        "extensions": {"http://example.com/level": 2}}})
    third = statement(activity="scene/z", context={"contextActivities": {"parent": [
        {"id": activity, "definition": {"name": {"en-US": "Which city was it?"}}}]}})
    for s in (first, second, third):
        assert (await lrs.post(s)).status == 200
    reply = await lrs.client.get("/xapi/activities?" + urlencode({"activityId": activity}),
                                 headers=lrs.headers)
    definition = (await reply.json())["definition"]
    assert definition["name"] == {"en-US": "Which city was it?", "zh-CN": "哪座城市？"}
    assert definition["description"] == {"zh-CN": "选择"}
    assert definition["type"] == "http://adlnet.gov/expapi/activities/cmi.interaction"
    assert definition["extensions"] == {"http://example.com/level": 2}
    # what a response means stays as first defined; the components' texts merge
    assert definition["correctResponsesPattern"] == ["a"]
    assert definition["choices"] == [{"id": "a", "description": {"en": "Yan'an",
                                                                 "zh-CN": "延安"}},
                                     {"id": "b", "description": {"en": "Ruijin"}}]


async def test_the_ids_format_reaches_into_sub_statements(lrs: Lrs) -> None:  # noqa: F811 (fixture)
    s = _rich()
    s["object"]["context"]["contextAgents"] = [{"objectType": "contextAgent",
                                                "agent": {**USER, "name": "Ann"}}]
    assert (await lrs.post(s)).status == 200
    got = await (await lrs.get(statementId=s["id"], format="ids")).json()
    sub = got["object"]
    assert sub["object"] == {"id": "http://example.com/q/1"}
    assert sub["verb"] == {"id": ADL + "answered"}
    assert sub["actor"] == {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}
    assert sub["context"]["contextActivities"] == {"parent": [{"id": "http://example.com/quiz"}]}
    assert sub["context"]["contextAgents"][0]["agent"] == USER
    assert got["context"]["team"] == {"objectType": "Group", "member": [USER]}
    assert got["context"]["instructor"] == {"mbox": "mailto:guide@example.com"}
    plain = statement()
    assert (await lrs.post(plain)).status == 200
    got = await (await lrs.get(statementId=plain["id"], format="ids")).json()
    assert got["object"] == {"id": "http://example.com/scene/a"}


@pytest.mark.parametrize("text", ["2026-05-01T09:30:00Z", "2026-05-01T09:30:00.123456789+08:00",
                                  "20260501T093000Z", "2026-05-01T24:00:00Z"])
def test_valid_timestamps_name_an_instant(text: str) -> None:
    from server.lrs.rules import instant

    assert instant(text) is not None


def test_the_mutations_start_from_a_valid_statement() -> None:
    from server.lrs.rules import check_statement

    check_statement(_rich())
