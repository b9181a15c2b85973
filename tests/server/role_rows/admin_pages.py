"""The committee's pages (people, roster import, audit log, LRS clients, trusted keys)
and the roster import's API: the administrator's alone."""

from tests.server.role_rows import page

ADMIN = page("admin")
PERSON = "/admin/people/{user}"
ROWS = [
    ("POST", "/api/roster/preview", {"admin"}),
    ("POST", "/api/roster/commit", {"admin"}),
    ("GET", "/admin/people", ADMIN),
    ("POST", "/admin/people/branches", ADMIN),
    ("GET", "/admin/roster", ADMIN),
    ("GET", PERSON, ADMIN),
    ("POST", PERSON + "/deactivate", ADMIN),
    ("POST", PERSON + "/reactivate", ADMIN),
    ("POST", PERSON + "/unlock", ADMIN),
    ("POST", PERSON + "/password", ADMIN),
    ("GET", PERSON + "/anonymize", ADMIN),
    ("POST", PERSON + "/anonymize", ADMIN),
    ("GET", "/admin/audit", ADMIN),
    ("GET", "/admin/lrs-clients", ADMIN),
    ("GET", "/admin/keys", ADMIN),
]
