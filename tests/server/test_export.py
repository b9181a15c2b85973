"""A member's data export holds everything stored about them: a row in every table that
refers to a user, their xAPI statements, attachments and documents, their credit awards
and certificates; never a secret."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from datetime import UTC, datetime, timedelta

from protocol.participation import stored_id
from server.credits.certificate import check
from server.credits.ledger import Award, append_with_retry
from server.db.models import (
    AuditEntry,
    Cmi5Launch,
    ExhibitVersion,
    Notification,
    Registration,
    Reminder,
    Tour,
    XapiAttachment,
)
from server.keys import SESSIONS
from server.lrs.clients import create_client
from server.personal_data import SECRET_COLUMNS, user_tables
from tests.server.conftest import World

SITE = "http://localhost:8080"


async def test_the_export_holds_a_row_of_every_table_about_the_member(world: World) -> None:
    app, client = world.client.server.app, world.client
    member = world.users["member"]
    sessions = app[SESSIONS]
    made: set[str] = {"credentials"}  # the member's log-in token, made by the fixture
    assert (await client.post("/api/me/consent", headers=world.auth("member"), json={
        "purpose": "participation-records", "text_version": "7", "granted": True})).status \
        == 201
    made.add("consents")
    session = str(uuid.uuid4())
    fact = {"id": str(uuid.uuid4()), "kind": "scene_entered", "at": 1_780_000_000.0,
            "session": session, "exhibit": "founding", "exhibit_version": "9.9.9",
            "scene": "nanhu-red-boat"}
    assert (await client.post("/api/participation", json={"facts": [fact]},
                              headers=world.auth("member"))).status == 200
    made |= {"participation", "activity_months"}  # the fact counts in its month's row
    attachment = b"notes from the visit"
    sha2 = hashlib.sha256(attachment).hexdigest()
    async with sessions.begin() as db:
        version = ExhibitVersion(exhibit_id="uploaded-by-member", version="1.0.0",
                                 sha256="e" * 64, size=1, manifest={}, uploaded_by=member)
        db.add(version)
        await db.flush()
        tour = Tour(exhibit_version_id=version.id, guide_id=member, title="member-led tour",
                    starts_at=datetime(2026, 5, 1, tzinfo=UTC), duration_minutes=60,
                    capacity=10)
        db.add(tour)
        await db.flush()
        db.add_all([
            Registration(tour_id=tour.id, user_id=member),
            Reminder(tour_id=tour.id, user_id=member,
                     due_at=datetime(2026, 4, 30, tzinfo=UTC)),
            Notification(user_id=member, kind="tour.reminder", tour_id=tour.id,
                         detail={"title": "member-led tour"}),
            AuditEntry(actor_id=member, action="tour.create", target=f"tour:{tour.id}"),
            AuditEntry(actor_id=world.users["admin"], action="user.update",
                       target=f"user:{member}"),
            Cmi5Launch(fetch_hash="f" * 64, user_id=member, registration=session,
                       activity_id=f"{SITE}/xapi/activities/exhibits/founding"),
            XapiAttachment(sha2=sha2, content_type="text/plain", content=attachment),
        ])
        tour_id = tour.id
    made |= {"exhibit_versions", "tours", "registrations", "reminders", "notifications",
             "audit_log", "cmi5_launches"}
    await create_client(sessions, "member's headset", ("write", "read_mine"), user_id=member,
                        expires_at=datetime.now(UTC) + timedelta(days=1))
    made.add("xapi_clients")
    await append_with_retry(sessions, Award(
        award_key=f"tour/{member}/{tour_id}", user_id=member, year=2026, hours="0.5",
        exhibit_id="founding", subject={"kind": "tour", "tour": tour_id}, basis={},
        at="2026-05-01T10:00:00Z"))
    made.add("credit_ledger")
    # statements and documents through the LRS, as an outside tool would write them
    key, secret = await create_client(sessions, "auditor", ("write", "read"))
    basic = base64.b64encode(f"{key}:{secret}".encode()).decode()
    lrs = {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}
    me = {"objectType": "Agent", "account": {"homePage": SITE, "name": str(member)}}
    activity = f"{SITE}/xapi/activities/exhibits/founding"
    statement = {"id": str(uuid.uuid4()), "actor": me,
                 "verb": {"id": "http://adlnet.gov/expapi/verbs/experienced"},
                 "object": {"objectType": "Activity", "id": activity},
                 "attachments": [{"usageType": "http://example.org/notes",
                                  "display": {"en-US": "notes"}, "contentType": "text/plain",
                                  "length": len(attachment), "sha2": sha2,
                                  "fileUrl": "http://example.org/notes.txt"}]}
    reply = await client.post("/xapi/statements", json=statement, headers=lrs)
    assert reply.status == 200, await reply.text()
    agent = json.dumps(me)
    reply = await client.put(f"/xapi/agents/profile?agent={agent}&profileId=prefs",
                             json={"subtitles": "zh-CN"}, headers=lrs)
    assert reply.status == 204, await reply.text()
    reply = await client.put(f"/xapi/activities/state?agent={agent}&activityId={activity}"
                             "&stateId=bookmark", json={"scene": "nanhu-red-boat"},
                             headers=lrs)
    assert reply.status == 204, await reply.text()

    # every table that refers to a user has a row here: a new one fails this test
    assert made == set(user_tables()), "a table about users is not exercised here"
    reply = await client.get(f"/api/users/{member}/export", headers=world.auth("member"))
    assert reply.status == 200
    data = await reply.json()
    text = json.dumps(data, ensure_ascii=False)
    assert data["account"]["username"] == "member-a" and "password_hash" not in text
    for secret_column in SECRET_COLUMNS:
        assert f'"{secret_column}"' not in text, secret_column
    assert {(c["kind"], c["label"]) for c in data["credentials"]} == {("session", ""),
                                                                   ("bearer", "tests")}
    assert data["consents"][0]["text_version"] == "7"
    # stored under the member's own id space; the id their client chose is kept too
    assert [f["id"] for f in data["participation_facts"]] == [stored_id(member, fact["id"])]
    assert data["participation_facts"][0]["detail"]["scene"] == "nanhu-red-boat"
    assert data["tour_registrations"][0]["tour_id"] == tour_id
    assert data["reminders"][0]["tour_id"] == tour_id
    assert data["notifications"][0]["detail"] == {"title": "member-led tour"}
    assert {a["action"] for a in data["audit_entries"]} == {"tour.create", "user.update"}
    assert data["cmi5_launches"][0]["registration"] == session
    assert data["tours_led"][0]["title"] == "member-led tour"
    assert data["exhibit_uploads"][0]["exhibit_id"] == "uploaded-by-member"
    assert data["lrs_clients"][0]["name"] == "member's headset"
    assert [a["award_key"] for a in data["credit_awards"]] == [f"tour/{member}/{tour_id}"]
    [certificate] = data["certificates"]
    assert check(certificate) == [] and certificate["certificate"]["hours"] == "0.5"
    ids = {s["id"] for s in data["xapi_statements"]}
    # the fact's own statement too
    assert statement["id"] in ids and stored_id(member, fact["id"]) in ids
    assert data["xapi_attachments"] == [{"sha2": sha2, "content_type": "text/plain",
                                         "content": {"base64": base64.b64encode(
                                             attachment).decode()}}]
    documents = {d["document_id"]: d for d in data["xapi_documents"]}
    assert set(documents) == {"prefs", "bookmark"}
    assert json.loads(base64.b64decode(documents["prefs"]["content"]["base64"])) == \
        {"subtitles": "zh-CN"}
    # another member's export holds none of it
    other = await (await client.get(f"/api/users/{world.users['member_b']}/export",
                                     headers=world.auth("member_b"))).json()
    assert not other["participation_facts"] and not other["xapi_statements"]
    assert not other["credit_awards"] and not other["xapi_documents"]
    assert (await client.get(f"/api/users/{member}/export",
                             headers=world.auth("member_b"))).status == 403


