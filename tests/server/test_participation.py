"""Self-guided visits: the engine's outbox delivered to the server, each fact stored once."""

from __future__ import annotations

import json
import math
import time
import uuid
from pathlib import Path

import pytest

from engine.delivery import deliver
from engine.errors import EngineError
from engine.facts import FactRecorder
from engine.outbox import Outbox
from protocol.participation import stored_id
from server.keys import SESSIONS
from server.participation_store import facts_of
from tests.server.conftest import World

NOW = time.time() - 3600  # an hour ago: within what the server takes


def _visit(folder: Path) -> Outbox:
    outbox = Outbox(folder)
    recorder = FactRecorder(outbox, uuid.uuid4(), "founding", "1.0.0", "nanhu-red-boat",
                            wall_clock=lambda: NOW)
    recorder.emit("scene_entered")
    recorder.emit("hotspot_viewed", hotspot="red-boat", dwell_seconds=6.0)
    recorder.emit("quiz_answered", item="q1", response=1, correct=True)
    recorder.emit("scene_left", seconds=300.0)
    return outbox


async def test_outbox_delivery_is_idempotent(world: World, tmp_path: Path) -> None:
    outbox = _visit(tmp_path / "outbox")
    sent = [str(f.id) for f in outbox.pending()]
    server = str(world.client.make_url("/"))
    token = world.tokens["member"]
    assert await deliver(outbox, server, token, batch=3, session=world.client.session) == 4
    assert outbox.pending() == []
    outbox.delivered_file.unlink()  # as if the engine crashed before noting the delivery
    assert await deliver(outbox, server, token, session=world.client.session) == 4
    stored = await facts_of(world.client.server.app[SESSIONS], user=world.users["member"])
    assert [f.kind for f in stored] == ["scene_entered", "hotspot_viewed", "quiz_answered",
                                        "scene_left"]
    assert stored[1].detail["dwell_seconds"] == 6.0 and stored[1].tour_id is None
    # stored under the member's own scope of the ids their client chose
    assert [f.detail["id"] for f in stored] == sent
    assert [f.id for f in stored] == [stored_id(world.users["member"], i) for i in sent]


async def test_a_bad_fact_rejects_the_whole_batch(world: World, tmp_path: Path) -> None:
    good = _visit(tmp_path / "outbox").pending()[0].model_dump(mode="json")
    bad = {**good, "id": str(uuid.uuid4()), "kind": "teleported"}
    reply = await world.client.post("/api/participation", json={"facts": [good, bad]},
                                    headers=world.auth("member"))
    assert reply.status == 400
    assert "facts.1" in await reply.text()
    assert await facts_of(world.client.server.app[SESSIONS], user=world.users["member"]) == []


async def test_an_unreachable_server_keeps_the_facts(tmp_path: Path) -> None:
    outbox = _visit(tmp_path / "outbox")
    with pytest.raises(EngineError, match="stay in the outbox"):
        await deliver(outbox, "http://127.0.0.1:9", "token")
    assert len(outbox.pending()) == 4


# ids that do not change with the clock: parallel workers must collect the same tests
@pytest.mark.parametrize("at", [1e300, -1e12, 253_402_300_800.0, "NaN", "Infinity",
                                NOW - 401 * 86400, NOW + 3 * 86400],
                         ids=["1e300", "-1e12", "year-10000", "NaN", "Infinity",
                              "401-days-ago", "3-days-ahead"])
async def test_a_fact_out_of_time_is_a_400_not_a_500(world: World, tmp_path: Path,
                                                     at: float | str) -> None:
    good = _visit(tmp_path / "outbox").pending()[0].model_dump(mode="json")
    bad = {**good, "id": str(uuid.uuid4()), "at": "AT"}
    raw = json.dumps({"facts": [good, bad]}).replace('"AT"', str(at))
    reply = await world.client.post("/api/participation", data=raw, headers={
        **world.auth("member"), "Content-Type": "application/json"})
    assert reply.status == 400, await reply.text()
    fields = [f["field"] for f in (await reply.json())["fields"]]
    assert len(fields) == 1 and fields[0].startswith("facts.1.") and fields[0].endswith(".at")
    assert await facts_of(world.client.server.app[SESSIONS], user=world.users["member"]) == []


async def test_a_member_cannot_take_ids_of_others_or_the_server(world: World,
                                                                tmp_path: Path) -> None:
    """Two members sending facts with the same id both have them stored, each once; a
    member's fact never takes the id of a record the server makes."""
    from server.live.state import RECORD_NAMESPACE

    fact = _visit(tmp_path / "outbox").pending()[0].model_dump(mode="json")
    server_made = str(uuid.uuid5(RECORD_NAMESPACE, "tour/1/1/tour_ended/1"))
    sessions = world.client.server.app[SESSIONS]
    for who in ("member", "member_b", "member"):  # the second post of `member` is a retry
        for fact_id in (fact["id"], server_made):
            reply = await world.client.post("/api/participation", json={
                "facts": [{**fact, "id": fact_id}]}, headers=world.auth(who))
            assert reply.status == 200, await reply.text()
    mine = await facts_of(sessions, user=world.users["member"])
    theirs = await facts_of(sessions, user=world.users["member_b"])
    assert len(mine) == 2 and len(theirs) == 2
    ids = {f.id for f in mine} | {f.id for f in theirs}
    assert len(ids) == 4 and server_made not in ids and fact["id"] not in ids
    assert not math.isnan(mine[0].at.timestamp())
