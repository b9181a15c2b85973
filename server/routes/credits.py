"""Credits for members, evaluation on demand, yearly certificates, and the ledger check."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from html import escape
from typing import Any

from aiohttp import web
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from server.auth import EVERYONE, Principal, require
from server.credits import certificate_pdf
from server.credits.certificate import CertificateId, id_key, issue
from server.credits.ledger import as_fields, entries, entry_hash, problems
from server.db.models import LedgerEntry, User
from server.errors import json_error
from server.keys import CREDITS, SESSIONS, SETTINGS, SIGNER
from server.lrs.in_flight import stored_now
from server.roster.scope import oversees_user
from server.validation import body

routes = web.RouteTableDef()


def _year(request: web.Request) -> int:
    raw = request.query.get("year", str(datetime.now(UTC).year))
    if not (raw.isascii() and raw.isdigit() and len(raw) == 4 and 2000 <= int(raw) <= 2100):
        raise json_error(400, "year must be a calendar year such as 2026")
    return int(raw)


async def _member(request: web.Request, principal: Principal) -> User:
    """The member asked about: the caller, or (for admins and branch guides) ?user=ID."""
    wanted = request.query.get("user", str(principal.user_id))
    if not (wanted.isascii() and wanted.isdigit() and len(wanted) <= 10
            and 1 <= int(wanted) <= 2**31 - 1):
        raise json_error(400, "user must be a user id")
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, int(wanted))
        overseen = user is not None and principal.role == "admin" \
            and await oversees_user(db, principal, user)
    if user is None or user.deleted_at is not None:
        raise json_error(404, f"no user {wanted}")
    allowed = user.id == principal.user_id or overseen or (
        principal.role == "guide" and user.org_id is not None and user.org_id == principal.org_id)
    if not allowed:
        raise json_error(403, "you may see your own credits and, as a guide, your branch's")
    return user


async def awards_of(request: web.Request, user: int, year: int) -> list[dict[str, Any]]:
    async with request.app[SESSIONS]() as db:
        rows = (await db.scalars(select(LedgerEntry).where(
            LedgerEntry.user_id == user, LedgerEntry.year == year)
            .order_by(LedgerEntry.seq))).all()
    return [as_fields(row) for row in rows]


def target_for(request: web.Request, role: str) -> float:
    targets = request.app[SETTINGS].credit_targets
    return targets.get(role, targets.get("member", 32.0))


def target_of(request: web.Request, user: User) -> float:
    """The yearly target of ``user``: their own when one is set for them, else their role's."""
    return user.yearly_target if user.yearly_target is not None \
        else target_for(request, user.role)


@routes.get("/api/credits")
async def progress(request: web.Request) -> web.Response:
    principal = require(request, *EVERYONE)
    user, year = await _member(request, principal), _year(request)
    awards = await awards_of(request, user.id, year)
    hours = sum(float(a["hours"]) for a in awards)
    target = target_of(request, user)
    return web.json_response({
        "user": user.id, "year": year, "hours": round(hours, 2), "target": target,
        "remaining": round(max(target - hours, 0.0), 2),
        "awards": [{k: a[k] for k in ("seq", "hours", "subject", "basis", "at")}
                   for a in awards]})


@routes.get("/api/credits/certificate")
async def certificate(request: web.Request) -> web.Response:
    """The signed yearly certificate: JSON, or (``?format=pdf``) a printable PDF carrying
    the same signed JSON as an attached file."""
    principal = require(request, *EVERYONE)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "pdf"):
        raise json_error(400, "format must be json or pdf")
    user, year = await _member(request, principal), _year(request)
    document = issue(request.app[SIGNER],
                     member={"id": user.id, "name": user.display_name,
                             "username": user.username},
                     year=year, target=target_of(request, user),
                     entries=await awards_of(request, user.id, year), issued_at=stored_now()[1],
                     site_url=request.app[SETTINGS].configured_site_url)
    name = f"credits-{year}-{user.id}"
    if fmt == "pdf":
        data = await asyncio.to_thread(certificate_pdf.render, document)
        return web.Response(body=data, content_type="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return web.json_response(document, dumps=lambda v: json.dumps(v, ensure_ascii=False),
                             headers={"Content-Disposition":
                                      f'attachment; filename="{name}.json"'})


@routes.get("/api/certificates/{number}/check")
async def check_certificate(request: web.Request) -> web.Response:
    """Public: whether a certificate (by the id printed on it and in its QR code) matches
    the ledger now. Shows only the name, year, hours and number of awards; HTML for
    browsers, else JSON. Ids carry a digest keyed by the server's secret, so a made-up id
    (another member's, say) is answered invalid and names no one."""
    ident = CertificateId.parse(request.match_info["number"])
    result: dict[str, Any] = {"id": request.match_info["number"][:80], "valid": False}
    if ident is None:
        result["reason"] = "not a certificate number"
    else:
        result.update(await check_number(request, ident))
    if "text/html" in request.headers.get("Accept", "") and \
            request.query.get("format") != "json":
        return web.Response(text=_check_page(result), content_type="text/html")
    return web.json_response(result, dumps=lambda v: json.dumps(v, ensure_ascii=False))


async def check_number(request: web.Request, ident: CertificateId) -> dict[str, Any]:
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, ident.user)
        rows = (await db.scalars(select(LedgerEntry).where(
            LedgerEntry.user_id == ident.user, LedgerEntry.year == ident.year,
            LedgerEntry.seq <= ident.upto).order_by(LedgerEntry.seq))).all()
    entries = [as_fields(row) for row in rows]
    if user is None or user.deleted_at is not None or \
            not ident.matches(id_key(request.app[SIGNER]), entries):
        return {"reason": "no certificate with this number was issued by this server"}
    if any(entry_hash(entry) != entry["hash"] for entry in entries):
        return {"reason": "the credit ledger behind this certificate was altered"}
    hours = sum((Decimal(e["hours"]) for e in entries), Decimal(0))
    return {"valid": True, "name": user.display_name, "year": ident.year,
            "hours": str(hours), "awards": len(entries)}


def _check_page(result: dict[str, Any]) -> str:
    if result["valid"]:
        verdict = "✔ 证明有效"
        detail = (f"<p>{escape(result['name'])}，{result['year']} 年度已获 "
                  f"{escape(result['hours'])} 学时（{result['awards']} 项）。</p>")
    else:
        verdict = "✘ 证明无效"
        detail = f"<p>{escape(result.get('reason', ''))}</p>"
    return ("<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width\">"
            f"<title>学时证明核验</title><h1>{verdict}</h1>{detail}"
            f"<p>证明编号：{escape(result['id'])}</p></html>")


class EvaluateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: int | None = None


@routes.post("/api/credits/evaluate")
async def evaluate(request: web.Request) -> web.Response:
    require(request, "admin")
    data = await body(request, EvaluateRequest)
    if data.user is not None and not 1 <= data.user <= 2**31 - 1:
        raise json_error(400, "user must be a user id")
    result = await request.app[CREDITS].evaluate(data.user)
    return web.json_response({"awarded": [{"seq": e.seq, "user": e.user_id, "hours": e.hours,
                                           "subject": e.subject} for e in result.awarded],
                              "failures": [f.as_json() for f in result.failures]})


@routes.get("/api/credits/explain")
async def explain(request: web.Request) -> web.Response:
    """For each visit, tour taken or tour led in the year: every condition of its rule,
    met or missed, and the hours awarded (null: not awarded)."""
    principal = require(request, *EVERYONE)
    user, year = await _member(request, principal), _year(request)
    explained, failures = await request.app[CREDITS].explain(user.id, year)
    items = [{"kind": e.judgement.kind, "tour": e.judgement.tour,
              "via_tour": e.judgement.via_tour,
              "exhibit": e.judgement.exhibit, "scene": e.judgement.scene,
              "award_key": e.judgement.key, "hours": e.judgement.hours,
              "eligible": e.judgement.eligible, "awarded": e.awarded,
              "conditions": [c.as_json() for c in e.judgement.conditions]}
             for e in explained]
    return web.json_response({"user": user.id, "year": year, "items": items,
                              "failures": [f.as_json() for f in failures]})


@routes.get("/api/credits/ledger/verify")
async def verify(request: web.Request) -> web.Response:
    require(request, "admin")
    chain = await entries(request.app[SESSIONS])
    found = problems(chain, request.app[CREDITS].head.read())
    return web.json_response({"ok": not found, "entries": len(chain), "problems": found,
                              "head": chain[-1]["hash"] if chain else None})


@routes.get("/api/credits/signing-key")
async def signing_key(request: web.Request) -> web.Response:
    """The public key certificates are signed with, for `redhall certificate verify --key`."""
    return web.Response(text=request.app[SIGNER].public_text + "\n", content_type="text/plain")
