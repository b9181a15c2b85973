"""Awards: gathers the evidence for each visit and tour from the stored facts, applies the
exhibit's credit rules, and appends what is earned to the ledger, once."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import extract, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from protocol.credit import CreditRule
from server.catalog_store import PackageStore
from server.credits.ledger import Award, Head, append_with_retry
from server.credits.rules import Evidence, presence_seconds, tour_rule, unmet
from server.db.models import ExhibitVersion, LedgerEntry, ParticipationRecord, Tour
from server.live.loading import outlines
from server.live.plan import SceneOutline
from server.lrs.facts import VERBS, Site, tour_registration
from server.lrs.in_flight import stored_now, storing
from server.lrs.store import Writer, insert_statements

log = logging.getLogger("redhall.credits")
AWARD_NAMESPACE = uuid.UUID("0b5e7f3a-2d4c-5e8f-9a1b-6c7d8e9f0a1b")
Facts = list[ParticipationRecord]


def _visit_registration(user: int, exhibit: str, year: int) -> str:
    """The registration of a member's self-guided study of an exhibit in one year."""
    return str(uuid.uuid5(AWARD_NAMESPACE, f"visit/{user}/{exhibit}/{year}"))


def _exhibit_key(user: int, exhibit: str, year: int) -> str:
    """The exhibit's extra award: one per member and year, by visits or by a tour."""
    return f"exhibit/{user}/{exhibit}/{year}"


def _year(moment: datetime) -> int:
    return moment.astimezone(UTC).year


class Credits:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], packages: PackageStore,
                 site: Site, head: Head, *, forward: bool = False) -> None:
        self.sessions = sessions
        self.packages = packages
        self.site = site
        self.head = head
        self.forward = forward
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
        try:
            visits, tours = set(), set()
            for row in rows:
                if row["tour_id"] is not None:
                    if row["kind"] == "tour_ended":  # a tour is judged once it is over
                        tours.add(row["tour_id"])
                elif "exhibit" in row["detail"]:
                    visits.add((row["user_id"], row["detail"]["exhibit"], _year(row["at"])))
            for user, exhibit, year in sorted(visits):
                await self.visit(user, exhibit, year)
            for tour in sorted(tours):
                await self.tour(tour)
        except Exception:  # the facts are stored; evaluation runs again on demand
            log.exception("credit evaluation failed")

    # -- on demand -----------------------------------------------------------------------

    async def evaluate(self, user: int | None = None) -> list[LedgerEntry]:
        """Evaluates every visit and tour in the stored facts (of one user, or everyone)."""
        query = select(ParticipationRecord)
        if user is not None:
            query = query.where(ParticipationRecord.user_id == user)
        async with self.sessions() as db:
            facts = (await db.scalars(query)).all()
        visits = {(f.user_id, f.detail["exhibit"], _year(f.at)) for f in facts
                  if f.tour_id is None and "exhibit" in f.detail}
        tours = {f.tour_id for f in facts if f.tour_id is not None}
        made = []
        for key in sorted(visits):
            made += await self.visit(*key)
        for tour in sorted(tours):
            made += await self.tour(tour, only=user)
        return made

    # -- self-guided visits --------------------------------------------------------------

    async def visit(self, user: int, exhibit: str, year: int) -> list[LedgerEntry]:
        async with self.sessions() as db:
            facts = [f for f in (await db.scalars(
                select(ParticipationRecord).where(
                    ParticipationRecord.user_id == user, ParticipationRecord.tour_id.is_(None),
                    extract("year", ParticipationRecord.at) == year)
                .order_by(ParticipationRecord.number))).all()
                if f.detail.get("exhibit") == exhibit]
            if not facts:
                return []
            version = await db.scalar(select(ExhibitVersion).where(
                ExhibitVersion.exhibit_id == exhibit,
                ExhibitVersion.version == facts[-1].detail["exhibit_version"]))
        if version is None:
            return []  # a package this server does not hold: its rules are unknown here
        scenes = await self._scene_outlines(version)
        made, evidence_of = [], {}
        for ref in version.manifest["scenes"]:
            scene = ref["id"]
            evidence = _visit_evidence([f for f in facts if f.detail.get("scene") == scene],
                                       scenes[scene])
            evidence_of[scene] = evidence
            rule = CreditRule.model_validate(ref["credit"])
            if evidence.minutes > 0 and not unmet(rule, evidence):
                entry = await self._award(
                    f"visit/{user}/{exhibit}/{scene}/{year}", user, year, rule.hours, exhibit,
                    {"kind": "scene", "exhibit": exhibit, "version": version.version,
                     "scene": scene}, evidence, self.site.activity_id(exhibit, "scenes", scene),
                    _visit_registration(user, exhibit, year))
                made += [entry] if entry else []
        if version.manifest.get("credit"):
            made += await self._whole_exhibit(user, exhibit, year, version, evidence_of)
        return made

    async def _whole_exhibit(self, user: int, exhibit: str, year: int,
                             version: ExhibitVersion, evidence_of: dict[str, Evidence]
                             ) -> list[LedgerEntry]:
        keys = [f"visit/{user}/{exhibit}/{ref['id']}/{year}" for ref in version.manifest["scenes"]]
        async with self.sessions() as db:
            earned = (await db.scalars(select(LedgerEntry.award_key).where(
                LedgerEntry.award_key.in_(keys)))).all()
        if len(earned) < len(keys):
            return []
        parts = list(evidence_of.values())
        total = Evidence(minutes=sum(e.minutes for e in parts),
                         hotspots_seen=sum(e.hotspots_seen for e in parts),
                         hotspots_total=sum(e.hotspots_total for e in parts),
                         quiz_right=sum(e.quiz_right for e in parts),
                         quiz_total=sum(e.quiz_total for e in parts))
        rule = CreditRule.model_validate(version.manifest["credit"])
        if unmet(rule, total):
            return []
        entry = await self._award(
            _exhibit_key(user, exhibit, year), user, year, rule.hours, exhibit,
            {"kind": "exhibit", "exhibit": exhibit, "version": version.version}, total,
            self.site.activity_id(exhibit),
            _visit_registration(user, exhibit, year))
        return [entry] if entry else []

    # -- guided tours --------------------------------------------------------------------

    async def tour(self, tour_id: int, only: int | None = None) -> list[LedgerEntry]:
        async with self.sessions() as db:
            tour = await db.get(Tour, tour_id)
            facts = (await db.scalars(select(ParticipationRecord).where(
                ParticipationRecord.tour_id == tour_id).order_by(ParticipationRecord.at))).all()
            version = await db.get(ExhibitVersion, tour.exhibit_version_id) if tour else None
        started = [f for f in facts if f.kind == "tour_started"]
        ended = [f for f in facts if f.kind == "tour_ended"]
        if tour is None or version is None or not started or not ended:
            return []  # awards are made when the tour is over
        start, end = started[0].at.timestamp(), ended[-1].at.timestamp()
        first_scene = version.manifest["scenes"][0]["id"]
        visited = {first_scene} | {f.detail["scene"] for f in facts
                                   if f.kind in ("stop_reached", "quiz_started")}
        rules = [CreditRule.model_validate(ref["credit"]) for ref in version.manifest["scenes"]
                 if ref["id"] in visited]
        rule = tour_rule(rules)
        asked = {(f.detail["scene"], f.detail["item"]) for f in facts if f.kind == "quiz_started"}
        by_user: dict[int, Facts] = defaultdict(list)
        for fact in facts:
            by_user[fact.user_id].append(fact)
        made = []
        for user, own in sorted(by_user.items()):
            if user == tour.guide_id or (only is not None and user != only):
                continue
            seconds = presence_seconds(_intervals(own, end), start, end)
            right = {(f.detail["scene"], f.detail["item"]) for f in own
                     if f.kind == "quiz_answered" and f.detail.get("correct")}
            evidence = Evidence(minutes=seconds / 60, quiz_right=len(right & asked),
                                quiz_total=len(asked),
                                tour_share=seconds / (end - start) if end > start else 0.0)
            if seconds > 0 and not unmet(rule, evidence):
                entry = await self._award(
                    f"tour/{user}/{tour_id}", user, _year(started[0].at), rule.hours,
                    version.exhibit_id, {"kind": "tour", "tour": tour_id,
                                         "exhibit": version.exhibit_id,
                                         "version": version.version,
                                         "scenes": sorted(visited)}, evidence,
                    self.site.tour_id(tour_id), tour_registration(tour_id))
                made += [entry] if entry else []
                made += await self._whole_exhibit_toured(user, tour_id, version, visited,
                                                         evidence, _year(started[0].at))
        return made

    async def _whole_exhibit_toured(self, user: int, tour_id: int, version: ExhibitVersion,
                                    visited: set[str], evidence: Evidence, year: int
                                    ) -> list[LedgerEntry]:
        """A tour through every scene also earns the exhibit's extra award, judged by the
        exhibit's rule on the tour's evidence; once a year, however it was earned."""
        scenes = {ref["id"] for ref in version.manifest["scenes"]}
        if not version.manifest.get("credit") or not scenes <= visited:
            return []
        rule = CreditRule.model_validate(version.manifest["credit"])
        if unmet(rule, evidence):
            return []
        exhibit = version.exhibit_id
        entry = await self._award(
            _exhibit_key(user, exhibit, year), user, year, rule.hours, exhibit,
            {"kind": "exhibit", "exhibit": exhibit, "version": version.version,
             "tour": tour_id}, evidence, self.site.activity_id(exhibit),
            tour_registration(tour_id))
        return [entry] if entry else []

    # -- shared ----------------------------------------------------------------------------

    async def _scene_outlines(self, version: ExhibitVersion) -> dict[str, SceneOutline]:
        if version.sha256 not in self._outlines:
            scenes, _ = await asyncio.to_thread(outlines, self.packages, version.sha256)
            self._outlines[version.sha256] = scenes
        return self._outlines[version.sha256]

    async def _award(self, key: str, user: int, year: int, hours: float, exhibit: str,
                     subject: dict[str, Any], evidence: Evidence, activity: str,
                     registration: str) -> LedgerEntry | None:
        award = Award(award_key=key, user_id=user, year=year, hours=f"{hours:g}",
                      exhibit_id=exhibit, subject=subject, basis=evidence.basis(),
                      at=stored_now()[1])

        async def passed(db: AsyncSession, entry: LedgerEntry) -> None:
            statement = {
                "id": str(uuid.uuid5(AWARD_NAMESPACE, key)), "actor": self.site.member(user),
                "verb": {"id": VERBS["passed"], "display": {"en-US": "passed"}},
                "object": {"objectType": "Activity", "id": activity},
                "result": {"success": True, "completion": True, "extensions": {
                    self.site.extension("credit-hours"): float(hours),
                    self.site.extension("ledger-entry"): entry.seq}},
                "context": {"registration": registration, "platform": "RedHall"}}
            await insert_statements(db, [statement], Writer(None, self.site.authority),
                                    *stored, self.forward)

        with storing() as stored:  # the statement's stored time, held until the commit
            entry = await append_with_retry(self.sessions, award, passed)
        if entry is not None:
            self.head.advance(entry.seq, entry.hash)
            log.info("awarded %s 学时 to user %s for %s (ledger entry %s)", entry.hours, user,
                     key, entry.seq)
        return entry


def _visit_evidence(facts: Facts, outline: SceneOutline) -> Evidence:
    """Across the year's visits to one scene: time present, distinct hotspots viewed, and
    the first answer to each quiz item."""
    seconds: dict[str, float] = defaultdict(float)
    seen, first_answer = set(), {}
    for fact in facts:
        d = fact.detail
        if fact.kind in ("scene_left", "scene_completed"):
            seconds[d["session"]] = max(seconds[d["session"]], float(d["seconds"]))
        elif fact.kind == "hotspot_viewed" and d["hotspot"] in outline.hotspots:
            seen.add(d["hotspot"])
        elif fact.kind == "quiz_answered" and d["item"] in outline.quiz:
            first_answer.setdefault(d["item"], bool(d["correct"]))
    return Evidence(minutes=sum(seconds.values()) / 60, hotspots_seen=len(seen),
                    hotspots_total=len(outline.hotspots),
                    quiz_right=sum(first_answer.values()), quiz_total=len(outline.quiz))


def _intervals(facts: Facts, end: float) -> list[tuple[float, float]]:
    """(joined, left) spans of one member; a stay without a recorded leave lasts to the end."""
    spans, opened = [], None
    for fact in facts:
        if fact.kind == "joined" and opened is None:
            opened = fact.at.timestamp()
        elif fact.kind == "left" and opened is not None:
            spans.append((opened, fact.at.timestamp()))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    return spans
