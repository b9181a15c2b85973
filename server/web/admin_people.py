"""The committee's people pages: the tree of organizations (adding a branch), the people
of a branch (searched by name), and one person's page with what an administrator does to
an account: deactivate or reactivate, a temporary password, unlock, anonymize."""

from __future__ import annotations

from aiohttp import web
from sqlalchemy import func, or_, select

from server.audit import record
from server.auth import Principal, forget_credentials
from server.db.models import AuditEntry, Organization, User
from server.failures import BadRequest, Conflict
from server.keys import CIPHER, SESSIONS
from server.roster import accounts
from server.roster.scope import Tree, managed_user, tree_of
from server.routes import privacy
from server.validation import path_id, read_form, whole_number
from server.web.catalogue import translate
from server.web.rendering import language, page_principal, render, see_other

routes = web.RouteTableDef()
PERSON = "/admin/people/{id:[0-9]{1,10}}"
MAX_LISTED = 500  # people of one branch on one page; a search narrows it
NOTICES = ("deactivated", "reactivated", "unlocked", "anonymized", "branch_added")


def _like(text: str) -> str:
    """``text`` as a LIKE pattern that matches it anywhere, its wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _masked_phone(phone: str | None) -> str | None:
    return f"{phone[:3]}****{phone[-4:]}" if phone and len(phone) >= 8 else phone


async def _counts(request: web.Request, tree: Tree) -> dict[int, int]:
    async with request.app[SESSIONS]() as db:
        rows = (await db.execute(
            select(User.org_id, func.count()).where(User.deleted_at.is_(None),
                                                    User.org_id.in_(tree.ids))
            .group_by(User.org_id))).all()
    return {org_id: count for org_id, count in rows if org_id is not None}


@routes.get("/admin/people")
async def people(request: web.Request) -> web.Response:
    principal = page_principal(request, "admin")
    async with request.app[SESSIONS]() as db:
        tree = await tree_of(db, principal)
    chosen = request.query.get("org", "")
    selected = tree.get(number) if (number := whole_number(chosen)) is not None else None
    if selected is None:
        selected = next((n.org for n in tree.nodes if n.org.kind == "branch"),
                        tree.nodes[0].org if tree.nodes else None)
    search = request.query.get("q", "").strip()[:100]
    listed: list[User] = []
    if selected is not None:
        query = select(User).where(User.org_id == selected.id, User.deleted_at.is_(None))
        if search:
            pattern = _like(search)
            query = query.where(or_(User.display_name.like(pattern, escape="\\"),
                                    User.username.like(pattern, escape="\\")))
        async with request.app[SESSIONS]() as db:
            listed = list((await db.scalars(query.order_by(User.display_name, User.id)
                                            .limit(MAX_LISTED))).all())
    done = request.query.get("done")
    return await render(request, "admin/people.html", tree=tree.nodes,
                        counts=await _counts(request, tree), selected=selected,
                        people=listed, search=search, limit=MAX_LISTED,
                        notice=done if done in NOTICES else None,
                        committees=[n.org for n in tree.nodes if n.org.kind == "committee"])


@routes.post("/admin/people/branches")
async def add_branch(request: web.Request) -> web.Response:
    principal = page_principal(request, "admin")
    form = await read_form(request)
    lang = language(request)
    name = str(form.get("name", "")).strip()
    parent = str(form.get("parent_id", ""))
    if not name or len(name) > 200:
        raise BadRequest(translate(lang, "admin.branch.name_needed"))
    async with request.app[SESSIONS].begin() as db:
        tree = await tree_of(db, principal)
        committee = tree.org(whole_number(parent), "committee")
        if committee.kind != "committee":
            raise BadRequest(translate(lang, "admin.branch.under_committee"))
        branch = Organization(name=name, kind="branch", parent_id=committee.id)
        db.add(branch)
        await db.flush()
        record(db, principal, "org.create", f"org:{branch.id}", name=name)
    return see_other(f"/admin/people?org={branch.id}&done=branch_added")


async def _person(request: web.Request) -> tuple[Principal, User, Tree]:
    principal = page_principal(request, "admin")
    user_id = path_id(request, "person")
    async with request.app[SESSIONS]() as db:
        user, tree = await managed_user(db, principal, user_id)
    return principal, user, tree


@routes.get(PERSON)
async def person(request: web.Request) -> web.Response:
    principal, user, tree = await _person(request)
    cipher = request.app[CIPHER]
    async with request.app[SESSIONS]() as db:
        history = (await db.scalars(select(AuditEntry).where(
            AuditEntry.target == f"user:{user.id}").order_by(AuditEntry.id.desc())
            .limit(10))).all()
    done = request.query.get("done")
    return await render(
        request, "admin/person.html", person=user, org=tree.get(user.org_id),
        phone=_masked_phone(cipher.decrypt(user.phone_enc, "phone")),
        has_id_number=user.id_number_enc is not None, history=history,
        locked=user.locked_until is not None or user.failed_logins > 0,
        yourself=user.id == principal.user_id,
        notice=done if done in NOTICES else None)


@routes.post(PERSON + "/deactivate")
async def deactivate(request: web.Request) -> web.Response:
    principal, user, _ = await _person(request)
    if user.id == principal.user_id:
        raise Conflict(translate(language(request), "admin.person.not_yourself"))
    await accounts.deactivate(request.app, principal, user.id)
    return see_other(f"/admin/people/{user.id}?done=deactivated")


@routes.post(PERSON + "/reactivate")
async def reactivate(request: web.Request) -> web.Response:
    principal, user, _ = await _person(request)
    await accounts.reactivate(request.app, principal, user.id)
    return see_other(f"/admin/people/{user.id}?done=reactivated")


@routes.post(PERSON + "/unlock")
async def unlock(request: web.Request) -> web.Response:
    principal, user, _ = await _person(request)
    await accounts.unlock(request.app, principal, user.id)
    return see_other(f"/admin/people/{user.id}?done=unlocked")


@routes.post(PERSON + "/password")
async def reset_password(request: web.Request) -> web.Response:
    """The temporary password is on this answer only (not behind a redirect, not stored):
    the page is not cached, and reloading it does not show it again."""
    principal, user, _ = await _person(request)
    user, password = await accounts.reset_password(request.app, principal, user.id)
    return await render(request, "admin/password.html", person=user, password=password)


@routes.get(PERSON + "/anonymize")
async def anonymize_page(request: web.Request) -> web.Response:
    _, user, _ = await _person(request)
    return await render(request, "admin/anonymize.html", person=user, error=None)


@routes.post(PERSON + "/anonymize")
async def anonymize(request: web.Request) -> web.Response:
    """Confirmed by typing the username; then the account is removed by the same deletion
    a member's own request for erasure goes through (server.routes.privacy)."""
    principal, user, _ = await _person(request)
    form = await read_form(request)
    if user.id == principal.user_id:
        raise Conflict(translate(language(request), "admin.person.not_yourself"))
    if str(form.get("confirm", "")).strip() != user.username:
        response = await render(request, "admin/anonymize.html", status=400, person=user,
                                error=translate(language(request),
                                                "admin.anonymize.mismatch"))
        return response
    async with request.app[SESSIONS].begin() as db:
        target, _ = await managed_user(db, principal, user.id)
        await privacy.anonymize(db, principal, target)
    forget_credentials(request.app)
    await privacy.forget_voice(request.app, target.id)
    return see_other(f"/admin/people?org={user.org_id or ''}&done=anonymized")
