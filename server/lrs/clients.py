"""LRS clients: credentials presented with HTTP Basic auth, what each may do, and the
authority its statements carry."""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db.models import XapiClient
from server.db.types import utcnow
from server.ttl_cache import TTLCache

SCOPES = ("write", "read", "read_mine")


@dataclass(frozen=True)
class Client:
    id: int
    name: str
    key: str
    scopes: frozenset[str]
    user_id: int | None
    expires_at: datetime | None

    def authority(self, site_url: str) -> dict[str, Any]:
        return {"objectType": "Agent", "name": self.name,
                "account": {"homePage": site_url, "name": self.key}}

    @property
    def reads_all(self) -> bool:
        return "read" in self.scopes


def _digest(secret: str) -> str:
    # secrets are 32 random bytes, so a plain hash is enough (and fast per request)
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_client(sessions: async_sessionmaker[AsyncSession], name: str,
                        scopes: tuple[str, ...], *, user_id: int | None = None,
                        expires_at: datetime | None = None,
                        key: str | None = None, secret: str | None = None) -> tuple[str, str]:
    """A new client; returns its key and secret (the secret is not kept). Key and secret
    are made here unless given (to match credentials configured elsewhere)."""
    unknown = set(scopes) - set(SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes {sorted(unknown)}; choose from {', '.join(SCOPES)}")
    key, secret = key or secrets.token_hex(12), secret or secrets.token_urlsafe(32)
    async with sessions.begin() as db:
        db.add(XapiClient(name=name, key=key, secret_hash=_digest(secret),
                          scopes=" ".join(scopes), user_id=user_id, expires_at=expires_at))
    return key, secret


def basic_credentials(header: str) -> tuple[str, str] | None:
    """(key, secret) from an ``Authorization: Basic ...`` header, or None."""
    scheme, _, value = header.strip().partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (key, secret) if sep else None


class ClientDirectory:
    """Looks clients up by their Basic credentials, caching hits for a few seconds."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions
        self._cache: TTLCache[str, tuple[Client | None]] = TTLCache(5.0)

    async def authenticate(self, header: str) -> Client | None:
        pair = basic_credentials(header)
        if pair is None:
            return None
        found = await self._cache.get_or_load(_digest(header), lambda: self._load(*pair))
        client = found[0]
        if client is not None and client.expires_at is not None and client.expires_at < utcnow():
            return None
        return client

    async def _load(self, key: str, secret: str) -> tuple[Client | None]:
        async with self.sessions() as db:
            row = (await db.execute(select(XapiClient).where(XapiClient.key == key))).scalar()
        if row is None or row.revoked_at is not None or \
                not secrets.compare_digest(row.secret_hash, _digest(secret)):
            return (None,)
        return (Client(row.id, row.name, row.key, frozenset(row.scopes.split()), row.user_id,
                       row.expires_at),)

    def forget(self) -> None:
        self._cache.clear()
