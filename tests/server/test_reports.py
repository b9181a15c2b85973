"""Credit reports over a varied population, checked against sums worked out here from the
rows the test itself stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped]

from protocol.i18n import Language
from server.credits import reports
from server.credits.reports import Period, Scope
from server.db.models import (
    ExhibitVersion,
    LedgerEntry,
    ParticipationRecord,
    Tour,
    User,
)
from server.keys import SESSIONS
from tests.server.conftest import World

YEAR = 2026
TARGETS = {"member": 32.0, "guide": 56.0}
TODAY = date(YEAR, 10, 1)
EXHIBITS = ("founding", "zunyi", "long-march")


@dataclass
class Population:
    """What was stored, for working out the expected reports."""

    people: dict[int, dict[str, Any]] = field(default_factory=dict)  # counted members
    awards: list[tuple[int, str, Decimal, int, str]] = field(default_factory=list)
    facts: list[tuple[int, str | None, int | None, str, datetime]] = field(default_factory=list)
    tour_exhibit: dict[int, str] = field(default_factory=dict)


async def _populate(world: World, seed: int) -> Population:
    chance = random.Random(seed)
    seen = Population()
    branches = {world.branch_a: "第一党支部", world.branch_b: "第二党支部", None: ""}
    async with world.client.server.app[SESSIONS]() as db, db.begin():
        users: list[User] = []
        for n in range(60):
            org = chance.choice(list(branches))
            role = chance.choice(("member", "member", "member", "guide", "editor"))
            deleted = datetime(YEAR, 3, 1, tzinfo=UTC) if n % 17 == 0 else None
            users.append(User(username=f"p{n}", display_name=f"成员{n}", password_hash="-",
                              role=role, org_id=org, deleted_at=deleted))
        db.add_all(users)
        await db.flush()
        for user in [*users, *[await db.get(User, world.users[who])
                                for who in ("guide", "member", "member_b")]]:
            if user.role != "editor" and user.deleted_at is None:
                seen.people[user.id] = {"org": user.org_id, "branch": branches[user.org_id],
                                        "role": user.role}
        versions = [ExhibitVersion(exhibit_id=name, version="1.0.0", sha256="0" * 64, size=1,
                                   manifest={}, uploaded_by=world.users["editor"])
                    for name in EXHIBITS]
        db.add_all(versions)
        await db.flush()
        tours = [Tour(exhibit_version_id=version.id, guide_id=world.users["guide"],
                      title="t", starts_at=datetime(YEAR, 5, 1, tzinfo=UTC),
                      duration_minutes=60, capacity=100) for version in versions * 2]
        db.add_all(tours)
        await db.flush()
        seen.tour_exhibit = {tour.id: EXHIBITS[i % 3] for i, tour in enumerate(tours)}
        for seq in range(1, 301):
            user = chance.choice(users)
            year = chance.choice((YEAR, YEAR, YEAR, YEAR - 1))
            at = datetime(year, chance.randint(1, 12), chance.randint(1, 28), tzinfo=UTC)
            hours = chance.choice((Decimal("0.5"), Decimal("0.25"), Decimal(1),
                                   Decimal("0.1")))
            exhibit = chance.choice(EXHIBITS)
            at_text = at.isoformat().replace("+00:00", "Z")
            db.add(LedgerEntry(seq=seq, award_key=f"award-{seq}", user_id=user.id, year=year,
                               hours=str(hours), exhibit_id=exhibit, subject={}, basis={},
                               at=at_text, prev_hash="0" * 64, hash="0" * 64))
            seen.awards.append((user.id, exhibit, hours, year, at_text))
        for _ in range(900):
            user = chance.choice(users)
            at = datetime(chance.choice((YEAR, YEAR - 1)), chance.randint(1, 12),
                          chance.randint(1, 28), chance.randint(0, 23), tzinfo=UTC)
            if chance.random() < 0.5:
                tour: int | None = chance.choice(tours).id
                kind = chance.choice(("tour_joined", "tour_ended", "stop_reached"))
                detail: dict[str, Any] = {}
            else:
                tour, kind = None, chance.choice(("scene_entered", "hotspot_viewed"))
                detail = {"exhibit": chance.choice(EXHIBITS)} if chance.random() < 0.9 else {}
            db.add(ParticipationRecord(id=str(uuid.uuid4()), user_id=user.id, tour_id=tour,
                                       kind=kind, at=at, detail=detail))
            seen.facts.append((user.id, detail.get("exhibit"), tour, kind, at))
    return seen


def _in(period: Period, award: tuple[int, str, Decimal, int, str]) -> bool:
    if period.whole_year is not None:
        return award[3] == period.whole_year
    start, end = period.bounds()
    return start.isoformat().replace("+00:00", "Z") <= award[4] \
        < end.isoformat().replace("+00:00", "Z")


def _expected_members(seen: Population, period: Period, org: int | None
                      ) -> dict[int, tuple[float, bool]]:
    start, end = period.bounds()
    hours: dict[int, Decimal] = defaultdict(Decimal)
    for award in seen.awards:
        if _in(period, award):
            hours[award[0]] += award[2]
    active = {user for user, _, _, _, at in seen.facts if start <= at < end}
    return {user: (float(hours[user]), user in active) for user, person in seen.people.items()
            if org is None or person["org"] == org}


PERIODS = [Period.year(YEAR), Period.year(YEAR - 1), Period(date(YEAR, 3, 1), date(YEAR, 6, 30))]


@pytest.mark.parametrize("period", PERIODS, ids=["this-year", "last-year", "spring"])
async def test_reports_add_up_to_what_was_stored(world: World, period: Period) -> None:
    seen = await _populate(world, seed=7)
    sessions = world.client.server.app[SESSIONS]
    due = period.share_of_year_elapsed(TODAY)
    for org in (None, world.branch_a):
        scope = Scope(org_id=org)
        expected = _expected_members(seen, period, org)
        rows = await reports.members(sessions, period, scope, TARGETS, TODAY)
        assert {row["user"]: (row["hours"], row["active"]) for row in rows} == {
            user: (round(hours, 2), active) for user, (hours, active) in expected.items()}
        for row in rows:
            assert row["target"] == TARGETS[seen.people[row["user"]]["role"]]
            assert row["branch"] == seen.people[row["user"]]["branch"]
            assert row["on_pace"] == (expected[row["user"]][0] + 1e-9 >= row["target"] * due)

        branches = {row["branch"]: row for row in
                    await reports.branches(sessions, period, scope, TARGETS, TODAY, "en")}
        by_branch: dict[str, list[int]] = defaultdict(list)
        for user in expected:
            by_branch[seen.people[user]["branch"] or "(no branch)"].append(user)
        assert set(branches) == set(by_branch)
        for name, group in by_branch.items():
            row = branches[name]
            hours = sum(expected[user][0] for user in group)
            targets = [TARGETS[seen.people[user]["role"]] for user in group]
            assert row["members"] == len(group)
            assert row["branch_id"] == seen.people[group[0]]["org"]
            assert row["active_members"] == sum(expected[user][1] for user in group)
            assert row["hours"] == pytest.approx(round(hours, 2))
            assert row["due_by_now"] == pytest.approx(round(sum(targets) * due / len(group), 2))
            assert row["behind"] == sum(expected[user][0] + 1e-9 < target * due
                                        for user, target in zip(group, targets, strict=True))

        start, end = period.bounds()
        visitors: dict[str, set[int]] = defaultdict(set)
        ended: dict[str, set[int]] = defaultdict(set)
        for user, named, tour, kind, at in seen.facts:
            exhibit = seen.tour_exhibit[tour] if tour is not None else named
            if exhibit is None or not start <= at < end:
                continue
            if org is not None and user not in expected:
                continue
            visitors[exhibit].add(user)
            if kind == "tour_ended":
                ended[exhibit].add(tour)  # type: ignore[arg-type]
        earned: dict[str, list[Decimal]] = defaultdict(list)
        for award in seen.awards:
            if _in(period, award) and (org is None or award[0] in expected):
                earned[award[1]].append(award[2])
        assert await reports.exhibits(sessions, period, scope) == [
            {"exhibit": name, "visitors": len(visitors[name]), "tours": len(ended[name]),
             "replay_viewers": 0,  # no replays among these facts
             "awards": len(earned[name]), "hours": float(round(sum(earned[name]), 2))}
            for name in sorted(set(visitors) | set(earned))]


async def test_a_branch_with_nobody_active_is_warned(world: World) -> None:
    sessions = world.client.server.app[SESSIONS]
    rows = await reports.branches(sessions, Period.year(YEAR), Scope(), TARGETS, TODAY)
    second = next(row for row in rows if row["branch"] == "第二党支部")
    assert second["active_members"] == 0 and second["hours"] == 0
    assert second["warnings"] == ["behind_pace", "low_participation"]
    assert second["warning"] == ("进度落后：人均 0.0 学时，截至目前应达 24.0 学时；"
                                 "本期仅 0% 的党员参加学习")
    english = await reports.branches(sessions, Period.year(YEAR), Scope(), TARGETS, TODAY,
                                     "en")
    second = next(row for row in english if row["branch"] == "第二党支部")
    assert second["warnings"] == ["behind_pace", "low_participation"]
    assert "behind pace" in second["warning"] and "took part" in second["warning"]


HOSTILE = ('=HYPERLINK("http://evil.example","看这里")', "+1", "-2", "@SUM(A1)", "\t=1",
           "王\x07小明", "=1\x1b+2")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
async def test_report_files_carry_no_formula_whatever_the_names(world: World,
                                                                language: Language) -> None:
    sessions = world.client.app[SESSIONS]
    async with sessions() as db, db.begin():
        for n, name in enumerate(HOSTILE):
            db.add(User(username=f"h{n}", display_name=name, password_hash="-",
                        role="member", org_id=world.branch_a))
    rows = await reports.members(sessions, Period.year(YEAR), Scope(), TARGETS, TODAY)
    assert {row["name"] for row in rows} >= set(HOSTILE)  # JSON keeps names as they are
    text = reports.as_csv("members", rows, language).decode("utf-8-sig")
    values = {value for line in csv.reader(io.StringIO(text, newline="")) for value in line}
    for value in values:
        assert not value.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), value
    assert {"'" + HOSTILE[0], "'\t=1", "王小明"} <= values
    book = load_workbook(io.BytesIO(reports.as_xlsx("members", rows, language)))
    cells = [c for line in book.active.iter_rows() for c in line]
    assert all(c.data_type != "f" for c in cells)
    names = {c.value for c in cells if isinstance(c.value, str)}
    assert {"'" + HOSTILE[0], "'+1", "'-2", "'@SUM(A1)", "'\t=1", "王小明", "'=1+2"} <= names
    hours = [c for c in cells if c.column == 6 and c.row > 1]
    assert hours and all(c.data_type == "n" for c in hours)  # numbers stay numbers
