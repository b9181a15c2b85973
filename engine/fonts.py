"""The engine's fonts: the exhibit's own subset, and a full CJK font for runtime text.

A package carries a font subset holding exactly the characters its exhibit shows, so it
cannot draw what only arrives at runtime: participants' names, questions and chat lines
in a live tour. Those are drawn with a full CJK font found on the machine. Debian's
``fonts-wqy-microhei`` (WenQuanYi Micro Hei, Apache-2.0 or GPL-3 with the font
exception; installed by ``scripts/setup``) is the one looked for first; any font that
fontconfig says covers Simplified Chinese will do. Without one, runtime text falls back to
the subset (and a warning says so once), where characters outside it show as boxes.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from panda3d.core import DynamicTextFont, Filename, TextFont, TextNode

log = logging.getLogger(__name__)

KNOWN_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf"),
)
PIXELS_PER_UNIT = 48


@cache
def find_full_font() -> Path | None:
    """A font file covering Chinese: a known Debian font, else one fontconfig lists."""
    for path in KNOWN_FONTS:
        if path.is_file():
            return path
    fc_list = shutil.which("fc-list")
    if fc_list is not None:
        try:
            listed = subprocess.run([fc_list, ":lang=zh-cn", "file"], capture_output=True,
                                    text=True, timeout=10, check=False).stdout
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("fc-list failed (%s)", exc)
            listed = ""
        for line in sorted(listed.splitlines()):
            path = Path(line.split(":", 1)[0].strip())
            if path.suffix.lower() in (".ttf", ".ttc", ".otf") and path.is_file():
                return path
    return None


@cache
def _warn_missing() -> None:
    log.warning("no full CJK font found (install Debian's fonts-wqy-microhei); names, "
                "questions and chat are drawn with the exhibit's font subset, where "
                "characters outside it show as boxes")


def open_font(path: Path) -> DynamicTextFont:
    """A font of its own (not Panda3D's shared pool), so each view sets its resolution."""
    font = DynamicTextFont(Filename.fromOsSpecific(str(path)))
    font.setPixelsPerUnit(PIXELS_PER_UNIT)
    return font


@dataclass(frozen=True)
class Fonts:
    """The view's two fonts.

    Attributes:
        subset: the exhibit's own font, for its titles, narration and quiz items.
        ui: a full CJK font for runtime text; the subset when none was found.
        full: whether ``ui`` is a full font.
    """

    subset: TextFont
    ui: TextFont
    full: bool


def load_fonts(subset_path: Path) -> Fonts:
    """The package's subset and the machine's full CJK font (or the subset, with a warning)."""
    subset = open_font(subset_path)
    full = find_full_font()
    if full is None:
        _warn_missing()
        return Fonts(subset, subset, False)
    return Fonts(subset, open_font(full), True)


def missing_glyphs(font: TextFont, text: str) -> list[str]:
    """The characters of ``text`` (other than spaces) that ``font`` has no glyph for."""
    probe = TextNode("glyph-probe")
    probe.setFont(font)
    return [c for c in dict.fromkeys(text) if not c.isspace() and not probe.hasCharacter(c)]
