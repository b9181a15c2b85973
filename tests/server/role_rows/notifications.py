"""The inbox: every role has one (its own notices only), as an API and as a page."""

from tests.server.role_rows import page

ALL = {"member", "guide", "editor", "admin"}
ROWS = [
    ("GET", "/api/notifications", ALL),
    ("POST", "/api/notifications/999999/read", ALL),  # 404 for the allowed: no such notice
    ("POST", "/api/notifications/read-all", ALL),
    ("GET", "/notifications", page()),
]
