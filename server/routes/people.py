"""Organizations (committees and branches) and the people in them.

An admin manages everything; a guide (branch secretary) manages the members of their
own branch only.
"""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from protocol.api import Org, OrgCreate, UserCreate
from server.audit import record
from server.auth import EVERYONE, STAFF, Principal, hash_password, require
from server.db.models import Organization, User
from server.errors import json_error
from server.keys import CIPHER, SESSIONS
from server.roster.scope import overseen_orgs
from server.routes.accounts import user_out
from server.validation import body

routes = web.RouteTableDef()


def _org(org: Organization) -> dict[str, object]:
    return Org(id=org.id, name=org.name, kind=org.kind, parent_id=org.parent_id).model_dump()


@routes.post("/api/orgs")
async def create_org(request: web.Request) -> web.Response:
    principal = require(request, "admin")
    data = await body(request, OrgCreate)
    async with request.app[SESSIONS].begin() as db:
        orgs = await overseen_orgs(db, principal)
        if data.parent_id is not None and (await db.get(Organization, data.parent_id) is None
                                           or (orgs is not None and data.parent_id not in orgs)):
            raise json_error(400, "invalid request body", fields=[
                {"field": "parent_id", "message": "no such organization"}])
        if orgs is not None and data.parent_id is None:
            raise json_error(403, "an administrator of a committee adds organizations "
                                  "under it only")
        if data.kind == "branch" and data.parent_id is None:
            raise json_error(400, "invalid request body", fields=[
                {"field": "parent_id", "message": "a branch belongs to a committee"}])
        org = Organization(name=data.name, kind=data.kind, parent_id=data.parent_id)
        db.add(org)
        await db.flush()
        record(db, principal, "org.create", f"org:{org.id}", name=data.name)
        out = _org(org)
    return web.json_response(out, status=201)


@routes.get("/api/orgs")
async def list_orgs(request: web.Request) -> web.Response:
    require(request, *EVERYONE)
    async with request.app[SESSIONS]() as db:
        orgs = (await db.scalars(select(Organization).order_by(Organization.id))).all()
    return web.json_response([_org(o) for o in orgs])


def _may_manage(principal: Principal, role: str, org_id: int | None,
                orgs: frozenset[int] | None) -> bool:
    """Whether the caller may add this account: an administrator within the tree they
    oversee (``orgs``; None: everything), a guide a member of their own branch."""
    if principal.role == "admin":
        return orgs is None or (org_id is not None and org_id in orgs)
    return principal.role == "guide" and role == "member" and org_id is not None \
        and org_id == principal.org_id


@routes.post("/api/users")
async def create_user(request: web.Request) -> web.Response:
    principal = require(request, *STAFF)
    data = await body(request, UserCreate)
    async with request.app[SESSIONS]() as db:
        orgs = await overseen_orgs(db, principal) if principal.role == "admin" else None
    if not _may_manage(principal, data.role, data.org_id, orgs):
        raise json_error(403, "guides may add members to their own branch only; "
                              "administrators of a committee, people of its tree only")
    cipher = request.app[CIPHER]
    user = User(username=data.username, display_name=data.display_name,
                password_hash=await hash_password(data.password), role=data.role,
                org_id=data.org_id,
                phone_enc=cipher.encrypt(data.phone, "phone"),
                id_number_enc=cipher.encrypt(data.id_number, "id_number"))
    try:
        async with request.app[SESSIONS].begin() as db:
            if data.org_id is not None and await db.get(Organization, data.org_id) is None:
                raise json_error(400, "invalid request body", fields=[
                    {"field": "org_id", "message": "no such organization"}])
            db.add(user)
            await db.flush()
            record(db, principal, "user.create", f"user:{user.id}", role=data.role)
            out = user_out(user)
    except IntegrityError:
        raise json_error(409, f"username `{data.username}` is taken") from None
    return web.json_response(out, status=201)


@routes.get("/api/users")
async def list_users(request: web.Request) -> web.Response:
    principal = require(request, *STAFF)
    query = select(User).where(User.deleted_at.is_(None)).order_by(User.id)
    async with request.app[SESSIONS]() as db:
        if principal.role == "guide":
            query = query.where(User.org_id == principal.org_id)
        elif (orgs := await overseen_orgs(db, principal)) is not None:
            query = query.where(User.org_id.in_(orgs))
        users = (await db.scalars(query)).all()
    return web.json_response([user_out(u) for u in users])
