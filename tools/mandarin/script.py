"""Traditional characters (zh-TW text) folded to simplified for matching only, so the
lexicon and the tone-sandhi word lists, written in simplified characters, find their words
in either script; the text itself is kept as written.

Only the characters those lists and rules use are folded, one character for one, so a
folded text lines up with its original position by position.
"""

from __future__ import annotations

# traditional -> simplified: lexicon words, words ending in 一, numerals and dates
_PAIRS = {
    "慶": "庆", "興": "兴", "業": "业", "劉": "刘", "駐": "驻", "師": "师", "長": "长",
    "團": "团", "銀": "银", "還": "还", "為": "为", "爲": "为", "與": "与", "會": "会",
    "記": "记", "載": "载", "將": "将", "領": "领", "隻": "只", "薺": "荠", "軟": "软",
    "統": "统", "萬": "万", "單": "单", "專": "专", "劃": "划", "歸": "归", "億": "亿",
    "兩": "两", "號": "号",
}
_FOLD = str.maketrans(_PAIRS)


def simplified(text: str) -> str:
    """``text`` with the known traditional characters in their simplified form (same
    length, same positions)."""
    return text.translate(_FOLD)


def folding_table() -> str:
    """The folding, as text, for the reading's version."""
    return "".join(f"{t}{s}" for t, s in sorted(_PAIRS.items()))
