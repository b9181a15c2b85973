"""cmi5: a launch from this server, the engine's session fetching its token once and
reporting initialized, completed, passed and terminated to the LRS."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest

from engine.cmi5 import CATEGORY, MOVEON, SESSION_ID, Cmi5Session, Launch
from engine.errors import EngineError
from protocol.participation import SceneCompleted
from server.keys import SESSIONS
from server.lrs.clients import create_client
from tests.server.conftest import World


def _completed(score: float) -> SceneCompleted:
    return SceneCompleted(id=uuid.uuid4(), at=1.75e9, session=uuid.uuid4(), exhibit="founding",
                          exhibit_version="1.0.0", scene="nanhu-red-boat", hotspots_viewed=4,
                          hotspots_total=5, quiz_score=score, seconds=800)


async def _session(world: World, request: dict[str, object], score: float
                   ) -> tuple[dict[str, str], Cmi5Session, list[dict[str, Any]]]:
    """Launches, runs a session that completes its scene with ``score``, and returns the
    launch, the session and the statements stored for the launch's registration."""
    base = str(world.client.make_url("")).rstrip("/")
    reply = await world.client.post("/api/cmi5/launches", json=request,
                                    headers=world.auth("member"))
    assert reply.status == 201, await reply.text()
    launch = await reply.json()
    # the launch names this server by its configured address; the test reaches it here
    params = {k: (v.replace("http://localhost:8080", base) if k in ("endpoint", "fetch") else v)
              for k, v in launch.items() if k != "launch"}
    session = Cmi5Session(Launch.from_url("http://lms/launch?" + urlencode(params)),
                          pass_mark=0.6)
    await asyncio.to_thread(session.start)
    session.emit(_completed(score))
    assert await asyncio.to_thread(session.terminate) == []
    reader = await create_client(world.client.server.app[SESSIONS], "auditor", ("read",))
    headers = {"Authorization": "Basic " + base64.b64encode(":".join(reader).encode()).decode(),
               "X-Experience-API-Version": "1.0.3"}
    found = await world.client.get(
        f"/xapi/statements?registration={launch['registration']}&ascending=true",
        headers=headers)
    return {**params, "base": base}, session, (await found.json())["statements"]


async def _verbs(world: World, request: dict[str, object], score: float) -> list[str]:
    _, _, statements = await _session(world, request, score)
    return [s["verb"]["id"].rsplit("/", 1)[1] for s in statements]


async def test_a_launched_visit_reports_its_session(world: World) -> None:
    launch, session, statements = await _session(world, {"exhibit": "founding"}, 0.8)
    again = await world.client.post(launch["fetch"].replace(launch["base"], ""))
    assert (await again.json())["error-code"] == "1"  # a fetch URL works once
    assert [s["verb"]["id"].rsplit("/", 1)[1] for s in statements] == \
        ["launched", "initialized", "completed", "passed", "terminated"]
    # the session id and context come from the LMS's launch data
    assert {s["context"]["extensions"][SESSION_ID] for s in statements} == {session.session_id}
    assert statements[0]["authority"]["name"] == "RedHall"  # launched: the LMS's own record
    statements = statements[1:]
    assert all(s["context"]["contextActivities"]["grouping"] ==
               [{"objectType": "Activity", "id": launch["activityId"]}] for s in statements)
    assert statements[0]["actor"] == json.loads(launch["actor"])
    assert statements[0]["object"]["id"] == launch["activityId"]
    assert {"id": MOVEON} in statements[2]["context"]["contextActivities"]["category"]
    assert statements[3]["context"]["contextActivities"]["category"] == [{"id": CATEGORY}]
    assert statements[2]["result"]["score"]["scaled"] == 0.8
    # the token may write, but reads only what it wrote itself
    assert statements[0]["authority"]["name"].startswith("cmi5 launch")


async def test_launch_data_mastery_score_and_mode_are_honoured(world: World) -> None:
    # the LMS's mastery score overrides the scene's own quiz mark (0.6)
    assert await _verbs(world, {"exhibit": "founding", "mastery_score": 0.9}, 0.8) == \
        ["launched", "initialized", "completed", "failed", "terminated"]
    # a Browse session judges nothing
    assert await _verbs(world, {"exhibit": "founding", "launch_mode": "Browse"}, 0.8) == \
        ["launched", "initialized", "terminated"]
    bad = await world.client.post("/api/cmi5/launches", json={"exhibit": "founding",
                                                              "mastery_score": 2},
                                  headers=world.auth("member"))
    assert bad.status == 400


async def test_launch_rules(world: World) -> None:
    both = await world.client.post("/api/cmi5/launches", json={"exhibit": "x", "tour": 1},
                                   headers=world.auth("member"))
    assert both.status == 400
    other = await world.client.post("/api/cmi5/launches",
                                    json={"exhibit": "founding", "user": world.users["member_b"]},
                                    headers=world.auth("member"))
    assert other.status == 403
    for_member = await world.client.post(
        "/api/cmi5/launches", json={"tour": 7, "user": world.users["member"]},
        headers=world.auth("guide"))
    assert for_member.status == 201
    with pytest.raises(EngineError, match="lacks fetch, actor"):
        Launch.from_url("http://lms/launch?endpoint=http://x/xapi/&registration=r&activityId=a")
