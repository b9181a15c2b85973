"""Mandarin reading of narration texts: number normalization and a pronunciation lexicon."""

from tools.mandarin.lexicon import Lexicon, LexiconError, default_lexicon, parse_lexicon
from tools.mandarin.normalize import spell_latin, spell_numbers
from tools.mandarin.numbers import cardinal, digit_string
from tools.mandarin.reading import VOICE, reading_version, speakable

__all__ = [
    "VOICE", "Lexicon", "LexiconError", "cardinal", "default_lexicon", "digit_string",
    "parse_lexicon", "reading_version", "speakable", "spell_latin", "spell_numbers",
]
