"""Statements in the database: stored whole batches at a time (or not at all), voided,
and found again by the xAPI query filters."""

from __future__ import annotations

import json
import uuid
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

import orjson
from sqlalchemy import ColumnElement, insert, select, union, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, aliased

from server.db.models import (
    ForwardItem,
    StatementActivity,
    StatementAgent,
    StatementRow,
    XapiAttachment,
)
from server.db.sqlite import writer_of
from server.db.types import utcnow
from server.failures import Conflict
from server.lrs import driver_sql
from server.lrs.attachments import Part, declared
from server.lrs.group_commit import GroupCommit
from server.lrs.in_flight import shared_by_hosts, storing, transaction_time
from server.lrs.rules import VOIDED, StatementError
from server.lrs.shape import normalized, related, same_statement

S = StatementRow
MAX_LIMIT = 500


class StatementConflict(Conflict):
    """A statement id is taken by a different statement (HTTP 409)."""

    def __init__(self, statement_id: str) -> None:
        super().__init__(f"statement {statement_id} is already stored with different content; "
                         "a statement id can never be reused")
        self.statement_id = statement_id


@dataclass(frozen=True)
class Writer:
    """Who is storing: the LRS client's id and the authority it gets."""

    client_id: int | None
    authority: dict[str, Any]
    version: str = "1.0.0"


def _completed(statement: dict[str, Any], writer: Writer, stored: str) -> dict[str, Any]:
    statement = normalized(statement)
    if "id" not in statement:
        statement["id"] = str(uuid.uuid4())
    statement.setdefault("timestamp", stored)
    statement["stored"] = stored
    statement["authority"] = writer.authority
    statement.setdefault("version", writer.version)
    return statement


class Row(NamedTuple):
    """A statement's row, in the driver's terms (``stored`` already converted)."""

    id: str
    stored: Any
    verb_id: str
    registration: str | None
    ref_target: str | None
    voiding: bool
    voided: bool
    client_id: int | None
    body: str


def _row(statement: dict[str, Any], client_id: int | None, stored: Any) -> Row:
    target = statement["object"]
    ref = target["id"] if target.get("objectType") == "StatementRef" else None
    return Row(statement["id"], stored, statement["verb"]["id"],
               statement.get("context", {}).get("registration"), ref,
               statement["verb"]["id"] == VOIDED and ref is not None, False, client_id,
               compact_json(statement))


def compact_json(value: Any) -> str:
    """JSON without spaces, non-ASCII kept as is; orjson (several times faster) unless a
    number is beyond its 64 bits."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Batch:
    """The statements of one request: stored together, or not at all."""

    statements: Sequence[dict[str, Any]]
    writer: Writer
    forward: bool = False
    attachments: Mapping[str, Part] = field(default_factory=dict)


class Fresh(NamedTuple):
    """A completed statement made ready to insert: its row, and the agents and activities
    it is about (as ``(key, direct)``)."""

    statement: dict[str, Any]
    row: Row
    agents: set[tuple[str, bool]]
    activities: set[tuple[str, bool]]
    forward: bool


def _made_ready(statements: Sequence[dict[str, Any]], writer: Writer, forward: bool, dialect: Any,
                stored_at: datetime, stored_text: str) -> list[Fresh]:
    stored_value = _as_bound(dialect, _STATEMENTS.c.stored, stored_at)
    ready = []
    for statement in statements:
        statement = _completed(statement, writer, stored_text)
        agents, activities = related(statement)
        ready.append(Fresh(statement, _row(statement, writer.client_id, stored_value),
                           agents, activities, forward))
    return ready


class Prepared(NamedTuple):
    """A batch with each of its statements made ready, in order (used if it is new)."""

    batch: Batch
    fresh: list[Fresh]


async def ingest(sessions: async_sessionmaker[AsyncSession], statements: Sequence[dict[str, Any]],
                 writer: Writer, *, forward: bool = False,
                 attachments: Mapping[str, Part] | None = None) -> list[str]:
    """Stores the batch and returns every statement's id once it is committed. Repeats of
    stored statements are skipped; a different statement under a stored id raises
    ``StatementConflict`` and nothing of the batch is stored. Batches that arrive together
    share a transaction (see ``group_commit``)."""
    ids = [s["id"] for s in statements if "id" in s]
    if len(set(ids)) != len(ids):
        raise StatementError("the batch holds the same statement id twice")
    batch = Batch(statements, writer, forward, attachments or {})
    return await _group_commit(sessions).submit((sessions, batch))


Submitted = tuple[async_sessionmaker[AsyncSession], Batch]
_GROUPS: weakref.WeakKeyDictionary[Any, GroupCommit[Submitted, list[str]]] = \
    weakref.WeakKeyDictionary()


def _group_commit(sessions: async_sessionmaker[AsyncSession]
                  ) -> GroupCommit[Submitted, list[str]]:
    """One group commit per database (the items carry their session maker, so the
    group keeps no database alive)."""
    key = sessions.kw["bind"].sync_engine
    group = _GROUPS.get(key)
    if group is None:
        # Two groups overlap: one is made ready while the other is written. SQLite takes
        # one writer at a time, so its writer thread queues the second; without that
        # thread (a database in memory) its groups queue here, where SQLite's busy handler
        # would make them sleep and retry.
        one_at_a_time = key.dialect.name == "sqlite" and writer_of(key) is None
        group = _GROUPS[key] = GroupCommit(
            lambda items: _store_group(items[0][0], [batch for _, batch in items]),
            size=lambda item: len(item[1].statements), parallel=1 if one_at_a_time else 2)
    return group


async def _store_group(sessions: async_sessionmaker[AsyncSession], batches: list[Batch]
                       ) -> list[list[str] | Exception]:
    """Each batch's ids, or the exception that rejected it, after one shared commit."""
    try:
        return await _in_one_transaction(sessions, batches)
    except Exception:
        if len(batches) == 1:
            raise
    # something failed below the statement checks: each batch alone, so one batch's
    # failure is not the others'
    outcomes: list[list[str] | Exception] = []
    for batch in batches:
        try:
            outcomes += await _in_one_transaction(sessions, [batch])
        except Exception as exc:  # noqa: BLE001 - reported to that batch's request
            outcomes.append(exc)
    return outcomes


async def _in_one_transaction(sessions: async_sessionmaker[AsyncSession], batches: list[Batch]
                              ) -> list[list[str] | Exception]:
    engine = sessions.kw["bind"].sync_engine
    # on SQLite the whole transaction runs in the writer thread (see server.db.sqlite)
    writer_thread = writer_of(engine)
    for attempt in range(3):
        try:
            if shared_by_hosts(engine.dialect):
                async with sessions.begin() as db:
                    stored = await transaction_time(db)
                    return await db.run_sync(_store_in,
                                             _prepared(batches, engine.dialect, stored))
            with storing() as stored:
                prepared = _prepared(batches, engine.dialect, stored)
                if writer_thread is not None:
                    return await writer_thread.run(_store_in, prepared)
                async with sessions.begin() as db:
                    return await db.run_sync(_store_in, prepared)
        except IntegrityError:  # another process stored one of these ids meanwhile
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _prepared(batches: list[Batch], dialect: Any, stored: tuple[datetime, str]
              ) -> list[Prepared]:
    return [Prepared(b, _made_ready(b.statements, b.writer, b.forward, dialect, *stored))
            for b in batches]


def _store_in(db: Session, prepared: list[Prepared]) -> list[list[str] | Exception]:
    held: dict[str, str | dict[str, Any]] = dict(_stored_bodies(
        db, [s["id"] for p in prepared for s in p.batch.statements if "id" in s]))
    outcomes: list[list[str] | Exception] = []
    fresh: list[Fresh] = []
    attachments: dict[str, Part] = {}
    for p in prepared:
        try:
            new = _sorted_out(p, held)
        except StatementConflict as exc:
            outcomes.append(exc)
            continue
        held.update((f.row.id, f.statement) for f in new)
        fresh += new
        attachments.update(p.batch.attachments)
        outcomes.append([f.row.id for f in p.fresh])
    if fresh:
        _insert(db, fresh)
    if attachments:
        _keep_attachments(db, attachments)
    return outcomes


def _sorted_out(p: Prepared, held: dict[str, str | dict[str, Any]]) -> list[Fresh]:
    """The batch's statements that are new; raises if one conflicts with a statement
    already held under its id."""
    new = []
    for statement, fresh in zip(p.batch.statements, p.fresh, strict=True):
        previous = held.get(statement.get("id", ""))
        if previous is None:
            new.append(fresh)
            continue
        if isinstance(previous, str):
            previous = held[statement["id"]] = json.loads(previous)
        if not same_statement(previous, normalized(statement), p.batch.writer.version):
            raise StatementConflict(statement["id"])
    return new


def _keep_attachments(db: Session, attachments: Mapping[str, Part]) -> None:
    held = set(db.scalars(select(XapiAttachment.sha2).where(
        XapiAttachment.sha2.in_(list(attachments)))).all())
    db.add_all(XapiAttachment(sha2=sha2, content_type=part.content_type, content=part.content)
               for sha2, part in attachments.items() if sha2 not in held)
    db.flush()


async def attachment_data(sessions: async_sessionmaker[AsyncSession], bodies: Sequence[str]
                          ) -> list[tuple[str, Part]]:
    """The data this LRS holds for the attachments of these statements."""
    wanted = sorted({a["sha2"].lower() for body in bodies
                     for a in declared(json.loads(body))})
    if not wanted:
        return []
    async with sessions() as db:
        rows = (await db.scalars(select(XapiAttachment).where(
            XapiAttachment.sha2.in_(wanted)))).all()
    return [(row.sha2, Part(row.content_type, row.content)) for row in rows]


def _stored_bodies(db: Session, ids: list[str]) -> dict[str, str]:
    return dict(driver_sql.select_in(db.connection(),
                                     "SELECT id, body FROM statements WHERE id IN ({})", ids))


async def insert_statements(db: AsyncSession, statements: list[dict[str, Any]], writer: Writer,
                            stored: datetime, stored_text: str, forward: bool) -> None:
    """Adds statements the server made itself (already valid, with fresh ids) to the
    caller's transaction, stored at a time the caller holds with :func:`storing` (on
    PostgreSQL, the transaction's own time: see ``server.lrs.in_flight``)."""
    assert db.bind is not None  # the server's sessions are made bound to its engine
    if shared_by_hosts(db.bind.dialect):
        stored, stored_text = await transaction_time(db)
    await db.run_sync(_insert, _made_ready(statements, writer, forward, db.bind.dialect,
                                           stored, stored_text))


_STATEMENTS = StatementRow.__table__


def _as_bound(dialect: Any, column: Any, value: Any) -> Any:
    """The value as the column's type hands it to the driver (once, not once a row)."""
    processor = column.type.dialect_impl(dialect).bind_processor(dialect)
    return processor(value) if processor else value


def _numbers(connection: Connection, rows: list[Row], rowids: list[int]) -> list[int]:
    """The numbers the database gave the statement rows just inserted."""
    if not rowids:
        numbered = dict(driver_sql.select_in(
            connection, "SELECT id, number FROM statements WHERE id IN ({})",
            [row.id for row in rows]))
        return [numbered[row.id] for row in rows]
    # the rowids SQLite reported; a wrong one would file agents under another statement
    first = connection.exec_driver_sql("SELECT id FROM statements WHERE number = ?",
                                       (rowids[0],)).scalar()
    if first != rows[0].id or len(rowids) != len(rows):
        raise RuntimeError("SQLite did not number the new statements one after another")
    return rowids


def _insert(db: Session, fresh: list[Fresh]) -> None:
    connection = db.connection()
    rows = [f.row for f in fresh]
    rowids = driver_sql.insert(connection, "statements", Row._fields, rows)
    numbers = _numbers(connection, rows, rowids)
    agents, activities = [], []
    for number, item in zip(numbers, fresh, strict=True):
        agents += [(a, number, d) for a, d in item.agents]
        activities += [(a, number, d) for a, d in item.activities]
    driver_sql.insert(connection, "statement_agents", ("agent", "number", "direct"), agents)
    driver_sql.insert(connection, "statement_activities", ("activity", "number", "direct"),
                      activities)
    targets = [row.ref_target for row in rows if row.voiding]
    if targets:  # a voiding statement never voids another voiding statement
        db.execute(update(S).where(S.id.in_(targets), S.voiding.is_(False))
                   .values(voided=True))
    new_ids = [row.id for row in rows if not row.voiding]
    early = [row.ref_target for row in driver_sql.select_in(
        connection, "SELECT ref_target FROM statements WHERE voiding "
                    "AND ref_target IS NOT NULL AND ref_target IN ({})", new_ids)]
    if early:  # voided before it arrived
        db.execute(update(S).where(S.id.in_(early)).values(voided=True))
    forwarded = [n for n, item in zip(numbers, fresh) if item.forward]
    if forwarded:
        db.execute(insert(ForwardItem), [
            {"number": n, "attempts": 0, "next_at": utcnow(), "last_error": ""}
            for n in forwarded])


async def one(sessions: async_sessionmaker[AsyncSession], statement_id: str, *,
              voided: bool, client_id: int | None = None) -> tuple[str, datetime] | None:
    """A statement by id: with ``voided`` only if it is voided, otherwise only if not."""
    query = select(S.body, S.stored).where(S.id == statement_id, S.voided.is_(voided))
    if client_id is not None:
        query = query.where(S.client_id == client_id)
    async with sessions() as db:
        row = (await db.execute(query)).first()
    return (row.body, row.stored) if row else None


@dataclass(frozen=True)
class Query:
    """The filters of ``GET /xapi/statements`` plus the paging position."""

    agent: str | None = None
    verb: str | None = None
    activity: str | None = None
    registration: str | None = None
    related_agents: bool = False
    related_activities: bool = False
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 0
    ascending: bool = False
    client_id: int | None = None  # a client that may read only its own statements
    after: int | None = None  # the last number on the previous page
    ceiling: int | None = None  # newest number when the first page was read

    @property
    def page_size(self) -> int:
        return MAX_LIMIT if self.limit <= 0 else min(self.limit, MAX_LIMIT)


def _matches(table: Any, q: Query) -> list[Any]:
    """Filters on a statement's content (applied to it, or to the statement it targets)."""
    found = []
    if q.verb is not None:
        found.append(table.verb_id == q.verb)
    if q.registration is not None:
        found.append(table.registration == q.registration)
    if q.agent is not None:
        about = [StatementAgent.agent == q.agent]
        if not q.related_agents:
            about.append(StatementAgent.direct.is_(True))
        found.append(table.number.in_(select(StatementAgent.number).where(*about)))
    if q.activity is not None:
        about = [StatementActivity.activity == q.activity]
        if not q.related_activities:
            about.append(StatementActivity.direct.is_(True))
        found.append(table.number.in_(select(StatementActivity.number).where(*about)))
    return found


def _window(q: Query) -> list[Any]:
    """Filters on the returned statement itself: visibility, time, page position."""
    found: list[ColumnElement[bool]] = [S.voided.is_(False)]
    if q.since is not None:
        found.append(S.stored > q.since)
    if q.until is not None:
        found.append(S.stored <= q.until)
    if q.client_id is not None:
        found.append(S.client_id == q.client_id)
    if q.ceiling is not None:
        found.append(S.number <= q.ceiling)
    if q.after is not None:
        found.append(S.number > q.after if q.ascending else S.number < q.after)
    return found


async def search(sessions: async_sessionmaker[AsyncSession], q: Query
                 ) -> tuple[list[str], Query | None]:
    """One page of statements (JSON texts) and the query for the next page, if any."""
    order = S.number.asc() if q.ascending else S.number.desc()
    take = q.page_size + 1
    matches = _matches(S, q)
    direct = select(S.number).where(*_window(q), *matches).order_by(order).limit(take)
    if matches:  # statements that target a matching statement count as matching too
        target = aliased(S, name="target")
        referring = (select(S.number).join(target, target.id == S.ref_target)
                     .where(S.ref_target.is_not(None), *_window(q), *_matches(target, q))
                     .order_by(order).limit(take))
        numbers = union(select(direct.subquery().c.number),
                        select(referring.subquery().c.number)).subquery()
        query = select(S.number, S.body).where(S.number.in_(select(numbers.c.number)))
    else:
        query = select(S.number, S.body).where(S.number.in_(direct.scalar_subquery()))
    async with sessions() as db:
        ceiling = q.ceiling
        if ceiling is None:
            ceiling = (await db.execute(select(S.number).order_by(S.number.desc()).limit(1))
                       ).scalar() or 0
        rows = (await db.execute(query.order_by(order).limit(take))).all()
    page = rows[:q.page_size]
    more = None
    if len(rows) > q.page_size:
        more = Query(**{**q.__dict__, "after": page[-1].number, "ceiling": ceiling})
    return [row.body for row in page], more

