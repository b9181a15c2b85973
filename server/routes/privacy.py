"""Consent, a member's export of all their data, deletion with anonymization, the audit log."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from protocol.api import ConsentRequest
from server import personal_data
from server.audit import record
from server.auth import EVERYONE, Principal, forget_credentials, require
from server.db.models import AuditEntry, Consent, Credential, Notification, User
from server.db.types import utcnow
from server.errors import json_error
from server.keys import CIPHER, HUB, LEARNING, SESSIONS, SETTINGS, SIGNER
from server.recording import VOICE_CONSENT
from server.recording.forget import forget_member_voice
from server.roster.scope import audit_scoped, managed_user, oversees_user, tree_of
from server.routes.credits import target_of
from server.routes.recordings import RECORDINGS
from server.validation import body, dumps, path_id

routes = web.RouteTableDef()


@routes.post("/api/me/consent")
async def give_consent(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    data = await body(request, ConsentRequest)
    async with request.app[SESSIONS].begin() as db:
        await record_consent(db, principal.user_id, data)
    await after_consent(request.app, principal.user_id, data)
    return web.json_response({"ok": True}, status=201)


async def after_consent(app: web.Application, user_id: int, data: ConsentRequest) -> None:
    """Once a consent is stored: a withdrawn voice-recording consent takes the member's
    voice out of the recordings that kept it."""
    if data.purpose == VOICE_CONSENT and not data.granted:
        await forget_voice(app, user_id)


async def forget_voice(app: web.Application, user_id: int) -> None:
    """The member's voice out of every recording (a withdrawn consent, a deleted account):
    the tours being recorded, on this server process or any other sharing its Redis, keep
    no more of it and drop what they kept; the stored recordings are rewritten without it.
    The guides' voices and the tours' events stay."""
    await app[HUB].withdraw_voice(user_id)
    await forget_member_voice(app[SESSIONS], app[RECORDINGS], user_id)


async def record_consent(db: AsyncSession, user_id: int, data: ConsentRequest) -> None:
    """Adds the consent given or withdrawn to the member's history."""
    db.add(Consent(user_id=user_id, purpose=data.purpose, text_version=data.text_version,
                   granted=data.granted))
    user = await db.get(User, user_id)
    assert user is not None
    user.consent_at = utcnow() if data.granted else None


@routes.get("/api/users/{id:[0-9]{1,10}}/export")
async def export(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    user_id = path_id(request, "user")
    if principal.user_id != user_id and principal.role != "admin":
        raise json_error(403, "you may export only your own data")
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, user_id)
        if user is None or user.deleted_at is not None \
                or not await oversees_user(db, principal, user):  # outside the tree: none
            raise json_error(404, "no such user")
        settings = request.app[SETTINGS]
        data = await personal_data.gather(
            db, user, cipher=request.app[CIPHER], site=request.app[LEARNING].site,
            signer=request.app[SIGNER], target=target_of(request, user),
            site_url=settings.configured_site_url)
    response = web.json_response(data, dumps=dumps)
    response.headers["Content-Disposition"] = f'attachment; filename="redhall-user-{user_id}.json"'
    return response


@routes.delete("/api/users/{id:[0-9]{1,10}}")
async def delete_user(request: web.Request) -> web.Response:
    """Remove a member's identity; their participation stays, attached to no one."""
    principal = require(request, "admin")
    user_id = path_id(request, "user")
    async with request.app[SESSIONS].begin() as db:
        user, _ = await managed_user(db, principal, user_id)  # NotFound outside the tree
        await anonymize(db, principal, user)
    forget_credentials(request.app)
    await forget_voice(request.app, user_id)
    return web.json_response({"ok": True})


async def anonymize(db: AsyncSession, principal: Principal, user: User) -> None:
    """Removes ``user``'s identity and log-ins; their participation stays, attached to no
    one. The caller forgets the cached credentials once the transaction is committed."""
    user.username = f"deleted-{user.id}"
    user.display_name = "（已删除）"
    user.password_hash = "!"
    user.phone_enc = user.id_number_enc = user.email = None
    user.deleted_at = utcnow()
    await db.execute(delete(Notification).where(Notification.user_id == user.id))
    await db.execute(update(Credential).where(Credential.user_id == user.id)
                     .values(revoked_at=utcnow()))
    record(db, principal, "user.delete", f"user:{user.id}")


@routes.get("/api/audit")
async def audit_log(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    async with request.app[SESSIONS]() as db:
        scoped = audit_scoped(select(AuditEntry), principal, await tree_of(db, principal))
        entries = (await db.scalars(scoped.order_by(AuditEntry.id.desc()).limit(500))).all()
    return web.json_response([{"id": e.id, "at": e.at.isoformat(), "actor_id": e.actor_id,
                               "action": e.action, "target": e.target, "detail": e.detail}
                              for e in entries])
