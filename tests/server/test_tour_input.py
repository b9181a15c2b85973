"""Hostile input to the tour endpoints gets a clear 4xx with a message, never a 500, and
changes nothing."""

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from server.failures import BadRequest
from server.tour_changes import MAX_OFFSET, MIN_OFFSET, TourChange, check_start
from tests.server.conftest import World
from tests.server.test_tour_changes import _tour

FUTURE = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)

BAD_BODIES: list[tuple[object, str]] = [
    ({}, "at least one"),
    ({"capacity": None}, "may not be null"),
    ({"title": None, "capacity": 3}, "may not be null"),
    ({"capacity": 0}, "greater than or equal"),
    ({"capacity": -1}, "greater than or equal"),
    ({"capacity": 5001}, "less than or equal"),
    ({"capacity": 1e308}, "valid integer"),
    ({"capacity": 2.5}, "valid integer"),
    ({"capacity": 3.0}, "valid integer"),
    ({"capacity": "3"}, "valid integer"),
    ({"capacity": True}, "valid integer"),
    ({"capacity": 10**40}, "less than or equal"),
    ({"duration_minutes": 9}, "greater than or equal"),
    ({"duration_minutes": 481}, "less than or equal"),
    ({"duration_minutes": -10**30}, "greater than or equal"),
    ({"title": ""}, "at least 1"),
    ({"title": "   "}, "blank"),
    ({"title": "x" * 201}, "at most 200"),
    ({"title": "a\u0000b"}, "NUL"),
    ({"title": 7}, "valid string"),
    ({"starts_at": "2030-01-01T10:00:00"}, "timezone"),
    ({"starts_at": "not a date"}, "datetime"),
    ({"starts_at": 1e308}, "starts_at"),
    ({"starts_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat()}, "future"),
    ({"starts_at": "9999-12-31T23:59:59+00:00"}, "five years"),
    ({"starts_at": "2031-01-01T10:00:00+23:59"}, "offset"),
    ({"starts_at": "2031-01-01T10:00:00-13:00"}, "offset"),
    ({"branches": []}, "at least 1"),
    ({"branches": [0]}, "greater than or equal"),
    ({"branches": [-5]}, "greater than or equal"),
    ({"branches": [2**31]}, "less than or equal"),
    ({"branches": ["1"]}, "valid integer"),
    ({"branches": [1.5]}, "valid integer"),
    ({"branches": [None]}, "valid integer"),
    ({"branches": list(range(1, 102))}, "at most 100"),
    ({"branches": 3}, "valid array"),
    ({"colour": "red"}, "Extra inputs"),
    ([], "an object"),
    (None, "an object"),
    ("a string", "an object"),
]
BAD_RAW = [b"{", b"not json", b'{"capacity": NaN}', b'{"capacity": Infinity}',
           b"\xff\xfe", b'{"capacity": 3, "capacity": }']


async def _same_as_before(world: World, tour: dict) -> None:
    now = await (await world.client.get(f"/api/tours/{tour['id']}",
                                        headers=world.auth("guide"))).json()
    assert {k: now[k] for k in ("starts_at", "title", "capacity", "duration_minutes",
                                "branches", "sequence")} == \
        {k: tour[k] for k in ("starts_at", "title", "capacity", "duration_minutes",
                              "branches", "sequence")}


async def test_bad_change_bodies_get_a_400_that_says_why(world: World) -> None:
    tour = await _tour(world)
    path = f"/api/tours/{tour['id']}"
    for payload, expected in BAD_BODIES:
        answer = await world.client.patch(path, data=json.dumps(payload),
                                          headers={**world.auth("guide"),
                                                   "Content-Type": "application/json"})
        text = await answer.text()
        assert answer.status == 400, (payload, text)
        body = json.loads(text)
        assert body["error"] and expected in text, (payload, text)
    for raw in BAD_RAW:
        answer = await world.client.patch(path, data=raw, headers=world.auth("guide"))
        assert answer.status == 400, (raw, await answer.text())
        assert (await answer.json())["error"]
    unknown = await world.client.patch(path, json={"branches": [987654]},
                                       headers=world.auth("admin"))
    assert unknown.status == 400 and "not a branch" in await unknown.text()
    huge = await world.client.patch(path, data=b'{"title": "' + b"x" * 20000 + b'"}',
                                    headers=world.auth("guide"))
    assert huge.status == 413 and "at most" in (await huge.json())["error"]
    await _same_as_before(world, tour)


async def test_seeded_random_bodies_never_make_a_server_error(world: World) -> None:
    tour = await _tour(world)
    path = f"/api/tours/{tour['id']}"
    rng = random.Random(20261203)
    values = [None, True, -1, 0, 1, 9, 10, 480, 481, 5000, 5001, 2**31, 2**63, -2**63, 1e308,
              -0.0, 3.5, "", "x", "0", "=cmd", "2030-01-01T10:00:00+08:00", "2030-13-45",
              [], [1], [0], [world.branch_a], {}, {"a": 1}, "\u202e", "𝔘" * 250]
    keys = ["title", "starts_at", "duration_minutes", "capacity", "branches", "extra"]
    for _ in range(80):
        payload = {k: rng.choice(values) for k in rng.sample(keys, rng.randint(0, 4))}
        answer = await world.client.patch(path, json=payload, headers=world.auth("admin"))
        assert answer.status < 500, (payload, await answer.text())
        if answer.status >= 400:
            assert (await answer.json())["error"], payload


@pytest.mark.parametrize("path", ["/api/tours/99999999999999999999",
                                  "/api/tours/2147483648",
                                  "/api/tours/0",
                                  "/api/tours/99999999999999999999/attendance",
                                  "/api/tours/99999999999999999999/registration"])
async def test_ids_no_column_can_hold_are_no_tour(world: World, path: str) -> None:
    for method in ("get", "patch", "delete", "post"):
        answer = await world.client.request(method, path, json={"capacity": 3},
                                            headers=world.auth("admin"))
        assert answer.status in (404, 405), (method, path, answer.status)
        if answer.status == 404:
            assert (await answer.json())["error"]


async def test_scheduling_refuses_starts_no_one_can_mean(world: World) -> None:
    from tests.server.test_tours import _plan, _published

    await _published(world)
    for start, expected in (("9999-12-31T23:59:59+00:00", "five years"),
                            ("2031-01-01T10:00:00+23:30", "offset"),
                            ("0001-01-01T00:00:00+00:00", "future")):
        answer = await world.client.post("/api/tours", json=_plan(world, starts_at=start),
                                         headers=world.auth("guide"))
        assert answer.status == 400 and expected in await answer.text(), start
    far = await world.client.post("/api/tours", json=_plan(world, branches=[2**40]),
                                  headers=world.auth("admin"))
    assert far.status == 400 and "branch" in await far.text()


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
    | st.text(max_size=300),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10)
_fields = st.sampled_from(["title", "starts_at", "duration_minutes", "capacity", "branches",
                           "other"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_fields, _json_values | st.datetimes(
    timezones=st.timezones()).map(lambda d: d.isoformat()), max_size=5))
def test_a_change_is_valid_and_in_range_or_refused_with_reasons(payload: dict) -> None:
    raw = json.dumps(payload)
    try:
        change = TourChange.model_validate_json(raw)
    except ValidationError as exc:
        assert exc.errors()
        return
    assert change.model_fields_set
    if change.capacity is not None:
        assert 1 <= change.capacity <= 5000
    if change.duration_minutes is not None:
        assert 10 <= change.duration_minutes <= 480
    if change.branches is not None:
        assert 1 <= len(change.branches) <= 100
        assert all(1 <= b <= 2**31 - 1 for b in change.branches)
    if change.title is not None:
        assert change.title.strip() and len(change.title) <= 200
    if change.starts_at is not None:
        try:
            minutes = check_start(change.starts_at)
        except BadRequest as refused:
            assert [f["field"] for f in refused.fields] == ["starts_at"]
        else:
            assert MIN_OFFSET <= minutes <= MAX_OFFSET
            assert change.starts_at > datetime.now(UTC)
