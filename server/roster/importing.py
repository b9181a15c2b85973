"""Importing a checked roster: every account in one transaction, each with a generated
temporary password that is handed back once (as a sheet to print) and kept only hashed.

Why generated passwords rather than a rule (the last six digits of the ID number, the
phone number): anyone who knows a colleague's phone number or ID card could log in as
them with a rule, and the ID number is optional. A sheet of random passwords, printed
and handed out by the branch secretary, is what a committee can actually distribute."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.audit import record
from server.auth import Principal, hash_password
from server.crypto import PersonalDataCipher
from server.db.models import Organization, User
from server.failures import Conflict
from server.roster.passwords import temporary_password
from server.roster.plan import Person, Plan
from server.spreadsheets import as_csv

SHEET_HEADER = ("行号 row", "姓名 name", "用户名 username", "初始密码 temporary password")


@dataclass(frozen=True)
class Imported:
    person: Person
    user_id: int
    password: str


async def import_roster(sessions: async_sessionmaker[AsyncSession], principal: Principal,
                        branch: Organization, plan: Plan, cipher: PersonalDataCipher,
                        file_name: str) -> list[Imported]:
    """Makes an account for every person of a good ``plan`` in ``branch``, all or none
    (Conflict if a username was taken since the preview)."""
    assert plan.good
    passwords = [temporary_password() for _ in plan.people]
    hashes = [await hash_password(p) for p in passwords]  # before the transaction
    done: list[Imported] = []
    try:
        async with sessions.begin() as db:
            for person, password, hashed in zip(plan.people, passwords, hashes, strict=True):
                user = User(username=person.username, display_name=person.name,
                            password_hash=hashed, password_temporary=True,
                            role=person.role, org_id=branch.id,
                            email=person.email,
                            phone_enc=cipher.encrypt(person.phone, "phone"),
                            id_number_enc=cipher.encrypt(person.id_number, "id_number"))
                db.add(user)
                await db.flush()
                done.append(Imported(person, user.id, password))
            record(db, principal, "roster.import", f"org:{branch.id}", sha256=plan.sha256,
                   file=file_name[:200], accounts=len(done),
                   users=[item.user_id for item in done])
    except IntegrityError:
        raise Conflict("a username of the roster was taken since it was checked: "
                       "check the file again") from None
    return done


def password_sheet(imported: list[Imported]) -> str:
    """The one-time sheet of temporary passwords, as CSV text (formula-safe)."""
    rows = [(item.person.row, item.person.name, item.person.username, item.password)
            for item in imported]
    return as_csv(SHEET_HEADER, rows).decode("utf-8")
