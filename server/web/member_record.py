"""A member's record (``/me/record``): visits, tours, quiz results, awards, the yearly
certificate with its QR code, their data export and their consents; and the public page
a certificate's QR code opens (``/check/{number}``)."""

from __future__ import annotations

import io
from typing import Any

import segno
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from protocol.api import ConsentRequest
from server import personal_data
from server.credits.certificate import CertificateId, id_key
from server.db.models import Consent, User
from server.failures import BadRequest
from server.keys import CIPHER, LEARNING, SESSIONS, SETTINGS, SIGNER
from server.routes.credits import check_number as check_ledger
from server.routes.privacy import after_consent, record_consent
from server.tour_view import site_base
from server.validation import dumps, read_form
from server.web.catalogue import translate
from server.web.member_catalog import catalog
from server.web.member_history import tours_taken, visits
from server.web.member_progress import progress, yearly_target
from server.web.member_tours import tour_titles
from server.web.member_words import award_subject, hours_text
from server.web.rendering import language, page_principal, render

RECORD_ROLES = ("member", "guide")
PURPOSES = ("participation-records", "personal-data", "voice-recording")
CONSENT_TEXT_VERSION = "portal-1"  # the consent texts of member.yaml, as worded now


def certificate_number(request: web.Request, user_id: int, year: int,
                       awards: list[dict[str, Any]]) -> str:
    """The number the year's certificate carries (the same the API's certificate has)."""
    return str(CertificateId.of(id_key(request.app[SIGNER]), user_id, year, awards))


def check_address(request: web.Request, number: str) -> str:
    return f"{site_base(request)}/check/{number}"


async def _consents(db: AsyncSession, user_id: int) -> dict[str, bool]:
    """Each purpose's latest answer (False where none was given)."""
    rows = (await db.scalars(select(Consent).where(Consent.user_id == user_id)
                             .order_by(Consent.at, Consent.id))).all()
    latest = {purpose: False for purpose in PURPOSES}
    for row in rows:
        latest[row.purpose] = row.granted
    return latest


async def record_page(request: web.Request) -> web.Response:
    principal = page_principal(request, *RECORD_ROLES)
    lang = language(request)
    async with request.app[SESSIONS]() as db:
        mine = await progress(request, db, principal.user_id)
        shown = await catalog(request, db, lang)
        titles = {**shown.titles, **await tour_titles(db, mine.awards)}
        visited = await visits(db, principal.user_id, titles)
        tours = await tours_taken(db, principal.user_id, titles)
        consents = await _consents(db, principal.user_id)
    awards = [{"at": str(a["at"])[:10], "hours": hours_text(float(a["hours"])),
               "subject": award_subject(a["subject"], lang, titles)}
              for a in reversed(mine.awards)]
    number = certificate_number(request, principal.user_id, mine.year, mine.awards)
    return await render(
        request, "member/record.html", progress=mine, visits=visited, tours=tours,
        awards=awards, number=number, check_url=check_address(request, number),
        consents=consents,
        done=request.query.get("done") == "consent")


async def certificate_qr(request: web.Request) -> web.Response:
    """The QR code of this year's certificate: the address of its public check page."""
    principal = page_principal(request, *RECORD_ROLES)
    async with request.app[SESSIONS]() as db:
        mine = await progress(request, db, principal.user_id)
    number = certificate_number(request, principal.user_id, mine.year, mine.awards)
    out = io.BytesIO()
    segno.make(check_address(request, number), error="m").save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgclass=None, lineclass=None,
        title=translate(language(request), "member.record.qr_title"))
    return web.Response(body=out.getvalue(), content_type="image/svg+xml",
                        headers={"Cache-Control": "no-store"})


async def export(request: web.Request) -> web.Response:
    """Everything stored about the caller, as the administrators' export gathers it."""
    principal = page_principal(request, *RECORD_ROLES)
    async with request.app[SESSIONS]() as db:
        user = await db.get(User, principal.user_id)
        assert user is not None  # a deleted account has no session
        data = await personal_data.gather(
            db, user, cipher=request.app[CIPHER], site=request.app[LEARNING].site,
            signer=request.app[SIGNER],
            target=await yearly_target(request, db, user.id),
            site_url=request.app[SETTINGS].configured_site_url)
    response = web.json_response(data, dumps=dumps)
    response.headers["Content-Disposition"] = \
        f'attachment; filename="redhall-my-data-{user.id}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response


async def consent(request: web.Request) -> web.Response:
    """Grants or withdraws one consent, kept as the API keeps it (a row per answer, and
    the account's consent time)."""
    principal = page_principal(request, *RECORD_ROLES)
    form = await read_form(request)
    try:
        data = ConsentRequest(purpose=str(form.get("purpose", "")),  # type: ignore[arg-type]
                              text_version=CONSENT_TEXT_VERSION,
                              granted=form.get("granted") == "1")
    except ValidationError:
        raise BadRequest(translate(language(request), "member.consent.bad")) from None
    async with request.app[SESSIONS].begin() as db:
        await record_consent(db, principal.user_id, data)
    await after_consent(request.app, principal.user_id, data)
    return web.Response(status=303, headers={"Location": "/me/record?done=consent#consent"})


async def check_page(request: web.Request) -> web.Response:
    """Public: whether the certificate with this number is genuine, by the API's check."""
    lang = language(request)
    raw = request.match_info["number"]
    ident = CertificateId.parse(raw)
    result: dict[str, Any] = await check_ledger(request, ident) if ident is not None \
        else {"reason": "not a certificate number"}
    if result.get("valid"):
        verdict = translate(lang, "member.check.genuine", name=result["name"],
                            year=result["year"], hours=hours_text(float(result["hours"])),
                            awards=result["awards"])
    elif ident is None:
        verdict = translate(lang, "member.check.malformed")
    elif "altered" in str(result.get("reason", "")):
        verdict = translate(lang, "member.check.altered")
    else:
        verdict = translate(lang, "member.check.unknown")
    return await render(request, "member/check.html", valid=bool(result.get("valid")),
                        verdict=verdict, number=raw[:80])
