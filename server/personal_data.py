"""Everything stored about one person, for their data export: every row of every table
that names them (a table added later is included by its reference to ``users``), their
xAPI statements, attachments and documents, their credit awards and yearly certificates.
Secrets (password and token hashes, an LRS client's secret, a calendar feed token) are
left out: the export says that they exist, not what they are."""

from __future__ import annotations

import base64
import json
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from server.credits.certificate import issue
from server.credits.ledger import as_fields
from server.credits.signing import Signer
from server.crypto import PersonalDataCipher
from server.db.models import (
    AuditEntry,
    Base,
    LedgerEntry,
    StatementAgent,
    StatementRow,
    User,
    XapiAttachment,
    XapiDocument,
)
from server.lrs.documents import Scope
from server.lrs.facts import Site
from server.lrs.in_flight import stored_now
from server.lrs.shape import agent_key

SECRET_COLUMNS = frozenset({"password_hash", "token_hash", "secret_hash", "fetch_hash",
                            "calendar_token", "phone_enc", "id_number_enc"})
# the name each table's rows have in the export
SECTIONS = {
    "credentials": "credentials",  # log-ins and tokens: metadata only
    "consents": "consents",
    "registrations": "tour_registrations",
    "reminders": "reminders",
    "notifications": "notifications",
    "participation": "participation_facts",
    "activity_months": "activity_by_month",
    "credit_ledger": "credit_awards",
    "xapi_clients": "lrs_clients",
    "cmi5_launches": "cmi5_launches",
    "tours": "tours_led",
    "exhibit_versions": "exhibit_uploads",
    "audit_log": "audit_entries",
}


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode()}
    return value


def _row(table: Table, row: Any) -> dict[str, Any]:
    return {column.name: _value(row._mapping[column]) for column in table.columns
            if column.name not in SECRET_COLUMNS}


def user_tables() -> dict[str, list[str]]:
    """Each table with a column that refers to a user, and those columns."""
    found: dict[str, list[str]] = defaultdict(list)
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if any(key.column.table.name == "users" for key in column.foreign_keys):
                found[table.name].append(column.name)
    return dict(found)


async def gather(db: AsyncSession, user: User, *, cipher: PersonalDataCipher, site: Site,
                 signer: Signer, target: float, site_url: str | None = None
                 ) -> dict[str, Any]:
    """The export of ``user``: a JSON-ready dictionary, one section per kind of record.
    ``site_url``: the configured address certificates' check links name (None: none)."""
    account = {column.name: _value(getattr(user, column.key)) for column in
               User.__table__.columns if column.name not in SECRET_COLUMNS}
    account["phone"] = cipher.decrypt(user.phone_enc, "phone")
    account["id_number"] = cipher.decrypt(user.id_number_enc, "id_number")
    account["calendar_feed"] = user.calendar_token is not None
    data: dict[str, Any] = {"account": account}
    for name, columns in sorted(user_tables().items()):
        table = Base.metadata.tables[name]
        condition = or_(*(table.c[column] == user.id for column in columns))
        if name == "audit_log":  # also what others did to this account
            condition = or_(condition, AuditEntry.target == f"user:{user.id}")
        rows = (await db.execute(select(table).where(condition))).all()
        data[SECTIONS.get(name, name)] = [_row(table, row) for row in rows]
    data.update(await _learning_records(db, user.id, site))
    awards = (await db.scalars(select(LedgerEntry).where(LedgerEntry.user_id == user.id)
                               .order_by(LedgerEntry.seq))).all()
    by_year: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for entry in awards:
        by_year[entry.year].append(as_fields(entry))
    data["certificates"] = [
        issue(signer, member={"id": user.id, "name": user.display_name,
                              "username": user.username},
              year=year, target=target, entries=entries, issued_at=stored_now()[1],
              site_url=site_url)
        for year, entries in sorted(by_year.items())]
    return data


async def _learning_records(db: AsyncSession, user: int, site: Site) -> dict[str, Any]:
    """The xAPI statements about the person (as actor, object, or in a group or context),
    the attachments they carry, and the documents kept for the person."""
    me = agent_key(site.member(user))
    numbers = select(StatementAgent.number).where(StatementAgent.agent == me)
    rows = (await db.scalars(select(StatementRow).where(StatementRow.number.in_(numbers))
                             .order_by(StatementRow.number))).all()
    statements = [json.loads(row.body) for row in rows]
    hashes, activities = set(), set()
    for statement in statements:
        for attachment in statement.get("attachments", []):
            if isinstance(attachment, dict) and isinstance(attachment.get("sha2"), str):
                hashes.add(attachment["sha2"])
        target = statement.get("object", {})
        if isinstance(target, dict) and isinstance(target.get("id"), str):
            activities.add(target["id"])
    attachments = (await db.scalars(select(XapiAttachment).where(
        XapiAttachment.sha2.in_(sorted(hashes))))).all() if hashes else []
    scopes = {Scope("agent_profile", "", me).digest}
    scopes |= {Scope("state", activity, me).digest for activity in activities}
    documents = (await db.scalars(select(XapiDocument).where(
        XapiDocument.scope.in_(sorted(scopes))))).all()
    return {
        "xapi_statements": statements,
        "xapi_attachments": [{"sha2": a.sha2, "content_type": a.content_type,
                              "content": _value(a.content)} for a in attachments],
        "xapi_documents": [{"document_id": d.document_id, "registration": d.registration,
                            "content_type": d.content_type, "updated": _value(d.updated),
                            "content": _value(d.content)} for d in documents],
    }
