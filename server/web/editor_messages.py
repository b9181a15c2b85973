"""The strings the editor's scripts show, picked from the message catalogue for a page's
``<script type="application/json" id="messages">`` block."""

from __future__ import annotations

from server.web.catalogue import catalogue, translate

# which catalogue keys (by prefix) each script needs
SCRIPTS = {
    "publish": ("editor.state.", "editor.action."),
    "upload": ("editor.upload.", "editor.refusal."),
}


def script_messages(lang: str, script: str) -> dict[str, str]:
    """The messages ``script`` needs in ``lang``, by their catalogue key."""
    prefixes = SCRIPTS[script]
    return {key: translate(lang, key) for key in catalogue() if key.startswith(prefixes)}
