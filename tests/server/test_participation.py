"""Self-guided visits: the engine's outbox delivered to the server, each fact stored once."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from engine.delivery import deliver
from engine.errors import EngineError
from engine.facts import FactRecorder
from engine.outbox import Outbox
from server.keys import SESSIONS
from server.participation_store import facts_of
from tests.server.conftest import World


def _visit(folder: Path) -> Outbox:
    outbox = Outbox(folder)
    recorder = FactRecorder(outbox, uuid.uuid4(), "founding", "1.0.0", "nanhu-red-boat",
                            wall_clock=lambda: 1.75e9)
    recorder.emit("scene_entered")
    recorder.emit("hotspot_viewed", hotspot="red-boat", dwell_seconds=6.0)
    recorder.emit("quiz_answered", item="q1", response=1, correct=True)
    recorder.emit("scene_left", seconds=300.0)
    return outbox


async def test_outbox_delivery_is_idempotent(world: World, tmp_path: Path) -> None:
    outbox = _visit(tmp_path / "outbox")
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
