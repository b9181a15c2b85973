"""Learning credits end to end: facts -> xAPI statements -> rules -> the hash-chained
ledger -> progress, certificates and the tamper checks, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from protocol.credit import CreditRule
from redhall.cli import main as redhall
from server.credits.certificate import check
from server.credits.rules import Evidence, presence_seconds, tour_rule, unmet
from server.db.models import LedgerEntry
from server.keys import CREDITS, LEARNING, SESSIONS, SETTINGS, STORE
from server.live.loading import outlines
from server.participation_store import row, store
from tests.server.conftest import World
from tests.server.live_support import publish, schedule
from tools.build import BuildResult

YEAR = 2026
T0 = datetime(YEAR, 7, 1, 9, 0, tzinfo=UTC).timestamp()


def test_rules() -> None:
    rule = CreditRule(hours=0.5, min_minutes=12, hotspot_share=0.8, quiz_pass=0.6,
                      tour_presence_share=0.8)
    assert unmet(rule, Evidence(12, 4, 5, 3, 5)) == []
    missing = unmet(rule, Evidence(11.5, 3, 5, 2, 5, tour_share=0.5))
    assert len(missing) == 4 and "11.5 of 12 minutes" in missing[0]
    assert presence_seconds([(0, 10), (5, 20), (30, 40)], 0, 35) == 25
    assert presence_seconds([(-5, 3)], 0, 10) == 3
    both = tour_rule([rule, rule.model_copy(update={"quiz_pass": 0.9})])
    assert both.hours == 1.0 and both.min_minutes == 24 and both.quiz_pass == 0.9


def _fact(kind: str, scene: str, at: float, session: str, **fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "kind": kind, "at": at, "session": session,
            "exhibit": "founding", "exhibit_version": "1.0.0", "scene": scene, **fields}


def _visit(scene: str, hotspots: list[str], quiz: dict[str, tuple[int, int]],
           minutes: float, right: int, start: float = T0) -> list[dict[str, Any]]:
    session = str(uuid.uuid4())
    facts = [_fact("scene_entered", scene, start, session)]
    facts += [_fact("hotspot_viewed", scene, start + 10 + i, session, hotspot=h,
                    dwell_seconds=5.0) for i, h in enumerate(hotspots)]
    for i, (item, (_, answer)) in enumerate(sorted(quiz.items())):
        facts.append(_fact("quiz_answered", scene, start + 100 + i, session, item=item,
                           response=answer if i < right else (answer + 1) % 2,
                           correct=i < right))
    facts.append(_fact("scene_left", scene, start + minutes * 60, session,
                       seconds=minutes * 60))
    return facts


async def _deliver(world: World, facts: list[dict[str, Any]]) -> None:
    reply = await world.client.post("/api/participation", json={"facts": facts},
                                    headers=world.auth("member"))
    assert reply.status == 200, await reply.text()
    await world.client.server.app[CREDITS].idle()


async def _lrs_headers(world: World) -> dict[str, str]:
    reply = await world.client.post("/api/lrs-clients", json={"name": "auditor",
                                                              "scopes": ["read"]},
                                    headers=world.auth("admin"))
    data = await reply.json()
    basic = base64.b64encode(f"{data['key']}:{data['secret']}".encode()).decode()
    return {"Authorization": f"Basic {basic}", "X-Experience-API-Version": "1.0.3"}


@pytest.fixture
async def founding(world: World, samples: dict[str, BuildResult]) -> dict[str, Any]:
    app = world.client.server.app
    version = await publish(world.client, samples["founding"], world.users["editor"])
    from server.db.models import ExhibitVersion

    async with app[SESSIONS]() as db:
        sha = (await db.get(ExhibitVersion, version)).sha256
    scenes, _ = outlines(app[STORE], sha)
    return {"version": version, "scenes": scenes}


async def test_a_visit_earns_its_scene_credit_once(world: World, founding: dict[str, Any]
                                                   ) -> None:
    site = founding["scenes"]["first-congress-site"]
    hotspots, quiz = sorted(site.hotspots), site.quiz
    facts = _visit("first-congress-site", hotspots, quiz, minutes=13, right=len(quiz))
    await _deliver(world, facts)
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("member"))).json()
    assert progress["hours"] == 0.5 and progress["target"] == 32.0
    assert progress["remaining"] == 31.5
    award = progress["awards"][0]
    assert award["subject"] == {"kind": "scene", "exhibit": "founding", "version": "1.0.0",
                                "scene": "first-congress-site"}
    assert award["basis"]["hotspots_seen"] == len(hotspots)
    await _deliver(world, facts)  # the same facts again: stored once, awarded once
    again = await (await world.client.get(f"/api/credits?year={YEAR}",
                                          headers=world.auth("member"))).json()
    assert len(again["awards"]) == 1
    # each fact became one statement, plus one "passed" for the award
    headers = await _lrs_headers(world)
    member = json.dumps({"account": {"homePage": "http://localhost:8080",
                                     "name": str(world.users["member"])}})
    reply = await world.client.get(f"/xapi/statements?agent={member}&limit=0",
                                   headers=headers)
    statements = (await reply.json())["statements"]
    assert len(statements) == len(facts) + 1
    verbs = [s["verb"]["id"].rsplit("/", 1)[1] for s in reversed(statements)]
    assert verbs[0] == "initialized" and verbs[-2:] == ["experienced", "passed"]
    assert verbs.count("interacted") == len(hotspots)
    viewed = next(s for s in statements if s["verb"]["id"].endswith("interacted"))
    assert viewed["result"]["duration"] == "PT5S"
    assert viewed["object"]["id"].startswith(
        "http://localhost:8080/xapi/activities/exhibits/founding/scenes/first-congress-site/")
    assert viewed["context"]["registration"] == facts[0]["session"]


async def test_short_or_failed_visits_earn_nothing(world: World, founding: dict[str, Any]
                                                   ) -> None:
    site = founding["scenes"]["first-congress-site"]
    await _deliver(world, _visit("first-congress-site", sorted(site.hotspots), site.quiz,
                                 minutes=5, right=len(site.quiz)))
    await _deliver(world, _visit("first-congress-site", sorted(site.hotspots)[:1], site.quiz,
                                 minutes=5, right=0, start=T0 + 3600))
    made = await world.client.post("/api/credits/evaluate", json={}, headers=world.auth("admin"))
    assert (await made.json())["awarded"] == []  # 10 minutes in all, one hotspot, quiz failed
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("member"))).json()
    assert progress["hours"] == 0


async def test_every_scene_earns_the_exhibit_award(world: World, founding: dict[str, Any]
                                                   ) -> None:
    for i, (name, scene) in enumerate(sorted(founding["scenes"].items())):
        await _deliver(world, _visit(name, sorted(scene.hotspots), scene.quiz, minutes=13,
                                     right=len(scene.quiz), start=T0 + i * 3600))
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("member"))).json()
    kinds = [a["subject"]["kind"] for a in progress["awards"]]
    assert kinds == ["scene", "scene", "exhibit"] and progress["hours"] == 1.5


async def test_a_guided_tour_credits_presence(world: World, founding: dict[str, Any]) -> None:
    app = world.client.server.app
    tour = await schedule(world.client, founding["version"], world.users["guide"],
                          [world.branch_a])
    scene = "first-congress-site"
    item = sorted(founding["scenes"][scene].quiz)[0]
    guide, present, late = world.users["guide"], world.users["member"], world.users["member_b"]
    minute = 60.0

    def fact(kind: str, user: int, at: float, **detail: Any) -> dict[str, Any]:
        return row(str(uuid.uuid4()), user, kind, T0 + at * minute,
                   {"tour": tour, "seat": 0, **detail}, tour=tour)

    rows = [fact("tour_started", guide, 0), fact("joined", present, 0),
            fact("joined", late, 10), fact("quiz_started", guide, 5, scene=scene, item=item),
            fact("quiz_answered", present, 6, scene=scene, item=item, response=0, correct=True),
            fact("left", present, 14), fact("joined", present, 15),
            fact("tour_ended", guide, 20)]
    fresh = await store(app[SESSIONS], rows, app[LEARNING])
    app[CREDITS].consider_soon(fresh)
    await app[CREDITS].idle()
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("member"))).json()
    assert progress["hours"] == 0.5
    basis = progress["awards"][0]["basis"]
    assert basis["minutes"] == 19 and basis["tour_share"] == 0.95 and basis["quiz_right"] == 1
    late_progress = await (await world.client.get(
        f"/api/credits?year={YEAR}&user={late}", headers=world.auth("admin"))).json()
    assert late_progress["hours"] == 0  # present for half the tour, did not answer
    assert (await world.client.get(f"/api/credits?user={present}",
                                   headers=world.auth("member_b"))).status == 403


async def test_a_tour_through_every_scene_earns_the_exhibit_award_once(
        world: World, founding: dict[str, Any]) -> None:
    app = world.client.server.app
    tour = await schedule(world.client, founding["version"], world.users["guide"],
                          [world.branch_a])
    guide, member = world.users["guide"], world.users["member"]
    item = sorted(founding["scenes"]["nanhu-red-boat"].quiz)[0]

    def fact(kind: str, user: int, minute: float, **detail: Any) -> dict[str, Any]:
        return row(str(uuid.uuid4()), user, kind, T0 + minute * 60,
                   {"tour": tour, "seat": 0, **detail}, tour=tour)

    rows = [fact("tour_started", guide, 0), fact("joined", member, 0),
            fact("stop_reached", guide, 15, scene="nanhu-red-boat", stop=0),
            fact("quiz_started", guide, 20, scene="nanhu-red-boat", item=item),
            fact("quiz_answered", member, 21, scene="nanhu-red-boat", item=item, response=0,
                 correct=True),
            fact("tour_ended", guide, 30)]
    app[CREDITS].consider_soon(await store(app[SESSIONS], rows, app[LEARNING]))
    await app[CREDITS].idle()
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("member"))).json()
    subjects = [a["subject"] for a in progress["awards"]]
    assert [s["kind"] for s in subjects] == ["tour", "exhibit"]
    assert subjects[1]["tour"] == tour and progress["hours"] == 1.5  # 2 scenes + the extra
    # visiting every scene the same year earns the scenes, not the extra a second time
    await _award_three(world, founding)
    progress = await (await world.client.get(f"/api/credits?year={YEAR}",
                                             headers=world.auth("member"))).json()
    assert sorted(a["subject"]["kind"] for a in progress["awards"]) == \
        ["exhibit", "scene", "scene", "tour"]


async def _award_three(world: World, founding: dict[str, Any]) -> None:
    for i, (name, scene) in enumerate(sorted(founding["scenes"].items())):
        await _deliver(world, _visit(name, sorted(scene.hotspots), scene.quiz, minutes=13,
                                     right=len(scene.quiz), start=T0 + i * 3600))


def _config(world: World, tmp_path: Path) -> Path:
    settings = world.client.server.app[SETTINGS]
    path = tmp_path / "settings.toml"
    path.write_text(f'database_url = "{settings.database_url}"\n'
                    f'data_dir = "{settings.data_dir}"\n', encoding="utf-8")
    return path


async def _verify(world: World) -> dict[str, Any]:
    reply = await world.client.get("/api/credits/ledger/verify", headers=world.auth("admin"))
    return await reply.json()


async def test_the_ledger_detects_edits_removals_and_reordering(
        world: World, founding: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    await _award_three(world, founding)
    assert await _verify(world) == {"ok": True, "entries": 3, "problems": [],
                                    "head": (await _verify(world))["head"]}
    config = _config(world, tmp_path)
    assert await asyncio.to_thread(redhall, ["credits", "verify", "--config", str(config)]) == 0
    sessions = world.client.server.app[SESSIONS]
    async with sessions.begin() as db:  # someone raises an award directly in the database
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 2).values(hours="8"))
    report = await _verify(world)
    assert not report["ok"] and "entry 2 was edited" in report["problems"][0]
    assert await asyncio.to_thread(redhall, ["credits", "verify", "--config", str(config)]) == 1
    assert "tampered" in capsys.readouterr().err
    async with sessions.begin() as db:  # put it back, then swap two entries
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 2).values(hours="0.5"))
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 1).values(seq=100))
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 2).values(seq=1))
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 100).values(seq=2))
    assert any("does not follow" in p for p in (await _verify(world))["problems"])
    async with sessions.begin() as db:  # restore the order, then drop the newest entry
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 1).values(seq=100))
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 2).values(seq=1))
        await db.execute(update(LedgerEntry).where(LedgerEntry.seq == 100).values(seq=2))
    assert (await _verify(world))["ok"]
    from sqlalchemy import delete

    async with sessions.begin() as db:
        await db.execute(delete(LedgerEntry).where(LedgerEntry.seq == 3))
    assert any("newest entries were removed" in p for p in (await _verify(world))["problems"])


async def test_certificates_verify_offline(world: World, founding: dict[str, Any],
                                          tmp_path: Path) -> None:
    await _award_three(world, founding)
    reply = await world.client.get(f"/api/credits/certificate?year={YEAR}",
                                   headers=world.auth("member"))
    document = await reply.json()
    assert check(document) == [] and document["certificate"]["hours"] == "1.5"
    key = tmp_path / "server.pub"
    key.write_text(await (await world.client.get("/api/credits/signing-key")).text())
    path = tmp_path / "cert.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    assert redhall(["certificate", "verify", str(path), "--key", str(key)]) == 0
    forged = json.loads(path.read_text())
    forged["certificate"]["hours"] = "32"
    forged["certificate"]["met"] = True
    path.write_text(json.dumps(forged), encoding="utf-8")
    assert redhall(["certificate", "verify", str(path)]) == 1
    other = tmp_path / "other.pub"
    from server.credits.signing import Signer

    other.write_text(Signer.load_or_create(tmp_path / "elsewhere").public_text)
    path.write_text(json.dumps(document), encoding="utf-8")
    assert redhall(["certificate", "verify", str(path), "--key", str(other)]) == 1


async def test_reports_in_json_csv_and_xlsx(world: World, founding: dict[str, Any]) -> None:
    import io

    from openpyxl import load_workbook

    await _award_three(world, founding)
    admin, guide = world.auth("admin"), world.auth("guide")
    rows = await (await world.client.get(f"/api/reports/members?year={YEAR}",
                                         headers=admin)).json()
    by_name = {r["username"]: r for r in rows}
    assert by_name["member-a"]["hours"] == 1.5 and by_name["member-a"]["active"]
    assert by_name["member-b"]["hours"] == 0 and not by_name["member-b"]["active"]
    assert all(isinstance(r["hours"], float) for r in rows), "hours are always decimals"
    assert by_name["guide-a"]["target"] == 56.0
    # a guide sees only their own branch
    mine = await (await world.client.get(f"/api/reports/members?year={YEAR}",
                                         headers=guide)).json()
    assert {r["username"] for r in mine} == {"member-a", "guide-a"}
    branches = await (await world.client.get(f"/api/reports/branches?year={YEAR}",
                                             headers=admin)).json()
    first = next(b for b in branches if b["branch"] == "第一党支部")
    second = next(b for b in branches if b["branch"] == "第二党支部")
    assert first["active_members"] == 1 and first["participation_rate"] == 0.5
    assert first["due_by_now"] > 0 and first["warnings"][0] == "behind_pace"  # 1.5 of 32
    assert first["warning"].startswith("进度落后：人均")
    assert second["warnings"] == ["behind_pace", "low_participation"]
    assert "参加学习" in second["warning"]
    english = await (await world.client.get(f"/api/reports/branches?year={YEAR}&lang=en",
                                             headers=admin)).json()
    assert "took part" in next(b for b in english if b["branch"] == "第二党支部")["warning"]
    accepted = await world.client.get(f"/api/reports/branches?year={YEAR}", headers={
        **admin, "Accept-Language": "en-GB,en;q=0.8,zh;q=0.5"})
    assert accepted.headers["Content-Language"] == "en"
    assert "behind pace" in (await accepted.json())[0]["warning"]
    exhibits = await (await world.client.get(f"/api/reports/exhibits?year={YEAR}",
                                             headers=admin)).json()
    assert exhibits == [{"exhibit": "founding", "visitors": 1, "tours": 0,
                         "replay_viewers": 0, "awards": 3, "hours": 1.5}]
    reply = await world.client.get(f"/api/reports/members?year={YEAR}&format=csv",
                                   headers=admin)
    text = (await reply.read()).decode("utf-8-sig")
    assert reply.content_type == "text/csv"
    assert text.splitlines()[0] == ("用户编号,用户名,姓名,角色,所在支部,已获学时,其中回看学时,"
                                    "年度目标学时,完成比例,截至目前应获学时,进度达标,本期参学")
    assert "第一党支部" in text and "True" not in text and "False" not in text
    member_line = next(line for line in text.splitlines() if ",member-a," in line)
    assert member_line.endswith(",否,是") and ",党员," in member_line
    reply = await world.client.get(f"/api/reports/members?year={YEAR}&format=csv&lang=en",
                                   headers=admin)
    text = (await reply.read()).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("User,Username,Name,Role")
    assert next(line for line in text.splitlines() if ",member-a," in line).endswith(",No,Yes")
    reply = await world.client.get(f"/api/reports/branches?year={YEAR}&format=xlsx",
                                   headers=admin)
    book = load_workbook(io.BytesIO(await reply.read()))
    sheet = book.active
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["支部", "人数", "参学人数"] and sheet.title == "支部学时"
    assert sheet.max_row == 1 + len(branches)
    assert any(str(cell.value).startswith("进度落后") for cell in sheet["J"])
    reply = await world.client.get(f"/api/reports/members?year={YEAR}&format=xlsx",
                                   headers={**admin, "Accept-Language": "en"})
    sheet = load_workbook(io.BytesIO(await reply.read())).active
    values = {cell.value for row in sheet.iter_rows() for cell in row}
    assert {"On pace", "Yes", "No"} <= values
    assert not any(isinstance(value, bool) for value in values)
    for bad in ("year=20x6", "from=2026-01-01", "from=2026-05-01&to=2026-01-01", "format=pdf"):
        assert (await world.client.get(f"/api/reports/members?{bad}", headers=admin)).status \
            == 400, bad
    period = await (await world.client.get(
        "/api/reports/exhibits?from=2026-07-01&to=2026-07-01", headers=admin)).json()
    assert period[0]["visitors"] == 1  # the visits were on 1 July
