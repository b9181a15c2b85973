"""Every route with every role: anonymous gets 401, the wrong role 403, the right one neither.

A route added to the server without a row here fails the test, so the matrix stays whole.
"""

from tests.server.conftest import World
from tests.server.role_rows import Page

PUBLIC = "public"
LRS = "lrs"  # HTTP Basic credentials of an LRS client; a log-in confers nothing
ALL = {"member", "guide", "editor", "admin"}
VERSION = "/api/exhibits/founding/1.0.0"
# (method, path template, allowed roles). {user}: a throwaway user; {admin}: the admin.
MATRIX = [
    ("GET", "/healthz", PUBLIC),
    ("GET", "/metrics", PUBLIC),
    ("POST", "/api/auth/login", PUBLIC),
    ("GET", "/calendar/{token}.ics", PUBLIC),
    ("GET", "/api/openapi.json", PUBLIC),
    ("GET", "/api/docs", PUBLIC),
    ("GET", "/api/me", ALL),
    ("POST", "/api/auth/tokens", ALL),
    ("DELETE", "/api/auth/tokens/999999", ALL),
    ("GET", "/api/orgs", ALL),
    ("POST", "/api/orgs", {"admin"}),
    ("GET", "/api/users", {"guide", "admin"}),
    ("POST", "/api/users", {"guide", "admin"}),
    ("GET", "/api/users/{admin}/export", {"admin"}),
    ("DELETE", "/api/users/{user}", {"admin"}),
    ("POST", "/api/me/consent", ALL),
    ("GET", "/api/audit", {"admin"}),
    ("GET", "/api/exhibits", ALL),
    ("POST", "/api/exhibits", {"editor", "admin"}),
    ("GET", VERSION, ALL),
    ("POST", VERSION + "/publish", {"editor", "admin"}),
    ("POST", VERSION + "/unpublish", {"editor", "admin"}),
    ("GET", VERSION + "/thumbnails/x.png", ALL),
    ("GET", VERSION + "/package", ALL),
    ("GET", "/api/tours", ALL),
    ("POST", "/api/tours", {"guide", "admin"}),
    ("GET", "/api/tours/1", ALL),
    ("PATCH", "/api/tours/1", {"guide", "admin"}),
    ("DELETE", "/api/tours/1", {"guide", "admin"}),
    ("GET", "/api/tours/1/attendance", {"guide", "admin"}),
    ("POST", "/api/tours/1/registration", ALL),
    ("DELETE", "/api/tours/1/registration", ALL),
    ("GET", "/api/tours/1/live", PUBLIC),
    ("POST", "/api/participation", ALL),  # a websocket: the token comes in its hello
    ("GET", "/api/me/calendar", ALL),
    ("POST", "/api/lrs-clients", {"admin"}),
    ("GET", "/api/lrs-clients", {"admin"}),
    ("DELETE", "/api/lrs-clients/0123456789abcdef01234567", {"admin"}),
    ("GET", "/api/credits", ALL),
    ("GET", "/api/credits/certificate", ALL),
    ("GET", "/api/credits/explain", ALL),
    ("GET", "/api/certificates/1-2026-1-0123456789abcdef01234567/check", PUBLIC),
    ("GET", "/api/credits/signing-key", PUBLIC),
    ("POST", "/api/credits/evaluate", {"admin"}),
    ("GET", "/api/credits/ledger/verify", {"admin"}),
    ("GET", "/api/reports/members", {"guide", "admin"}),
    ("GET", "/api/reports/branches", {"guide", "admin"}),
    ("GET", "/api/reports/exhibits", {"guide", "admin"}),
    ("POST", "/api/cmi5/launches", ALL),
    ("POST", "/xapi/cmi5/fetch/{token}", PUBLIC),
    ("GET", "/xapi/about", PUBLIC),
    ("GET", "/xapi/statements", LRS),
    ("PUT", "/xapi/statements", LRS),
    ("POST", "/xapi/statements", LRS),
    *((method, path, LRS) for path in ("/xapi/activities/state", "/xapi/activities/profile",
                                       "/xapi/agents/profile")
      for method in ("GET", "PUT", "POST", "DELETE")),
    ("GET", "/xapi/activities", LRS),
    ("GET", "/xapi/agents", LRS),
]


def _area_rows() -> list[tuple[str, str, object]]:
    """The rows each area keeps in tests/server/role_rows/."""
    import importlib
    import pkgutil

    from tests.server import role_rows

    rows: list[tuple[str, str, object]] = []
    for module in sorted(pkgutil.iter_modules(role_rows.__path__), key=lambda m: m.name):
        rows.extend(importlib.import_module(f"tests.server.role_rows.{module.name}").ROWS)
    return rows


MATRIX += _area_rows()
MATRIX.append(("POST", "/api/auth/logout", ALL))  # last: it ends the session it is called with




async def test_the_matrix_covers_every_route(world: World) -> None:
    app = world.client.server.app
    served = {(r.method, r.resource.canonical) for r in app.router.routes()
              if r.method != "HEAD" and r.resource is not None}
    listed = set()
    for method, path, _ in MATRIX:
        # the most specific route wins, as in the router: /x/new before /x/{id}
        match = min((c for m, c in served if m == method and _matches(c, path)),
                    key=lambda c: c.count("{"), default=None)
        assert match is not None, f"{method} {path} is not served"
        listed.add((method, match))
    assert served - listed == set(), "routes without a row in the role matrix"


def _matches(canonical: str, path: str) -> bool:
    import re

    if canonical == "/static":  # the portal's files: one resource for the whole folder
        return path.startswith("/static/")
    pattern = re.sub(r"\{[^}/]+\}", "[^/]+", re.escape(canonical).replace(r"\{", "{")
                     .replace(r"\}", "}"))
    sample = path.replace("{token}", "t" * 20).replace("{admin}", "1").replace("{user}", "2")
    return re.fullmatch(pattern, sample) is not None


async def test_every_role_gets_exactly_its_rights(world: World) -> None:
    client = world.client
    from server.bootstrap import ensure_user
    from server.keys import SESSIONS

    victim = await ensure_user(client.server.app[SESSIONS], "throwaway", "x" * 10, "member",
                               world.branch_a)
    failures = []
    for who in (None, "member", "guide", "editor", "admin"):
        for method, template, allowed in MATRIX:
            path = template.replace("{admin}", str(world.users["admin"])) \
                .replace("{user}", str(victim)).replace("{token}", "t" * 20)
            response = await client.request(method, path, headers=world.auth(who), json={},
                                            allow_redirects=False)
            status = response.status
            if isinstance(allowed, Page):
                ok = (status == 303 and response.headers["Location"].startswith("/login")
                      if who is None else
                      (status not in (401, 403)) if who in allowed.roles else status == 403)
            elif allowed == PUBLIC:
                ok = status not in (401, 403)
            elif allowed == LRS:
                ok = status in (400, 401)
            elif who is None:
                ok = status == 401
            else:
                ok = (status not in (401, 403)) if who in allowed else status == 403
            if not ok:
                failures.append(f"{who or 'anonymous'} {method} {path} -> {status}")
            assert status < 500, f"{method} {path} -> {status}: {await response.text()}"
    assert failures == []
