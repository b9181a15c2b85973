"""E-mail and group-robot deliveries of the reminder queue's items, one ``deliveries`` row
per item and channel.

Planned in the transaction that marks the item sent (:func:`plan`); sent afterwards by
:func:`deliver_due`, outside any transaction. A try is claimed first by raising
``attempts`` from the value read (so two server processes never send the same try), then
made; a failure is retried ``notify_retry_seconds`` after it (``next_try_at``), the wait
doubling each time, up to
``notify_max_attempts``. Each delivery goes on its own: one channel down holds back none
of the others.

A robot speaks to a group: the members of one branch registered for one tour get one
group message per item (the first of them carries the delivery), not one each.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import aiohttp
from aiohttp import web
from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import Delivery, Organization, Reminder, Tour, User
from server.db.types import utcnow
from server.keys import SESSIONS, SETTINGS
from server.notify import mail, robots
from server.notify.failure import ChannelError
from server.notify.inbox import notice_detail
from server.notify.wording import mail_body, robot_markdown, title_of, word
from server.settings import ChatRobot, Settings

log = logging.getLogger("redhall.notify")

MAIL, WECOM, DINGTALK = "mail", "wecom", "dingtalk"
LANGUAGE = "zh-CN"  # what the channels outside the portal speak
PARALLEL = 8  # messages in flight at once


def _robots(settings: Settings, channel: str) -> dict[str, ChatRobot]:
    return settings.wecom_robots if channel == WECOM else settings.dingtalk_robots


class OrgChains:
    """Each organization and those above it, read once per round."""

    def __init__(self, db: AsyncSession) -> None:
        self.db = db
        self.known: dict[int | None, list[int]] = {None: []}

    async def of(self, org_id: int | None) -> list[int]:
        if org_id not in self.known:
            chain, current = [], org_id
            while current is not None and current not in chain:
                chain.append(current)
                current = await self.db.scalar(select(Organization.parent_id)
                                               .where(Organization.id == current))
            self.known[org_id] = chain
        return self.known[org_id]


def robot_for(robots_by_org: dict[str, ChatRobot], chain: list[int]) -> ChatRobot | None:
    """The robot of the nearest organization in ``chain`` that has one, else ``*``'s."""
    for org_id in chain:
        if str(org_id) in robots_by_org:
            return robots_by_org[str(org_id)]
    return robots_by_org.get("*")


async def _group_told(db: AsyncSession, chains: OrgChains, robots_by_org: dict[str, ChatRobot],
                      channel: str, reminder: Reminder, robot: ChatRobot) -> bool:
    """Whether this item's group message is already planned (for another member of the
    group: same tour, kind and due time)."""
    orgs = (await db.scalars(
        select(User.org_id).join(Reminder, Reminder.user_id == User.id)
        .join(Delivery, Delivery.reminder_id == Reminder.id)
        .where(Delivery.channel == channel, Reminder.tour_id == reminder.tour_id,
               Reminder.kind == reminder.kind, Reminder.due_at == reminder.due_at)
        .distinct())).all()
    for org_id in orgs:
        if robot_for(robots_by_org, await chains.of(org_id)) == robot:
            return True
    return False


async def plan(db: AsyncSession, settings: Settings, chains: OrgChains, reminder: Reminder,
               user: User) -> list[str]:
    """Adds the deliveries ``reminder`` needs beyond the inbox; returns their channels."""
    channels = []
    if mail.configured(settings) and user.email and user.deleted_at is None:
        channels.append(MAIL)
    for channel in (WECOM, DINGTALK):
        robots_by_org = _robots(settings, channel)
        robot = robot_for(robots_by_org, await chains.of(user.org_id)) if robots_by_org \
            else None
        if robot is not None and not await _group_told(db, chains, robots_by_org, channel,
                                                       reminder, robot):
            channels.append(channel)
    for channel in channels:
        db.add(Delivery(reminder_id=reminder.id, channel=channel, attempts=0))
        await db.flush()  # the next member's group check sees it
    return channels


def next_try(settings: Settings, failed_at: datetime, attempts: int) -> datetime:
    """When the try after ``attempts`` failed ones is due: after the retry wait, doubling."""
    return failed_at + timedelta(seconds=settings.notify_retry_seconds * 2 ** (attempts - 1))


@dataclass
class Job:
    """One claimed try: what to send, where."""

    delivery_id: int
    channel: str
    attempt: int
    send: Callable[[aiohttp.ClientSession], Awaitable[None]]


def _job(settings: Settings, chains_robot: ChatRobot | None, delivery: Delivery,
         reminder: Reminder, tour: Tour, user: User) -> Job | None:
    """What to send for ``delivery``; None when there is nowhere to send it any more."""
    wording = word(LANGUAGE, reminder.kind, notice_detail(reminder, tour), settings.site_url)
    seconds = settings.notify_timeout_seconds
    if delivery.channel == MAIL:
        if not user.email or not mail.configured(settings):
            return None
        letter = mail.Mail(user.email, wording.subject(LANGUAGE, tour.title),
                           mail_body(LANGUAGE, wording, user.display_name))
        return Job(delivery.id, MAIL, delivery.attempts,
                   lambda _client: mail.send_mail(settings, letter))
    if chains_robot is None:
        return None
    url = chains_robot.url.get_secret_value()
    markdown = robot_markdown(LANGUAGE, wording)
    if delivery.channel == WECOM:
        body = robots.wecom_body(markdown)
        return Job(delivery.id, WECOM, delivery.attempts,
                   lambda client: robots.post(client, url, body, seconds))
    title = f"{wording.heading}：{title_of(notice_detail(reminder, tour)) or tour.title}"
    body = robots.dingtalk_body(title, markdown)
    secret = chains_robot.secret.get_secret_value() if chains_robot.secret else None
    return Job(delivery.id, DINGTALK, delivery.attempts,  # signed when sent: it expires
               lambda client: robots.post(client, robots.dingtalk_url(url, secret), body,
                                          seconds))


async def _claim(app: web.Application, limit: int) -> tuple[list[Job], int]:
    """Claims the tries that are due; returns them and how many were given up."""
    settings: Settings = app[SETTINGS]
    now, jobs, dropped = utcnow(), [], 0
    async with app[SESSIONS].begin() as db:
        rows = (await db.execute(
            select(Delivery, Reminder, Tour, User)
            .join(Reminder, Reminder.id == Delivery.reminder_id)
            .join(Tour, Tour.id == Reminder.tour_id).join(User, User.id == Reminder.user_id)
            .where(Delivery.sent_at.is_(None),
                   Delivery.attempts < settings.notify_max_attempts,
                   or_(Delivery.next_try_at.is_(None), Delivery.next_try_at <= now))
            .order_by(Delivery.id).limit(limit))).all()
        chains = OrgChains(db)
        for delivery, reminder, tour, user in rows:
            robot = None
            if delivery.channel in (WECOM, DINGTALK):
                robot = robot_for(_robots(settings, delivery.channel),
                                  await chains.of(user.org_id))
            claimed = await db.execute(
                update(Delivery).where(Delivery.id == delivery.id,
                                       Delivery.attempts == delivery.attempts,
                                       Delivery.sent_at.is_(None))
                .values(attempts=delivery.attempts + 1)
                .execution_options(synchronize_session=False))
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                continue  # another process has it
            job = _job(settings, robot, delivery, reminder, tour, user)
            if job is None:  # the address or the robot is gone: nothing to retry
                await db.execute(update(Delivery).where(Delivery.id == delivery.id).values(
                    attempts=settings.notify_max_attempts,
                    last_error="no address or robot for it any more"))
                dropped += 1
            else:
                job.attempt += 1
                jobs.append(job)
    return jobs, dropped


async def _try(client: aiohttp.ClientSession, gate: asyncio.Semaphore,
               job: Job) -> str | None:
    """The job's error, or None when it went."""
    async with gate:
        try:
            await job.send(client)
        except ChannelError as exc:
            return str(exc)[:500]
        except Exception:  # one broken try must not lose the others' results
            log.exception("%s delivery %d failed unexpectedly", job.channel, job.delivery_id)
            return "unexpected failure (see the server log)"
    return None


async def deliver_due(app: web.Application, limit: int = 200) -> int:
    """Makes every due try of a delivery; returns how many messages went."""
    jobs, _ = await _claim(app, limit)
    if not jobs:
        return 0
    gate = asyncio.Semaphore(PARALLEL)
    async with aiohttp.ClientSession() as client:
        errors = await asyncio.gather(*(_try(client, gate, job) for job in jobs))
    settings: Settings = app[SETTINGS]
    async with app[SESSIONS].begin() as db:
        for job, error in zip(jobs, errors, strict=True):
            values = {"sent_at": utcnow(), "last_error": None} if error is None \
                else {"last_error": error,
                      "next_try_at": next_try(settings, utcnow(), job.attempt)}
            await db.execute(update(Delivery).where(Delivery.id == job.delivery_id)
                             .values(**values))
            if error is not None:
                final = job.attempt >= settings.notify_max_attempts
                log.warning("%s delivery %d failed (try %d%s): %s", job.channel,
                            job.delivery_id, job.attempt, ", given up" if final else "", error)
    return sum(error is None for error in errors)
