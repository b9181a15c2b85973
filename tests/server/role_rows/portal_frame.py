"""The portal's frame: log-in, log-out, one's own password, the language switch, the front
door, its files."""

from tests.server.role_rows import page

PUBLIC = "public"
ROWS = [
    ("GET", "/", PUBLIC),  # sends each role to its home, and strangers to the log-in page
    ("GET", "/login", PUBLIC),
    ("POST", "/login", PUBLIC),
    ("POST", "/lang", PUBLIC),
    ("GET", "/static/css/portal.css", PUBLIC),
    ("GET", "/vendor/echarts.min.js", PUBLIC),
    ("POST", "/logout", page()),
    ("GET", "/account/password", page()),
    ("POST", "/account/password", page()),
]
