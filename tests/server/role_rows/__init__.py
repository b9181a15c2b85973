"""Rows of the route × role matrix (tests/server/test_role_matrix.py), one module per area:
each module's ``ROWS`` lists (method, path template, allowed) like the matrix's own."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """A web page for ``roles``: anyone not logged in is sent to the log-in page (303)
    rather than answered 401; a logged-in user of another role gets a 403 page."""

    roles: frozenset[str]


def page(*roles: str) -> Page:
    return Page(frozenset(roles or ("member", "guide", "editor", "admin")))
