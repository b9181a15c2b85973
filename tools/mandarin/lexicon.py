"""The pronunciation lexicon: words the synthesizer reads wrongly, with their pinyin.

``lexicon.yaml`` beside this module maps a word (simplified characters; zh-TW text finds
it through ``script.py``) to its syllables in pinyin with tone numbers (5 = neutral tone),
one syllable per character. Replacing the word by its pinyin makes espeak-ng's
``cmn-latn-pinyin`` voice say exactly those syllables.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from tools.mandarin.script import simplified

LEXICON_FILE = Path(__file__).with_name("lexicon.yaml")
_SYLLABLE = re.compile(r"[a-z]{1,6}[1-5]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
MAX_WORD = 12
# A piece of text and, for a lexicon word (or a syllable read by rule), its pinyin.
Segment = tuple[str, str | None]


class LexiconError(ValueError):
    """The lexicon file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Lexicon:
    """Words -> space-separated pinyin syllables, applied longest word first."""

    words: dict[str, str]
    digest: str

    def apply(self, text: str) -> str:
        """``text`` with every lexicon word replaced by its pinyin, set apart by spaces."""
        return spoken(self.segments(text))

    def segments(self, text: str) -> list[Segment]:
        """``text`` cut into lexicon words (with their pinyin) and single other characters.

        Scans left to right taking the longest word that starts at each position, so
        overlapping entries resolve the same way on every run. Traditional characters
        match their simplified entry (``script.py``); the text keeps its own script.
        """
        longest = max((len(w) for w in self.words), default=0)
        folded = simplified(text)  # 重慶 finds 重庆: words match in either script
        out: list[Segment] = []
        index = 0
        while index < len(text):
            for size in range(min(longest, len(text) - index), 0, -1):
                pinyin = self.words.get(folded[index:index + size])
                if pinyin is not None:
                    out.append((text[index:index + size], pinyin))
                    index += size
                    break
            else:
                out.append((text[index], None))
                index += 1
        return out


def spoken(segments: list[Segment]) -> str:
    """Segments as the synthesizer reads them: pinyin set apart by spaces, other text kept."""
    return "".join(text if pinyin is None else f" {pinyin} " for text, pinyin in segments)


def parse_lexicon(data: bytes, source: str = "lexicon") -> Lexicon:
    """Check and load lexicon YAML: every word Chinese, one tone-numbered syllable a character."""
    try:
        raw = yaml.safe_load(data.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise LexiconError(f"{source}: not UTF-8 YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise LexiconError(f"{source}: expected a mapping of word -> pinyin")
    words: dict[str, str] = {}
    for word, pinyin in raw.items():
        if not isinstance(word, str) or not _HAN.fullmatch(word) or len(word) > MAX_WORD:
            raise LexiconError(f"{source}: {word!r} is not a word of 1-{MAX_WORD} Chinese "
                               "characters")
        syllables = str(pinyin).split() if isinstance(pinyin, str) else []
        if len(syllables) != len(word) or not all(_SYLLABLE.fullmatch(s) for s in syllables):
            raise LexiconError(f"{source}: {word}: {pinyin!r} must be one pinyin syllable with "
                               f"a tone number 1-5 for each of its {len(word)} characters")
        words[word] = " ".join(syllables)
    return Lexicon(words, hashlib.sha256(data).hexdigest())


@cache
def default_lexicon() -> Lexicon:
    """The lexicon kept in the repository, read once."""
    return parse_lexicon(LEXICON_FILE.read_bytes(), str(LEXICON_FILE))
