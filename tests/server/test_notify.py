"""Notifications beyond the reminder queue: the inbox gets each item once (also with two
senders at once), e-mail reaches a real SMTP server, WeCom and DingTalk robots (local
receivers that check the bodies and DingTalk's signature) hear once per group, a channel
that fails is retried while the others deliver, and a tour moved through the API ends as
an inbox notice and a mail for each registrant through the server's own worker."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import socket
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from server.app import create_app
from server.bootstrap import ensure_org, ensure_user
from server.db.models import (
    Delivery,
    ExhibitVersion,
    Notification,
    Registration,
    Tour,
    TourBranch,
    User,
)
from server.keys import SESSIONS, SETTINGS
from server.notify import robots
from server.notify.deliveries import deliver_due
from server.notify.failure import ChannelError
from server.notify.mail import Mail, send_mail
from server.reminders import INTERVAL, TOUR_MOVED, queue_notice, queue_reminders, send_due
from server.settings import ChatRobot, Settings
from tests.server.conftest import KEY, PASSWORD

SECRET = "SEC0123456789abcdef"
TITLE = "主题党日：开天辟地"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """What a local SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 OK"

    async def wait_for(self, count: int, seconds: float) -> None:
        """Until ``count`` messages are in (polled: the SMTP server has a thread of its own)."""
        for _ in range(int(seconds * 10)):
            if len(self.messages) >= count:
                return
            await asyncio.sleep(0.1)


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box, port = Mailbox(), _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield box, port
    controller.stop()


@dataclass
class Robot:
    """A local WeCom or DingTalk robot: what it got, and how it answers."""

    kind: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    signatures_ok: list[bool] = field(default_factory=list)
    fail_first: int = 0  # answer HTTP 500 this many times
    errcode: int = 0  # what it answers after that

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        if self.kind == "dingtalk":
            self.signatures_ok.append(_signed(request.url.raw_query_string))
        if self.fail_first:
            self.fail_first -= 1
            return web.Response(status=500, text="busy")
        self.bodies.append(body)
        return web.json_response({"errcode": self.errcode,
                                  "errmsg": "ok" if self.errcode == 0 else "sign not match"})


def _signed(raw_query: str) -> bool:
    """DingTalk's own check: timestamp within an hour, sign = base64(HMAC-SHA256(secret,
    "timestamp\\nsecret")), URL-encoded in the query."""
    query = parse_qs(raw_query, strict_parsing=True)
    stamp = int(query["timestamp"][0])
    expected = base64.b64encode(hmac.new(SECRET.encode(), f"{stamp}\n{SECRET}".encode(),
                                         hashlib.sha256).digest()).decode()
    return abs(time.time() * 1000 - stamp) < 3600_000 and query["sign"] == [expected] \
        and query["access_token"] == ["dingtoken"]


@dataclass
class Setup:
    client: TestClient
    users: dict[str, int]
    orgs: dict[str, int]
    tokens: dict[str, str]
    wecom: Robot
    dingtalk: Robot
    mailbox: Mailbox

    @property
    def app(self) -> web.Application:
        return self.client.server.app

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


async def _robots(aiohttp_server: Any) -> tuple[Robot, Robot, str]:
    wecom, dingtalk = Robot("wecom"), Robot("dingtalk")
    receiver = web.Application()
    receiver.router.add_post("/cgi-bin/webhook/send", wecom.handle)
    receiver.router.add_post("/robot/send", dingtalk.handle)
    server = await aiohttp_server(receiver)
    return wecom, dingtalk, f"http://127.0.0.1:{server.port}"


@pytest.fixture
def worker_interval() -> float:
    """Seconds between the server's own worker rounds: idle unless a test asks for it."""
    return 3600.0


@pytest.fixture
async def setup(aiohttp_client: Any, aiohttp_server: Any, database_url: str, tmp_path: Path,
                mailbox: tuple[Mailbox, int], worker_interval: float) -> AsyncIterator[Setup]:
    box, smtp_port = mailbox
    wecom, dingtalk, robots_url = await _robots(aiohttp_server)
    settings = Settings(database_url=database_url, data_dir=tmp_path / "data",
                        encryption_key=KEY, password_hash_time_cost=1,
                        password_hash_memory_kib=1024, site_url="https://redhall.example.cn",
                        smtp_host="127.0.0.1", smtp_port=smtp_port, smtp_starttls=False,
                        smtp_from="redhall@example.cn", notify_retry_seconds=1.0,
                        notify_max_attempts=3)
    app = create_app(settings)
    app[INTERVAL] = worker_interval
    client = await aiohttp_client(app)
    sessions = app[SESSIONS]
    committee = await ensure_org(sessions, "机关党委", "committee")
    orgs = {"committee": committee,
            "a": await ensure_org(sessions, "第一党支部", "branch", committee),
            "b": await ensure_org(sessions, "第二党支部", "branch", committee)}
    users = {"editor": await ensure_user(sessions, "editor", PASSWORD, "editor", committee),
             "guide": await ensure_user(sessions, "guide-a", PASSWORD, "guide", orgs["a"],
                                        "第一支部书记")}
    for name, branch, shown in (("member-a", "a", "党员甲"), ("member-a2", "a", "党员乙"),
                                ("member-b", "b", "党员丙")):
        users[name] = await ensure_user(sessions, name, PASSWORD, "member", orgs[branch], shown)
    async with sessions.begin() as db:
        for name in ("member-a", "member-a2", "member-b"):
            user = await db.get(User, users[name])
            assert user is not None
            user.email = f"{name}@example.cn"
    # branch a's group has a WeCom robot; every group (the committee's) a DingTalk one
    settings.wecom_robots = {str(orgs["a"]): ChatRobot.model_validate(
        {"url": f"{robots_url}/cgi-bin/webhook/send?key=wecomkey"})}
    settings.dingtalk_robots = {"*": ChatRobot.model_validate(
        {"url": f"{robots_url}/robot/send?access_token=dingtoken", "secret": SECRET})}
    tokens = {}
    for name in ("guide-a", "member-a", "member-a2"):
        login = await client.post("/api/auth/login", json={"username": name,
                                                           "password": PASSWORD})
        made = await client.post("/api/auth/tokens", json={"label": "t"}, cookies=login.cookies)
        tokens[name] = (await made.json())["token"]
    client.session.cookie_jar.clear()
    yield Setup(client, users, orgs, tokens, wecom, dingtalk, box)


async def _tour(setup: Setup, registrants: list[str], branches: tuple[str, ...] = ("a", "b"),
                ) -> int:
    """A tour in Beijing time two days ahead, with ``registrants`` registered."""
    start = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0, second=0)
    async with setup.app[SESSIONS].begin() as db:
        exhibit = ExhibitVersion(exhibit_id="founding", version="1.0.0", sha256="0" * 64,
                                 size=1, manifest={}, published=True,
                                 uploaded_by=setup.users["editor"])
        db.add(exhibit)
        await db.flush()
        tour = Tour(exhibit_version_id=exhibit.id, guide_id=setup.users["guide"], title=TITLE,
                    starts_at=start, duration_minutes=60, capacity=30,
                    registered=len(registrants), utc_offset_minutes=480)
        db.add(tour)
        await db.flush()
        db.add_all(TourBranch(tour_id=tour.id, org_id=setup.orgs[b]) for b in branches)
        db.add_all(Registration(tour_id=tour.id, user_id=setup.users[name])
                   for name in registrants)
        return tour.id


async def _count(setup: Setup, model: Any, *where: Any) -> int:
    async with setup.app[SESSIONS]() as db:
        return int(await db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def test_dingtalk_signature_is_url_encoded_in_the_query() -> None:
    # a timestamp whose signature holds "+" and "/": both must survive the query
    stamp = next(ts for ts in range(1_700_000_000_000, 1_700_000_100_000)
                 if "+" in robots.dingtalk_sign(SECRET, ts) and "/" in
                 robots.dingtalk_sign(SECRET, ts))
    url = robots.dingtalk_url("https://oapi.dingtalk.com/robot/send?access_token=dingtoken",
                              SECRET, stamp)
    raw = urlsplit(url).query
    assert "+" not in raw and "/" not in raw
    assert parse_qs(raw)["sign"] == [robots.dingtalk_sign(SECRET, stamp)]
    assert _signed(raw) is False  # a 2023 timestamp is over an hour old
    assert robots.dingtalk_url("https://x/robot/send?access_token=t", None) \
        == "https://x/robot/send?access_token=t"  # no secret: not signed


@pytest.mark.parametrize("database_url", ["sqlite", "postgresql"], indirect=True)
async def test_each_item_reaches_the_inbox_once_and_every_channel_once_per_target(
        setup: Setup) -> None:
    tour_id = await _tour(setup, ["member-a", "member-a2", "member-b"])
    users = [setup.users[n] for n in ("member-a", "member-a2", "member-b")]
    async with setup.app[SESSIONS].begin() as db:
        queue_notice(db, tour_id, users, TOUR_MOVED, {
            "title": TITLE,
            "was": {"starts_at": "2026-07-01T09:00:00+08:00", "duration_minutes": 60},
            "now": {"starts_at": "2026-07-02T14:30:00+08:00", "duration_minutes": 90,
                    "time_zone": "+08:00"}})
    # two senders at once, as two server processes would be: each item is taken once
    sent = await asyncio.gather(send_due(setup.app), send_due(setup.app),
                                send_due(setup.app))
    assert sorted(sent) == [0, 0, 3]
    assert await send_due(setup.app) == 0
    assert await _count(setup, Notification, Notification.kind == TOUR_MOVED) == 3
    # mail for each member; one message for branch a's WeCom group; one for the DingTalk
    # robot every branch shares
    assert await _count(setup, Delivery) == 5
    delivered = await asyncio.gather(deliver_due(setup.app), deliver_due(setup.app))
    assert sum(delivered) == 5 and await deliver_due(setup.app) == 0
    assert await _count(setup, Delivery, Delivery.sent_at.is_not(None),
                        Delivery.attempts == 1) == 5

    mails = {tuple(to): message for to, message in setup.mailbox.messages}
    assert sorted(mails) == [("member-a2@example.cn",), ("member-a@example.cn",),
                             ("member-b@example.cn",)]
    letter = mails[("member-a@example.cn",)]
    assert letter["Subject"] == f"【红色展馆】讲解活动时间变更：{TITLE}"
    assert letter["From"] == "redhall@example.cn"
    text = letter.get_content()
    assert text.startswith("党员甲 同志：")
    assert "2026年7月2日 14:30（UTC+08:00）" in text and "2026年7月1日 09:00" in text
    assert "https://redhall.example.cn/tours" in text

    (wecom,) = setup.wecom.bodies
    assert wecom["msgtype"] == "markdown" and set(wecom["markdown"]) == {"content"}
    assert TITLE in wecom["markdown"]["content"]
    assert "(https://redhall.example.cn/tours)" in wecom["markdown"]["content"]
    assert "党员" not in wecom["markdown"]["content"].replace("党员请留意", "")  # no names
    (ding,) = setup.dingtalk.bodies
    assert ding["msgtype"] == "markdown" and set(ding["markdown"]) == {"title", "text"}
    assert ding["markdown"]["title"] == f"讲解活动时间变更：{TITLE}"
    assert "2026年7月2日 14:30（UTC+08:00）" in ding["markdown"]["text"]
    assert setup.dingtalk.signatures_ok == [True]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_a_failing_channel_is_retried_and_holds_back_nothing(
        setup: Setup, caplog: pytest.LogCaptureFixture) -> None:
    setup.wecom.fail_first = 1  # one HTTP 500, then fine
    setup.dingtalk.errcode = 310000  # DingTalk refuses every time (errcode ≠ 0)
    tour_id = await _tour(setup, ["member-a"])
    async with setup.app[SESSIONS].begin() as db:
        tour = await db.get(Tour, tour_id)
        assert tour is not None
        queue_reminders(db, tour_id, [setup.users["member-a"]], tour.starts_at, [60])
        for reminder in db.new:
            reminder.due_at = datetime.now(UTC) - timedelta(seconds=1)
    assert await send_due(setup.app) == 1
    assert await _count(setup, Notification) == 1  # the inbox does not wait for anyone
    assert await deliver_due(setup.app) == 1  # the mail went
    assert len(setup.mailbox.messages) == 1
    async with setup.app[SESSIONS]() as db:
        tries = {d.channel: d for d in (await db.scalars(select(Delivery))).all()}
    assert tries["mail"].sent_at is not None
    assert tries["wecom"].sent_at is None and tries["wecom"].attempts == 1
    assert tries["wecom"].last_error == "the robot answered HTTP 500"
    assert tries["dingtalk"].last_error == \
        "the robot refused the message: errcode 310000 sign not match"
    assert await deliver_due(setup.app) == 0  # the retry waits its turn (1 s)
    await asyncio.sleep(1.1)
    assert await deliver_due(setup.app) == 1  # WeCom, on its second try
    assert len(setup.wecom.bodies) == 1 and "将于" in setup.wecom.bodies[0]["markdown"]["content"]
    assert len(setup.dingtalk.signatures_ok) == 2
    await asyncio.sleep(2.0)  # the next wait is twice as long
    assert await deliver_due(setup.app) == 0  # DingTalk's third and last try fails too
    assert await deliver_due(setup.app) == 0
    async with setup.app[SESSIONS]() as db:
        tries = {d.channel: d for d in (await db.scalars(select(Delivery))).all()}
    assert tries["wecom"].sent_at is not None and tries["wecom"].attempts == 2
    assert tries["wecom"].last_error is None
    assert tries["dingtalk"].sent_at is None and tries["dingtalk"].attempts == 3
    assert len(setup.dingtalk.signatures_ok) == 3 and all(setup.dingtalk.signatures_ok)
    assert len(setup.mailbox.messages) == 1  # the mail was not sent again
    assert "dingtalk delivery 3 failed (try 3, given up)" in caplog.text
    assert "member-a" not in caplog.text and "dingtoken" not in caplog.text  # no personal data


async def test_starttls_is_required_when_asked_for(mailbox: tuple[Mailbox, int],
                                                   tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=mailbox[1],
                        smtp_starttls=True)
    with pytest.raises(ChannelError, match="does not support"):
        await send_mail(settings, Mail("member-a@example.cn", "s", "b"))
    assert mailbox[0].messages == []  # nothing went in the clear
    closed = Settings(data_dir=tmp_path, smtp_host="127.0.0.1", smtp_port=_free_port(),
                      smtp_starttls=False)
    with pytest.raises(ChannelError, match="cannot reach the SMTP server") as refused:
        await send_mail(closed, Mail("member-a@example.cn", "s", "b"))
    assert "member-a" not in str(refused.value)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("worker_interval", [0.1])
async def test_moving_a_tour_ends_in_the_inbox_and_the_mail_of_each_registrant(
        setup: Setup) -> None:
    tour_id = await _tour(setup, ["member-a", "member-a2"], branches=("a",))
    later = (datetime.now(UTC) + timedelta(days=5)).replace(microsecond=0, second=0)
    moved = await setup.client.patch(f"/api/tours/{tour_id}", headers=setup.auth("guide-a"),
                                     json={"starts_at": later.astimezone().isoformat()})
    assert moved.status == 200, await moved.text()
    await setup.mailbox.wait_for(2, seconds=15)  # the server's own worker sends them
    assert sorted(to for to, _ in setup.mailbox.messages) == [["member-a2@example.cn"],
                                                            ["member-a@example.cn"]]
    for who in ("member-a", "member-a2"):
        inbox = await setup.client.get("/api/notifications", headers=setup.auth(who))
        body = await inbox.json()
        assert body["unread"] == 1, body
        (notice,) = body["items"]
        assert notice["kind"] == "tour_moved" and notice["tour_id"] == tour_id
        assert TITLE in notice["text"] and notice["link"] == "https://redhall.example.cn/tours"
    assert len(setup.wecom.bodies) == 1  # one message for branch a's group
    assert setup.app[SETTINGS].site_url in setup.wecom.bodies[0]["markdown"]["content"]
