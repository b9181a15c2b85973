"""A whole 主题党日 (themed party day), end to end, through real sockets, on SQLite and
PostgreSQL: an editor uploads a two-scene exhibit, a guide schedules a tour of it for the
branch, members register, the guide leads it live through every stop of both scenes
(one member in the engine's offscreen view, which really loads the second scene), members
report facts and answer quiz items, one drops and resumes, one leaves early, the guide
ends it; then the credits, attendance, explanations, reports, ledger and certificate."""

from __future__ import annotations

import asyncio
import io
import json
import textwrap
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.loading import load_exhibit
from engine.tour_client import TourClient
from engine.tour_link import TourLink
from engine.tour_scenes import TourSession
from protocol import tour as wire
from protocol.tour_poses import Pose, Transform
from redhall.cli import main as redhall
from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.keys import CREDITS, SESSIONS
from server.settings import Settings
from tests.conftest import QUICK, ROOT
from tests.engine.conftest import engine_cache  # noqa: F401 (fixture)
from tests.engine.tour_support import save_shot
from tests.server.conftest import KEY, PASSWORD
from tests.server.live_support import live_url
from tools.build import build_exhibit
from tools.cache import BuildCache

# Two short scenes, each with two stops and one quiz item. The rules ask for seconds of
# presence instead of the samples' half hours, so the whole day runs in real time.
SCENE = """\
id: {id}
title: {{zh-CN: {zh}, en: {en}}}
summary: {{zh-CN: 主题党日测试场景。, en: A party-day test scene.}}
date: 1921-07-23
place: {{zh-CN: 上海, en: Shanghai}}
sources: [{{title: 测试资料}}]
spawn: {{pos: [0, -6, 1.6], look_at: [0, 0, 1]}}
environment: {{sky: {sky}}}
props:
  - {{id: floor, primitive: {{plane: {{size: [12, 12]}}}}, material: {{color: "{floor}"}}}}
  - {{id: table, primitive: {{box: {{size: [2, 1, 0.8]}}}}, position: [0, 0, 0.4], material: {{color: "#8a3324"}}}}
hotspots:
  - {{id: {hotspot}, at: [0, 0, 1], title: {{zh-CN: {zh}展品, en: Exhibit}}, text: {{zh-CN: 这是{zh}。, en: This is it.}}, sources: [0]}}
route:
  - {{id: {first}, camera: {{pos: [0, -6, 1.6], look_at: [0, 0, 1]}}, say: {{zh-CN: 请看这里, en: Look here}}, hotspots: [{hotspot}]}}
  - {{id: {second}, camera: {{pos: [3, -4, 1.6], look_at: [0, 0, 1]}}, say: {{zh-CN: 再看这里, en: And here}}, hotspots: [{hotspot}]}}
quiz:
  - {{id: {item}, hotspot: {hotspot}, prompt: {{zh-CN: 这是哪一年, en: Which year}}, choices: [{{zh-CN: 一九二一年, en: "1921"}}, {{zh-CN: 一九四九年, en: "1949"}}], answer: 0, explain: {{zh-CN: 一九二一年, en: "1921"}}}}
credit: {{hours: 0.5, min_minutes: 0.02, hotspot_share: 0.5, quiz_pass: 0.6, tour_presence_share: 0.8}}
"""  # noqa: E501  (one document item a line)

EXHIBIT = """\
id: party-day
version: 1.0.0
title: {zh-CN: 主题党日, en: Party day}
summary: {zh-CN: 两个场景。, en: Two scenes.}
publisher: RedHall tests
scenes: [hall, boat]
credit: {hours: 0.5, min_minutes: 0.04, quiz_pass: 0.6}
"""

HALL = dict(id="hall", zh="会址", en="Meeting hall", sky="dusk", floor="#806040",
            hotspot="long-table", first="entrance", second="table", item="year")
BOAT = dict(id="boat", zh="红船", en="Red boat", sky="day", floor="#305070",
            hotspot="boat-bow", first="bow", second="cabin", item="boat-year")
STOPS = [("hall", "entrance"), ("hall", "table"), ("boat", "bow"), ("boat", "cabin")]
QUIZ = {"hall": "year", "boat": "boat-year"}  # one item a scene; choice 0 is right


@pytest.fixture(scope="module")
def party_package(tmp_path_factory: pytest.TempPathFactory, key: Ed25519PrivateKey) -> Path:
    folder = tmp_path_factory.mktemp("party-content")
    for sub in ("scenes", "exhibits", "assets/fonts"):
        (folder / sub).mkdir(parents=True)
    (folder / "assets/fonts/wqy-microhei.ttc").write_bytes(
        (ROOT / "assets/fonts/wqy-microhei.ttc").read_bytes())
    for scene in (HALL, BOAT):
        (folder / f"scenes/{scene['id']}.yaml").write_text(SCENE.format(**scene), "utf-8")
    (folder / "exhibits/party-day.yaml").write_text(textwrap.dedent(EXHIBIT), "utf-8")
    built = build_exhibit(folder / "exhibits/party-day.yaml", folder / "dist", key, QUICK,
                          BuildCache(None))
    return built.path


@dataclass
class Day:
    client: TestClient
    branch: int
    other_branch: int
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(self, method: str, path: str, who: str, status: int = 200,
                   **kwargs: Any) -> Any:
        reply = await self.client.request(method, path, headers=self.auth(who), **kwargs)
        text = await reply.text()
        assert reply.status == status, f"{method} {path}: {reply.status} {text}"
        return json.loads(text) if reply.content_type == "application/json" else text


MEMBERS = {  # who: (display name, what they do on the day)
    "wang": "王红",    # takes part from the engine's offscreen view; passes
    "li": "李明",      # drops mid-tour and resumes with the welcome's token; passes
    "zhao": "赵强",    # answers the second scene's item wrong; fails the quiz mark
    "chen": "陈静",    # leaves after the first stop; present too short
    "sun": "孙丽",     # registers, never comes
}


@pytest.fixture
async def day(aiohttp_client, database_url: str, tmp_path: Path,  # type: ignore[no-untyped-def]
              key_files: tuple[Path, Path]) -> AsyncIterator[Day]:
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY, trusted_keys=[key_files[1]],
                        tour_hold_seconds=30,
                        guide_credit={"hours": 2, "min_minutes": 0.05, "min_participants": 1})
    client = await aiohttp_client(create_app(settings))
    sessions = client.server.app[SESSIONS]
    committee = await ensure_org(sessions, "机关党委", "committee")
    branch = await ensure_org(sessions, "第一党支部", "branch", committee)
    other = await ensure_org(sessions, "第二党支部", "branch", committee)
    await ensure_user(sessions, "admin", PASSWORD, "admin")
    await ensure_user(sessions, "editor", PASSWORD, "editor")
    day = Day(client, branch, other)
    for who in ("admin", "editor"):
        day.tokens[who] = await _token(client, who)
    # the organizer makes the guide and the members, as the admin pages would
    for who, name, role, org in [("guide", "周书记", "guide", branch),
                                 *((w, n, "member", branch) for w, n in MEMBERS.items()),
                                 ("outsider", "吴刚", "member", other)]:
        made = await day.call("POST", "/api/users", "admin", 201, json={
            "username": f"{who}-party", "display_name": name, "password": PASSWORD,
            "role": role, "org_id": org})
        day.ids[who] = made["id"]
        day.tokens[who] = await _token(client, f"{who}-party")
    client.session.cookie_jar.clear()
    yield day


async def _token(client: TestClient, username: str) -> str:
    login = await client.post("/api/auth/login", json={"username": username,
                                                       "password": PASSWORD})
    assert login.status == 200, await login.text()
    reply = await client.post("/api/auth/tokens", json={"label": "party day"},
                              cookies=login.cookies)
    return str((await reply.json())["token"])


def _fact(kind: str, scene: str, session: str, **detail: Any) -> wire.Fact:
    import time
    import uuid

    return wire.Fact.model_validate({"fact": {
        "id": str(uuid.uuid4()), "at": time.time(), "session": session, "exhibit": "party-day",
        "exhibit_version": "1.0.0", "scene": scene, "kind": kind, **detail}})


class Member:
    """A member's headless client: follows the guide, reports facts as the engine does,
    answers the items the guide puts."""

    def __init__(self, day: Day, tour: int, who: str) -> None:
        self.who = who
        self.client = TourClient(live_url(day.client, tour), day.tokens[who],
                                 session=day.client.session)
        self.session = "9f1c3a52-0000-4000-8000-00000000000" + str(len(who) % 10)

    async def join(self, resume: str | None = None) -> wire.Welcome:
        return await self.client.connect(resume)

    async def at_stop(self, scene: str, stop: str) -> None:
        await self.client.expect("stop", scene=scene, stop=stop)
        await self.client.send(_fact("stop_reached", scene, self.session, stop=stop))
        hotspot = HALL["hotspot"] if scene == "hall" else BOAT["hotspot"]
        await self.client.send(_fact("hotspot_viewed", scene, self.session, hotspot=hotspot,
                                     dwell_seconds=2.5))

    async def answer(self, scene: str, choice: int) -> None:
        await self.client.expect("quiz", timeout=5.0)
        await self.client.send(wire.Answer(item=QUIZ[scene], choice=choice))
        await self.client.send(_fact("quiz_answered", scene, self.session, item=QUIZ[scene],
                                     response=choice, correct=choice == 0))


async def _engine_member(package: Path, key: Ed25519PrivateKey, cache: Path, url: str,
                         token: str) -> TourSession:
    """王红's engine: an offscreen view of the first scene, joined to the tour."""
    exhibit = load_exhibit(package, [key.public_key()], cache)
    app = ExhibitApp("offscreen", (640, 360), ManualClock())
    link = TourLink(url, token)
    welcome = await asyncio.to_thread(link.connect)
    return TourSession.open(app, exhibit, link, welcome, "zh-CN")


async def _step(engine: TourSession, check: Callable[[], bool], seconds: float = 10.0) -> None:
    """Runs the engine's frames until ``check`` holds."""
    for _ in range(int(seconds / 0.05)):
        engine.app.step(0.05)
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the engine did not get there in time")


@pytest.mark.slow
async def test_a_whole_party_day(day: Day, party_package: Path, key: Ed25519PrivateKey,
                                 engine_cache: Path, tmp_path: Path) -> None:  # noqa: F811 (fixture)
    c = day.client
    # -- the editor uploads and publishes the exhibit ---------------------------------------
    await day.call("POST", "/api/exhibits", "editor", 201,
                   data=io.BytesIO(party_package.read_bytes()))
    await day.call("POST", "/api/exhibits/party-day/1.0.0/publish", "editor")
    catalog = await day.call("GET", "/api/exhibits", "wang")
    assert [s["id"] for s in catalog[0]["scenes"]] == ["hall", "boat"]

    # -- the guide schedules the party day, members register ----------------------------------
    starts = (datetime.now(UTC) + timedelta(minutes=30)).astimezone(
        __import__("zoneinfo").ZoneInfo("Asia/Shanghai"))
    tour = (await day.call("POST", "/api/tours", "guide", 201, json={
        "exhibit_id": "party-day", "version": "1.0.0", "title": "十二月主题党日",
        "starts_at": starts.isoformat(), "duration_minutes": 60, "capacity": 20,
        "branches": [day.branch]}))["id"]
    for who in MEMBERS:
        await day.call("POST", f"/api/tours/{tour}/registration", who, 201)
    await day.call("POST", f"/api/tours/{tour}/registration", "outsider", 404)
    # the branch meeting moves: the guide moves the tour an hour later, registrants stay
    later = starts + timedelta(hours=1)
    moved = await day.call("PATCH", f"/api/tours/{tour}", "guide",
                           json={"starts_at": later.isoformat()})
    assert moved["starts_at"] == later.isoformat(timespec="seconds") \
        or moved["starts_at"].startswith(later.strftime("%Y-%m-%dT%H:%M"))
    await day.call("PATCH", f"/api/tours/{tour}", "wang", 403,
                   json={"starts_at": later.isoformat()})
    listed = (await day.call("GET", "/api/tours", "wang"))[0]
    assert listed["registered"] == len(MEMBERS) and listed["registered_by_me"]
    assert listed["state"] == "scheduled" and listed["guide"]["name"] == "周书记"
    assert listed["starts_at"].endswith("+08:00")  # in the tour's own zone

    # -- the tour, live ----------------------------------------------------------------------
    guide = TourClient(live_url(c, tour), day.tokens["guide"], session=c.session)
    await guide.connect()
    members = {w: Member(day, tour, w) for w in ("li", "zhao", "chen")}
    welcomes = {w: await m.join() for w, m in members.items()}
    engine = await _engine_member(party_package, key, engine_cache, live_url(c, tour),
                                  day.tokens["wang"])
    try:
        await _step(engine, lambda: engine.tour.phase == "lobby")
        await guide.send(wire.Start())
        await _step(engine, lambda: engine.tour.phase == "live")
        for n, (scene, stop) in enumerate(STOPS):
            await guide.send(wire.GoToStop(scene=scene, stop=stop))
            here = [m for w, m in members.items() if not (w == "chen" and n > 0)]
            await asyncio.gather(*(m.at_stop(scene, stop) for m in here))
            # the engine loads the stop's scene and stands at the stop (_step polls the
            # condition before the loop moves on)
            await _step(engine, lambda: engine.view.scene.script.id == scene  # noqa: B023
                        and engine.tour.stop == stop)  # noqa: B023
            if n == 0:  # 陈静 leaves for good after the first stop
                await members.pop("chen").client.close()
            if stop in ("table", "cabin"):  # the scene's quiz item, at its second stop
                await guide.send(wire.StartQuiz(item=QUIZ[scene]))
                await asyncio.gather(*(m.answer(scene, 1 if (w == "zhao" and scene == "boat")
                                                else 0) for w, m in members.items()))
                await _step(engine, lambda: engine.view.quiz_card.visible
                            and engine.view.quiz_card.item is not None
                            and engine.view.quiz_card.item.id == QUIZ[scene])  # noqa: B023
                engine.tour.answer(0)
                while (await guide.expect("quiz")).quiz.answered < 3:
                    pass
                await guide.send(wire.CloseQuiz())
                await _step(engine, lambda: engine.view.quiz_card.result is not None)
            if n == 1:  # 李明's network fails; he comes back within the hold, same seat
                await members["li"].client.drop()
                await asyncio.sleep(0.2)
                members["li"] = Member(day, tour, "li")
                back = await members["li"].join(resume=welcomes["li"].resume)
                assert back.seat == welcomes["li"].seat
            await asyncio.sleep(1.0)  # the guide explains the stop
        await guide.send_pose(Pose(Transform((1.0, 2.0, 1.6))))
        await _step(engine, lambda: str(guide.seat) in engine.view.avatars.avatars)
        save_shot(engine.app.capture(), "party-day-member-in-the-boat.png", tmp_path)
        await guide.send(wire.EndTour())
        await _step(engine, lambda: engine.tour.phase == "ended")
    finally:
        await asyncio.to_thread(engine.close)  # its link waits for this loop to close
        engine.app.destroy()
        for m in members.values():
            await m.client.close()
        await guide.close()

    # -- credits: judged when the tour ended ---------------------------------------------------
    await c.server.app[CREDITS].idle()
    evaluated = await day.call("POST", "/api/credits/evaluate", "admin")
    assert not evaluated.get("failures"), evaluated
    year = datetime.now(UTC).year
    hours = {}
    for who in MEMBERS:
        hours[who] = (await day.call("GET", f"/api/credits?year={year}", who))["hours"]
    # the tour (0.5 a scene) and the exhibit's extra award for touring every scene
    assert hours == {"wang": 1.5, "li": 1.5, "zhao": 0, "chen": 0, "sun": 0}, hours
    led = await day.call("GET", f"/api/credits?year={year}", "guide")
    assert led["hours"] == 2  # leading the tour counts toward the guide's target

    # why 赵强 and 陈静 earned nothing
    why = await day.call("GET", f"/api/credits/explain?year={year}", "zhao")
    (mine,) = [e for e in why["items"] if e.get("tour") == tour]
    missed = {cond["name"] for cond in mine["conditions"] if not cond["met"]}
    assert missed == {"quiz"}, mine
    why = await day.call("GET", f"/api/credits/explain?year={year}&user={day.ids['chen']}",
                         "guide")
    (theirs,) = [e for e in why["items"] if e.get("tour") == tour]
    assert {"minutes", "tour_share"} <= {cond["name"] for cond in theirs["conditions"]
                                         if not cond["met"]}

    # -- attendance --------------------------------------------------------------------------
    sheet = await day.call("GET", f"/api/tours/{tour}/attendance", "guide")
    by_name = {row["name"]: row for row in sheet["people"]}
    assert set(by_name) >= {MEMBERS[w] for w in MEMBERS}
    assert by_name["孙丽"]["minutes"] == 0
    assert by_name["陈静"]["minutes"] < by_name["王红"]["minutes"]
    # 李明 dropped and came back within the hold: his seat, and his presence, were kept
    assert by_name["李明"]["minutes"] >= 0.8 * by_name["王红"]["minutes"]
    assert by_name["王红"]["credit_hours"] == 1.5 and by_name["赵强"]["credit_hours"] == 0
    assert by_name["赵强"]["quiz_right"] == 1 and by_name["赵强"]["quiz_asked"] == 2
    csv = await day.call("GET", f"/api/tours/{tour}/attendance?format=csv", "guide")
    assert "王红" in csv and "第一党支部" in csv
    await day.call("GET", f"/api/tours/{tour}/attendance", "wang", 403)
    listed = (await day.call("GET", "/api/tours", "wang"))[0]
    assert listed["state"] == "ended"

    # -- reports and their warnings, in the requester's language ---------------------------
    branches = await day.call("GET", f"/api/reports/branches?year={year}", "admin")
    (ours,) = [b for b in branches if b["branch_id"] == day.branch]
    # December, 1.5 学时 a member against 32: behind pace, said in Chinese
    assert ours["warning"] and "behind" not in ours["warning"], ours
    assert any("\u4e00" <= ch <= "\u9fff" for ch in ours["warning"]), ours
    people = await day.call("GET", f"/api/reports/members?year={year}&format=csv", "admin")
    assert "王红" in people and "True" not in people

    # -- the ledger and the certificate ------------------------------------------------------
    ledger = await day.call("GET", "/api/credits/ledger/verify", "admin")
    assert ledger["ok"] and ledger["entries"] >= 5
    certificate = await day.call("GET", f"/api/credits/certificate?year={year}", "wang")
    path = tmp_path / "certificate.json"
    path.write_text(json.dumps(certificate, ensure_ascii=False), encoding="utf-8")
    public = tmp_path / "server.pub"
    public.write_text(await day.call("GET", "/api/credits/signing-key", "wang"))
    assert await asyncio.to_thread(redhall, ["certificate", "verify", str(path), "--key",
                                             str(public)]) == 0
    pdf = await c.get(f"/api/credits/certificate?year={year}&format=pdf", headers=day.auth("wang"))
    assert pdf.status == 200 and (await pdf.read())[:5] == b"%PDF-"
    check = await c.get(f"/api/certificates/{certificate['certificate']['id']}/check")
    assert (await check.json())["valid"] is True  # anyone with the link can check it

    # -- what is stored about a member, all of it --------------------------------------------
    export = await day.call("GET", f"/api/users/{day.ids['li']}/export", "li")
    assert export["participation_facts"] and export["credit_awards"]
    assert export["xapi_statements"] and export["certificates"]
