"""The content editor's pages: exhibits and versions, upload, a version, a comparison."""

from tests.server.role_rows import page

EDITORS = page("editor", "admin")
ROWS = [
    ("GET", "/editor/exhibits", EDITORS),
    ("GET", "/editor/exhibits/upload", EDITORS),
    ("GET", "/editor/exhibits/founding/1.0.0", EDITORS),
    ("GET", "/editor/exhibits/founding/diff", EDITORS),
]
