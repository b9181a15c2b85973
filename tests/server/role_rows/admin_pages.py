"""The committee's pages (people, roster import, audit log, LRS clients, trusted keys)
and the roster import's API: the administrator's alone."""

from tests.server.role_rows import page

ADMIN = page("admin")
ROWS = [
    ("POST", "/api/roster/preview", {"admin"}),
    ("POST", "/api/roster/commit", {"admin"}),
]
