"""The member's pages: home, tours (register, cancel, join), the catalog, their record
(certificate QR, data export, consent) and the public certificate check."""

from tests.server.role_rows import page

PUBLIC = "public"
HOME = page("member", "guide")
TOURS = page("member", "guide", "admin")
ROWS = [
    ("GET", "/me", HOME),
    ("GET", "/tours", TOURS),
    ("POST", "/tours/1/register", TOURS),
    ("POST", "/tours/1/cancel", TOURS),
    ("GET", "/tours/1/join", TOURS),
    ("GET", "/exhibits", page()),
    ("GET", "/exhibits/founding", page()),
    ("GET", "/me/record", HOME),
    ("GET", "/me/record/certificate-qr.svg", HOME),
    ("GET", "/me/record/export.json", HOME),
    ("POST", "/me/record/consent", HOME),
    ("GET", "/check/1-2026-1-0123456789abcdef01234567", PUBLIC),
]
