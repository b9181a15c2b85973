"""A roster checked row by row before anything is imported: every bad row is named with
its row number and every reason, and a roster is imported only when it has none."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.db.models import User
from server.roster import fields as check
from server.roster.reading import Row, read_roster


@dataclass(frozen=True)
class Problem:
    row: int
    field: str
    code: str
    message: str
    value: str

    def as_json(self) -> dict[str, object]:
        return {"row": self.row, "field": self.field, "code": self.code,
                "message": self.message, "value": self.value}


@dataclass(frozen=True)
class Person:
    """A good row: what the account will be made of."""

    row: int
    name: str
    username: str
    role: str
    phone: str | None
    email: str | None
    id_number: str | None
    joined: date | None

    def as_json(self) -> dict[str, object]:
        # the preview shows whether an ID number was given, never the number itself
        return {"row": self.row, "name": self.name, "username": self.username,
                "role": self.role, "phone": self.phone, "email": self.email,
                "id_number": self.id_number is not None,
                "joined": self.joined.isoformat() if self.joined else None}


@dataclass
class Plan:
    """A checked roster: ``sha256`` binds a preview to the exact file it was made from."""

    sha256: str
    rows: int
    people: list[Person] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def good(self) -> bool:
        return bool(self.people) and not self.problems

    def as_json(self) -> dict[str, object]:
        return {"sha256": self.sha256, "rows": self.rows, "good": self.good,
            "people": [p.as_json() for p in self.people],
            "problems": [p.as_json() for p in self.problems]}


def _checked(row: Row, problems: list[Problem]) -> Person | None:
    before = len(problems)

    def get(name: str, checker: Callable[[str], object]) -> object:
        try:
            return checker(row.fields[name])
        except check.Bad as bad:
            problems.append(Problem(row.number, name, bad.code, str(bad), row.fields[name]))
            return None

    values = {name: get(name, checker) for name, checker in (
        ("name", check.name), ("username", check.username), ("phone", check.phone),
        ("email", check.email), ("id_number", check.id_number), ("role", check.role),
        ("joined", check.joined))}
    if len(problems) > before:
        return None
    return Person(row.number, **values)  # type: ignore[arg-type]


async def plan_roster(db: AsyncSession, data: bytes) -> Plan:
    """``data`` read and checked: each row's fields, usernames twice in the file, and
    usernames already taken (by anyone: a username names one account forever)."""
    rows = await asyncio.to_thread(read_roster, data)  # a big workbook takes seconds
    plan = Plan(hashlib.sha256(data).hexdigest(), len(rows))
    first_seen: dict[str, int] = {}
    candidates = []
    for row in rows:
        person = _checked(row, plan.problems)
        username = row.fields["username"].lower()
        if username in first_seen:
            plan.problems.append(Problem(
                row.number, "username", "duplicate_in_file",
                f"username {row.fields['username']!r} is also on row {first_seen[username]}",
                row.fields["username"]))
            person = None
        elif username:
            first_seen[username] = row.number
        if person is not None:
            candidates.append(person)
    names = [p.username.lower() for p in candidates]
    taken: set[str] = set()
    for start in range(0, len(names), 500):  # bounded IN lists
        taken |= set((await db.scalars(select(func.lower(User.username)).where(
            func.lower(User.username).in_(names[start:start + 500])))).all())
    for person in candidates:
        if person.username.lower() in taken:
            plan.problems.append(Problem(person.row, "username", "taken",
                                         f"username {person.username!r} is already taken",
                                         person.username))
        else:
            plan.people.append(person)
    plan.problems.sort(key=lambda p: p.row)
    return plan
