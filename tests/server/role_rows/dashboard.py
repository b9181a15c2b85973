"""The committee's dashboard: its API and its pages, for administrators only."""

from tests.server.role_rows import page

ROWS = [
    ("GET", "/api/dashboard", {"admin"}),
    ("GET", "/api/dashboard/members/{user}", {"admin"}),
    ("GET", "/admin/dashboard", page("admin")),
    ("GET", "/admin/dashboard/branches/999999", page("admin")),  # not found for the admin
    ("GET", "/admin/dashboard/members/{user}", page("admin")),
]
