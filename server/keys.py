"""Typed application keys: everything the app holds, named once."""

from __future__ import annotations

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from server.catalog_store import PackageStore
from server.credits.awards import Credits
from server.credits.signing import Signer
from server.crypto import PersonalDataCipher
from server.live.hub import Hub
from server.lrs.clients import ClientDirectory
from server.participation_store import Learning
from server.settings import Settings
from server.ttl_cache import TTLCache
from server.workers import WorkerRole

SETTINGS = web.AppKey("settings", Settings)
ENGINE = web.AppKey("engine", AsyncEngine)
SESSIONS = web.AppKey("sessions", async_sessionmaker[AsyncSession])
CIPHER = web.AppKey("cipher", PersonalDataCipher)
STORE = web.AppKey("store", PackageStore)
TRUSTED = web.AppKey("trusted", list[Ed25519PublicKey])
# token digest -> (principal or None, credential expiry); see server.auth
CREDENTIALS = web.AppKey("credentials", TTLCache)
# the published catalog listing, serialized
LISTING = web.AppKey("listing", TTLCache)
# live tours running in this process
HUB = web.AppKey("hub", Hub)
# LRS clients by their Basic credentials
LRS_CLIENTS = web.AppKey("lrs_clients", ClientDirectory)
# how facts become xAPI statements; the credit evaluator
LEARNING = web.AppKey("learning", Learning)
CREDITS = web.AppKey("credits", Credits)
# the server's Ed25519 key for certificates and the ledger head
SIGNER = web.AppKey("signer", Signer)
# which of several `redhall serve --workers` this process is (absent: the only one)
ROLE = web.AppKey("role", WorkerRole)
