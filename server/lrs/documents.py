"""The LRS's document store: State, Activity Profile and Agent Profile documents.

A document is addressed by its resource, activity and/or agent, registration (State only)
and its id. Writes honour ``If-Match``/``If-None-Match`` (412 when they fail); a POST
merges JSON objects key by key; everything else is stored as sent, bytes and type.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import XapiDocument
from server.lrs.http import XapiError
from server.lrs.in_flight import stored_now

RESOURCES = ("state", "activity_profile", "agent_profile")


class DocumentError(XapiError):
    """A request the document resources refuse, with the HTTP status to answer."""


@dataclass(frozen=True)
class Scope:
    """Where documents live: the resource and its activity and/or agent (agent key)."""

    resource: str
    activity: str = ""
    agent: str = ""

    @property
    def digest(self) -> str:
        raw = json.dumps([self.resource, self.activity, self.agent]).encode()
        return hashlib.sha256(raw).hexdigest()

    def key(self, registration: str, document_id: str) -> str:
        raw = json.dumps([self.digest, registration, document_id]).encode()
        return hashlib.sha256(raw).hexdigest()


@dataclass(frozen=True)
class Conditions:
    """The request's ``If-Match`` / ``If-None-Match`` headers, unquoted."""

    if_match: list[str] | None = None
    if_none_match: list[str] | None = None

    @classmethod
    def from_headers(cls, if_match: str | None, if_none_match: str | None) -> Conditions:
        def tags(value: str | None) -> list[str] | None:
            if value is None:
                return None
            return [t.strip().removeprefix("W/").strip('"') for t in value.split(",")]
        return cls(tags(if_match), tags(if_none_match))

    @property
    def given(self) -> bool:
        return self.if_match is not None or self.if_none_match is not None

    def check(self, current: XapiDocument | None) -> None:
        etag = current.etag if current else None
        if self.if_match is not None and not (
                etag and ("*" in self.if_match or etag in self.if_match)):
            raise DocumentError(412, "If-Match does not match the document's current ETag"
                                if etag else "If-Match was sent, but there is no such document")
        if self.if_none_match is not None and etag and (
                "*" in self.if_none_match or etag in self.if_none_match):
            raise DocumentError(412, "If-None-Match: the document already exists"
                                if "*" in self.if_none_match else
                                "If-None-Match matches the document's current ETag")


def etag_of(content: bytes) -> str:
    return hashlib.sha1(content).hexdigest()  # noqa: S324 — an ETag, not a security hash


async def _current(db: AsyncSession, key: str) -> XapiDocument | None:
    return await db.scalar(select(XapiDocument).where(XapiDocument.key == key))


async def get(sessions: async_sessionmaker[AsyncSession], scope: Scope, registration: str,
              document_id: str) -> XapiDocument | None:
    async with sessions() as db:
        return await _current(db, scope.key(registration, document_id))


async def ids(sessions: async_sessionmaker[AsyncSession], scope: Scope,
              registration: str | None, since: datetime | None) -> list[str]:
    query = select(XapiDocument.document_id).where(XapiDocument.scope == scope.digest)
    if registration is not None:
        query = query.where(XapiDocument.registration == registration)
    if since is not None:
        query = query.where(XapiDocument.updated > since)
    async with sessions() as db:
        return sorted(set((await db.scalars(query)).all()))


def _json_object(content: bytes, what: str) -> dict[str, Any]:
    try:
        value = json.loads(content)
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise DocumentError(400, f"{what} is not a JSON object, so the two cannot be merged; "
                                 "PUT to replace the document instead")
    return value


async def write(sessions: async_sessionmaker[AsyncSession], scope: Scope, registration: str,
                document_id: str, content: bytes, content_type: str, conditions: Conditions,
                *, merge: bool, must_be_conditional: bool) -> str:
    """Stores (PUT) or merges into (POST) a document; returns its new ETag."""
    key = scope.key(registration, document_id)
    for _attempt in range(3):
        try:
            return await _write_once(sessions, scope, key, registration, document_id,
                                     content, content_type, conditions, merge=merge,
                                     must_be_conditional=must_be_conditional)
        except IntegrityError:
            continue  # another writer created it at the same moment: judge again
    raise DocumentError(409, "the document is being changed by others; try again")


async def _write_once(sessions: async_sessionmaker[AsyncSession], scope: Scope, key: str,
                      registration: str, document_id: str, content: bytes,
                      content_type: str, conditions: Conditions, *, merge: bool,
                      must_be_conditional: bool) -> str:
    async with sessions() as db, db.begin():
        current = await _current(db, key)
        conditions.check(current)
        if current is not None and must_be_conditional and not conditions.given:
            raise DocumentError(409, "this document exists: send If-Match with its ETag "
                                     "(or If-None-Match: *) so changes are not lost")
        if merge and current is not None:
            if not _is_json(current.content_type) or not _is_json(content_type):
                raise DocumentError(400, "POST merges JSON documents only; both the "
                                         "stored and the sent document must be "
                                         "application/json (PUT replaces any document)")
            merged = {**_json_object(current.content, "the stored document"),
                      **_json_object(content, "the sent document")}
            content = json.dumps(merged, ensure_ascii=False).encode()
            content_type = "application/json"
        elif merge and _is_json(content_type):
            _json_object(content, "the sent document")
        now = stored_now()[0]
        etag = etag_of(content)
        if current is None:
            db.add(XapiDocument(key=key, scope=scope.digest, registration=registration,
                                document_id=document_id, content_type=content_type,
                                content=content, etag=etag, updated=now))
        else:
            current.content, current.content_type = content, content_type
            current.etag, current.updated = etag, now
        await db.flush()
        return etag


async def remove(sessions: async_sessionmaker[AsyncSession], scope: Scope,
                 registration: str | None, document_id: str | None,
                 conditions: Conditions) -> None:
    """Deletes one document, or (State only) every one in the scope and registration."""
    async with sessions() as db, db.begin():
        if document_id is not None:
            key = scope.key(registration or "", document_id)
            conditions.check(await _current(db, key))
            await db.execute(delete(XapiDocument).where(XapiDocument.key == key))
            return
        query = delete(XapiDocument).where(XapiDocument.scope == scope.digest)
        if registration is not None:
            query = query.where(XapiDocument.registration == registration)
        await db.execute(query)


def _is_json(content_type: str) -> bool:
    return content_type.split(";")[0].strip().lower() == "application/json"
