"""The member's pages: home (``/me``), tours, the catalog, their record, and the public
certificate check. The pages themselves live in ``member_*`` modules; this one holds the
home page and the table of every route."""

from __future__ import annotations

from aiohttp import web

from server.keys import SESSIONS
from server.web import member_exhibits, member_record, member_tours
from server.web.member_catalog import catalog
from server.web.member_history import activity, last_visits, toured_exhibits
from server.web.member_progress import progress
from server.web.rendering import language, page_principal, render

HOME_ROLES = ("member", "guide")


async def home(request: web.Request) -> web.Response:
    """学时 against the target, the tours I'm invited to, what I have yet to visit, and
    what I did last: one database session, the catalog from the process's copy."""
    principal = page_principal(request, *HOME_ROLES)
    lang = language(request)
    async with request.app[SESSIONS]() as db:
        mine = await progress(request, db, principal.user_id)
        shown = await catalog(request, db, lang)
        tours = await member_tours.upcoming(request, db, principal, shown.titles)
        titles = {**shown.titles, **await member_tours.tour_titles(db, mine.awards)}
        visited = await last_visits(db, principal.user_id, titles)
        walked = {v.exhibit for v in visited}
        to_visit = [card for card in shown.cards if card["id"] not in walked]
        if to_visit:
            # an exhibit seen on a guided tour is visited as much as one walked through alone
            toured = await toured_exhibits(db, principal.user_id)
            to_visit = [card for card in to_visit if card["id"] not in toured]
    return await render(request, "member/home.html", progress=mine, tours=tours[:5],
                        to_visit=to_visit, activity=activity(visited, mine.awards, lang, titles))


routes = web.RouteTableDef()
routes.get("/me")(home)
routes.get("/tours")(member_tours.tours_page)
routes.post("/tours/{id:[0-9]{1,10}}/register")(member_tours.register)
routes.post("/tours/{id:[0-9]{1,10}}/cancel")(member_tours.cancel)
routes.get("/tours/{id:[0-9]{1,10}}/join")(member_tours.join_page)
routes.get("/exhibits")(member_exhibits.catalog_page)
routes.get("/exhibits/{exhibit:[a-z0-9-]{1,64}}")(member_exhibits.exhibit_page)
routes.get("/me/record")(member_record.record_page)
routes.get("/me/record/certificate-qr.svg")(member_record.certificate_qr)
routes.get("/me/record/export.json")(member_record.export)
routes.post("/me/record/consent")(member_record.consent)
routes.get("/check/{number}")(member_record.check_page)
