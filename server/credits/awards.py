"""Awards: reads the stored facts of each visit and tour as typed facts, judges them by the
exhibit's credit rules (:mod:`server.credits.judging`), and appends what is earned to the
ledger, once. One visit's or tour's failure is reported and the others are still judged."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, extract, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.catalog_store import PackageStore
from server.credits.facts import Fact, usable
from server.credits.judging import (
    Exhibit,
    Judgement,
    TourFacts,
    judge_tour,
    judge_visits,
)
from server.credits.ledger import Award, Head, append_with_retry
from server.credits.rules import GuideCredit
from server.db.models import ExhibitVersion, LedgerEntry, ParticipationRecord, Tour
from server.live.loading import outlines
from server.live.plan import SceneOutline
from server.lrs.facts import VERBS, Site, tour_registration
from server.lrs.in_flight import stored_now, storing
from server.lrs.store import Writer, insert_statements

log = logging.getLogger("redhall.credits")
AWARD_NAMESPACE = uuid.UUID("0b5e7f3a-2d4c-5e8f-9a1b-6c7d8e9f0a1b")


def _visit_registration(user: int, exhibit: str, year: int) -> str:
    """The registration of a member's self-guided study of an exhibit in one year."""
    return str(uuid.uuid5(AWARD_NAMESPACE, f"visit/{user}/{exhibit}/{year}"))


@dataclass(frozen=True)
class Failure:
    """A visit or tour that could not be judged, and why (the rest were judged)."""

    tour: int | None
    visit: dict[str, Any] | None
    reason: str

    def as_json(self) -> dict[str, Any]:
        return {"tour": self.tour, "visit": self.visit, "reason": self.reason}


@dataclass
class Evaluation:
    awarded: list[LedgerEntry] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)


@dataclass(frozen=True)
class Explained:
    """A judgement with the hours the ledger holds for it (None: not awarded)."""

    judgement: Judgement
    awarded: float | None


def _awarded(judged: Judgement, held: tuple[str, Any] | None) -> float | None:
    """The hours the ledger holds for this judgement's award, if this judgement earned it.
    An exhibit's award is one per member and year, earned by visits or by one tour: it is
    shown on the visits' or the tour's judgement that earned it, not on the others."""
    if held is None:
        return None
    hours, subject = held
    if judged.kind == "exhibit":
        earned_by = subject.get("tour") if isinstance(subject, dict) else None
        if earned_by != judged.via_tour:
            return None
    return float(hours)


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:300] if text else type(exc).__name__


class Credits:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], packages: PackageStore,
                 site: Site, head: Head, *, forward: bool = False,
                 guide: GuideCredit | None = None) -> None:
        self.sessions = sessions
        self.packages = packages
        self.site = site
        self.head = head
        self.forward = forward
        self.guide = guide or GuideCredit()
        self._outlines: dict[str, dict[str, SceneOutline]] = {}
        self._pending: set[asyncio.Task[None]] = set()

    # -- when facts arrive ---------------------------------------------------------------

    def consider_soon(self, rows: Iterable[dict[str, Any]]) -> None:
        """Evaluates what the new facts may have earned, after the caller has answered."""
        rows = list(rows)
        if not rows:
            return
        task = asyncio.ensure_future(self._consider(rows))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def idle(self) -> None:
        """Waits for evaluations in flight (tests, shutdown)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)

    async def _consider(self, rows: list[dict[str, Any]]) -> None:
        visits, tours = set(), set()
        for row in rows:
            detail = row["detail"] if isinstance(row["detail"], dict) else {}
            if row["tour_id"] is not None:
                if row["kind"] == "tour_ended":  # a tour is judged once it is over
                    tours.add(row["tour_id"])
            elif isinstance(detail.get("exhibit"), str):
                visits.add((row["user_id"], detail["exhibit"], row["at"].astimezone(UTC).year))
        result = Evaluation()
        await self._each(result, sorted(visits), sorted(tours), None)
        for failure in result.failures:  # the facts are stored; evaluation runs again
            log.error("credit evaluation failed for %s: %s",
                      f"tour {failure.tour}" if failure.tour else f"visit {failure.visit}",
                      failure.reason)

    # -- on demand -----------------------------------------------------------------------

    async def evaluate(self, user: int | None = None) -> Evaluation:
        """Evaluates every visit and tour in the stored facts (of one user, or everyone);
        a visit or tour that cannot be judged is listed with its reason."""
        query = select(ParticipationRecord.user_id, ParticipationRecord.tour_id,
                       ParticipationRecord.at, ParticipationRecord.detail)
        if user is not None:
            query = query.where(ParticipationRecord.user_id == user)
        async with self.sessions() as db:
            rows = (await db.execute(query)).all()
        visits = {(r.user_id, r.detail["exhibit"], r.at.astimezone(UTC).year) for r in rows
                  if r.tour_id is None and isinstance(r.detail, dict)
                  and isinstance(r.detail.get("exhibit"), str)}
        tours = {r.tour_id for r in rows if r.tour_id is not None}
        result = Evaluation()
        await self._each(result, sorted(visits), sorted(tours), user)
        return result

    async def _each(self, result: Evaluation, visits: list[tuple[int, str, int]],
                    tours: list[int], only: int | None) -> None:
        for user, exhibit, year in visits:
            await self._isolated(result, self.visit(user, exhibit, year), None,
                                 {"user": user, "exhibit": exhibit, "year": year})
        for tour in tours:
            await self._isolated(result, self.tour(tour, only), tour, None)

    @staticmethod
    async def _isolated(result: Evaluation, work: Awaitable[list[LedgerEntry]],
                        tour: int | None, visit: dict[str, Any] | None) -> None:
        try:
            result.awarded += await work
        except Exception as exc:  # one broken visit or tour must not stop the others
            log.exception("credit evaluation of %s failed",
                          f"tour {tour}" if tour is not None else f"visit {visit}")
            result.failures.append(Failure(tour, visit, _reason(exc)))

    # -- judging -------------------------------------------------------------------------

    async def _visit_judgements(self, user: int, exhibit: str, year: int
                                ) -> list[Judgement]:
        async with self.sessions() as db:
            records = (await db.scalars(
                select(ParticipationRecord).where(
                    ParticipationRecord.user_id == user, ParticipationRecord.tour_id.is_(None),
                    extract("year", ParticipationRecord.at) == year)
                .order_by(ParticipationRecord.number))).all()
            facts = [f for f in usable(list(records))
                     if getattr(f.body, "exhibit", None) == exhibit]
            if not facts:
                return []
            latest = str(getattr(facts[-1].body, "exhibit_version", ""))
            version = await db.scalar(select(ExhibitVersion).where(
                ExhibitVersion.exhibit_id == exhibit, ExhibitVersion.version == latest))
            if version is None:
                return []  # a package this server does not hold: its rules are unknown here
            earned = set((await db.scalars(select(LedgerEntry.award_key).where(
                LedgerEntry.user_id == user, LedgerEntry.year == year))).all())
        rules = Exhibit.from_manifest(version.exhibit_id, version.version, version.manifest)
        return judge_visits(user, year, rules, facts, await self._scene_outlines(version),
                            earned)

    async def _tour_judgements(self, tour_id: int) -> list[Judgement]:
        async with self.sessions() as db:
            tour = await db.get(Tour, tour_id)
            records = (await db.scalars(select(ParticipationRecord).where(
                ParticipationRecord.tour_id == tour_id)
                .order_by(ParticipationRecord.number))).all()
            version = await db.get(ExhibitVersion, tour.exhibit_version_id) if tour else None
        if tour is None or version is None:
            return []
        rules = Exhibit.from_manifest(version.exhibit_id, version.version, version.manifest)
        facts: list[Fact] = usable(list(records))
        return judge_tour(TourFacts.of(tour_id, tour.guide_id, facts, rules.scenes[0][0]),
                          rules, self.guide)

    # -- self-guided visits --------------------------------------------------------------

    async def visit(self, user: int, exhibit: str, year: int) -> list[LedgerEntry]:
        made = []
        # the exhibit's judgement comes last and counts the scenes awarded just before it
        for judged in await self._visit_judgements(user, exhibit, year):
            if judged.eligible:
                registration = _visit_registration(user, exhibit, year)
                activity = (self.site.activity_id(exhibit, "scenes", judged.scene)
                            if judged.scene else self.site.activity_id(exhibit))
                made += await self._award(judged, activity, registration)
        return made

    # -- guided tours --------------------------------------------------------------------

    async def tour(self, tour_id: int, only: int | None = None) -> list[LedgerEntry]:
        made = []
        for judged in await self._tour_judgements(tour_id):
            if not judged.eligible or (only is not None and judged.user != only):
                continue
            activity = (self.site.activity_id(judged.exhibit) if judged.kind == "exhibit"
                        else self.site.tour_id(tour_id))
            made += await self._award(judged, activity, tour_registration(tour_id))
        return made

    # -- explanations ----------------------------------------------------------------------

    async def explain(self, user: int, year: int) -> tuple[list[Explained], list[Failure]]:
        """Every award ``user`` could have earned in ``year`` by a visit, a tour taken or a
        tour led: each condition met or missed, and the hours the ledger holds for it."""
        start = datetime(year, 1, 1, tzinfo=UTC)
        end = datetime(year + 1, 1, 1, tzinfo=UTC)
        async with self.sessions() as db:
            rows = (await db.execute(select(ParticipationRecord.tour_id,
                                            ParticipationRecord.detail).where(
                ParticipationRecord.user_id == user, ParticipationRecord.at >= start,
                ParticipationRecord.at < end))).all()
            # tours led with facts in the year (a tour's year is that of its facts)
            led = (await db.scalars(select(Tour.id).where(
                Tour.guide_id == user, exists().where(
                    ParticipationRecord.tour_id == Tour.id, ParticipationRecord.at >= start,
                    ParticipationRecord.at < end)))).all()
            held = {key: (hours, subject) for key, hours, subject in (await db.execute(
                select(LedgerEntry.award_key, LedgerEntry.hours, LedgerEntry.subject).where(
                    LedgerEntry.user_id == user, LedgerEntry.year == year))).all()}
        exhibits = sorted({r.detail["exhibit"] for r in rows if r.tour_id is None
                           and isinstance(r.detail, dict)
                           and isinstance(r.detail.get("exhibit"), str)})
        tours = sorted({r.tour_id for r in rows if r.tour_id is not None} | set(led))
        judged: list[Judgement] = []
        failures: list[Failure] = []
        for exhibit in exhibits:
            await self._gather(judged, failures, self._visit_judgements(user, exhibit, year),
                               None, {"user": user, "exhibit": exhibit, "year": year})
        for tour in tours:
            await self._gather(judged, failures, self._tour_judgements(tour), tour, None)
        mine = [j for j in judged if j.user == user and j.year == year]
        return [Explained(j, _awarded(j, held.get(j.key))) for j in mine], failures

    @staticmethod
    async def _gather(into: list[Judgement], failures: list[Failure],
                      work: Awaitable[list[Judgement]], tour: int | None,
                      visit: dict[str, Any] | None) -> None:
        try:
            into += await work
        except Exception as exc:
            log.exception("explaining credits failed")
            failures.append(Failure(tour, visit, _reason(exc)))

    # -- shared ----------------------------------------------------------------------------

    async def _scene_outlines(self, version: ExhibitVersion) -> dict[str, SceneOutline]:
        if version.sha256 not in self._outlines:
            scenes, _ = await asyncio.to_thread(outlines, self.packages, version.sha256)
            self._outlines[version.sha256] = scenes
        return self._outlines[version.sha256]

    async def _award(self, judged: Judgement, activity: str, registration: str
                     ) -> list[LedgerEntry]:
        key, user, hours = judged.key, judged.user, judged.hours
        award = Award(award_key=key, user_id=user, year=judged.year, hours=f"{hours:g}",
                      exhibit_id=judged.exhibit, subject=judged.subject,
                      basis=judged.evidence.basis(), at=stored_now()[1])

        async def statement(db: AsyncSession, entry: LedgerEntry) -> None:
            one = {
                "id": str(uuid.uuid5(AWARD_NAMESPACE, key)), "actor": self.site.member(user),
                "verb": {"id": VERBS[judged.verb], "display": {"en-US": judged.verb}},
                "object": {"objectType": "Activity", "id": activity},
                "result": {"success": True, "completion": True, "extensions": {
                    self.site.extension("credit-hours"): float(hours),
                    self.site.extension("ledger-entry"): entry.seq}},
                "context": {"registration": registration, "platform": "RedHall"}}
            await insert_statements(db, [one], Writer(None, self.site.authority),
                                    stored[0], stored[1], self.forward)

        with storing() as stored:  # the statement's stored time, held until the commit
            entry = await append_with_retry(self.sessions, award, statement)
        if entry is None:
            return []
        self.head.advance(entry.seq, entry.hash)
        log.info("awarded %s 学时 to user %s for %s (ledger entry %s)", entry.hours, user,
                 key, entry.seq)
        return [entry]


__all__ = ["AWARD_NAMESPACE", "Credits", "Evaluation", "Explained", "Failure"]
