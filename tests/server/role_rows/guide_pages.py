"""The guide's pages: their tours, scheduling, a tour (move, cancel), console, report."""

from tests.server.role_rows import page

GUIDES = page("guide", "admin")
ROWS = [
    ("GET", "/guide/tours", GUIDES),
    ("GET", "/guide/tours/new", GUIDES),
    ("POST", "/guide/tours/new", GUIDES),
    ("GET", "/guide/tours/1", GUIDES),
    ("POST", "/guide/tours/1/move", GUIDES),
    ("POST", "/guide/tours/1/cancel", GUIDES),
    ("GET", "/guide/tours/1/live", GUIDES),
    ("GET", "/guide/tours/1/report", GUIDES),
]
