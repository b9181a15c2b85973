"""Font subsets: exactly the glyphs an exhibit shows, so Chinese renders on any machine."""

from __future__ import annotations

import io
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTLibError

from tools.errors import AssetError

# Always present: printable ASCII and the CJK punctuation the engine lays out.
BASE_CHARACTERS = "".join(chr(c) for c in range(0x20, 0x7F)) \
    + "，。、；：？！“”‘’（）《》—…·「」『』【】％"


def subset_font(source: Path, text: str) -> tuple[bytes, int]:
    """A TrueType subset of ``source`` (TTF, OTF, or the first face of a TTC).

    Returns the font bytes and the number of characters kept.
    Raises ``AssetError`` when the font cannot be read or lacks a character.
    """
    characters = sorted(set(text + BASE_CHARACTERS) - {"\n", "\r", "\t"})
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.recalc_timestamp = False
    options.font_number = 0
    options.drop_tables += ["FFTM"]  # a FontForge timestamp: not needed, not subsettable
    try:
        font = subset.load_font(str(source), options, dontLoadGlyphNames=True)
    except (OSError, TTLibError) as exc:
        raise AssetError(str(source), f"cannot read the font: {exc}",
                         "give a TrueType or OpenType font (.ttf, .otf, .ttc)") from exc
    try:
        cmap = font.getBestCmap()
        missing = [c for c in characters if ord(c) not in cmap and not c.isspace()]
        if missing:
            shown = "".join(missing[:20])
            raise AssetError(str(source), f"the font has no glyph for {len(missing)} "
                             f"character(s): {shown}",
                             "choose a font that covers them, or change the text")
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes=[ord(c) for c in characters])
        subsetter.subset(font)
        out = io.BytesIO()
        font.recalcTimestamp = False
        font.save(out)
    finally:
        font.close()
    return out.getvalue(), len(characters)
