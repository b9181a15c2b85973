"""The browser viewer: its page, the package's manifest and entries by hash for every
logged-in role, and the npm files it loads (three.js, the WebXR input profiles), public
like the portal's other files."""

from tests.server.role_rows import page

PUBLIC = "public"
EVERYONE = {"member", "guide", "editor", "admin"}
VERSION = "/api/exhibits/founding/1.0.0"
ROWS = [
    ("GET", "/exhibits/founding/versions/1.0.0/view", page()),
    ("GET", VERSION + "/manifest", EVERYONE),
    ("GET", VERSION + "/entries/" + "0" * 64, EVERYONE),
    ("GET", "/vendor/three/three.module.js", PUBLIC),
    ("GET", "/vendor/webxr-profiles/profilesList.json", PUBLIC),
]
