"""Narration text as the Mandarin voice should read it, and the version of that reading."""

from __future__ import annotations

import hashlib

from tools.mandarin.lexicon import Lexicon, default_lexicon, spoken
from tools.mandarin.normalize import fold_width, spell_latin, spell_numbers
from tools.mandarin.sandhi import with_sandhi
from tools.mandarin.script import folding_table
from tools.mandarin.voice import VOICE

# Raise when a rule in normalize.py, numbers.py or sandhi.py changes how a text is read:
# old narrations are then spoken again (the lexicon file's own digest covers its edits,
# the folding table of script.py is part of the version too).
NORMALIZER_VERSION = "3"

__all__ = ["VOICE", "reading_version", "speakable"]


def speakable(text: str, lexicon: Lexicon | None = None) -> str:
    """``text`` with numbers and Latin letters spelled out, lexicon words as pinyin, and
    一/不 as pinyin where their tone changes (一次: yi2, 不是: bu2).

    The result holds no Arabic digit; read by espeak-ng's ``cmn-latn-pinyin`` voice it
    stays in Mandarin throughout.
    """
    lexicon = lexicon or default_lexicon()
    return spoken(with_sandhi(lexicon.segments(spell_latin(spell_numbers(fold_width(text))))))


def reading_version() -> str:
    """Changes whenever the same text would be read differently (rules, lexicon, voice)."""
    parts = f"{NORMALIZER_VERSION}\0{VOICE}\0{default_lexicon().digest}\0{folding_table()}"
    return hashlib.sha256(parts.encode()).hexdigest()[:16]
