"""Written Chinese into what a narrator says: numbers, dates, percentages and Latin letters
spelled out in characters, so that the synthesizer never guesses (or switches language)."""

from __future__ import annotations

import re
from collections.abc import Callable

from tools.mandarin.numbers import cardinal, decimal, digit_string

# Measure words after which a lone 2 is 两 (两根, 两名), never 二.
_MEASURE_WORDS = frozenset("个根名位条张把座层幢艘只人次天岁块件间台辆匹头枚颗首篇部种批对")
_DASHES = "-‐‑–—―~～"
_RANGE = re.compile(rf"([0-9])\s*[{_DASHES}]+\s*(?=[0-9])")
_THOUSANDS = re.compile(r"(?<=[0-9]),(?=[0-9]{3}(?![0-9]))")
_ISO_DATE = re.compile(r"(?<![0-9])([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?![0-9])")
# Four digits before 年 are a year (1921年, 1930年代); fewer are a count of years (300年).
_YEAR_RANGE = re.compile(r"(?<![0-9])([0-9]{4})至([0-9]{4})(?=年)")
_YEAR = re.compile(r"(?<![0-9约近])([0-9]{4})(?=年)")
_PERCENT = re.compile(r"(?<![0-9.])([0-9]+)(?:\.([0-9]+))?%")
_DECIMAL = re.compile(r"(?<![0-9.])([0-9]+)\.([0-9]+)")
_NEGATIVE = re.compile(r"(?<![0-9A-Za-z])[-−](?=[0-9])")
_TWO = re.compile(r"(?<![0-9.第])2(?![0-9.])(?=\s*(.))")
_INTEGER = re.compile(r"[0-9]+")
_LATIN = re.compile(r"[A-Za-z]+")

# How Chinese speakers name Latin letters, as pinyin the synthesizer reads as Mandarin.
LETTER_NAMES = {
    "a": "ei1", "b": "bi4", "c": "xi1", "d": "di4", "e": "yi4", "f": "ai2 fu1",
    "g": "ji4", "h": "ei1 qi1", "i": "ai4", "j": "jie4", "k": "kai4", "l": "ai2 le5",
    "m": "ai2 mu5", "n": "en1", "o": "ou1", "p": "pi4", "q": "qiu1", "r": "a4 er5",
    "s": "ai2 si1", "t": "ti4", "u": "you1", "v": "wei1", "w": "da2 bu5 liu5",
    "x": "ai4 ke4 si1", "y": "wai4", "z": "zei4",
}


def _sub(pattern: re.Pattern[str], spoken: Callable[[re.Match[str]], str],
         text: str) -> str:
    return pattern.sub(spoken, text)


def _two(match: re.Match[str]) -> str:
    return "两" if match.group(1) in _MEASURE_WORDS else "二"


def _percent(match: re.Match[str]) -> str:
    whole, fraction = match.group(1), match.group(2)
    return "百分之" + (decimal(whole, fraction) if fraction else cardinal(whole))


def spell_numbers(text: str) -> str:
    """Every Arabic numeral in ``text`` written out in Chinese characters.

    Years are read digit by digit (1921年 -> 一九二一年, 1705—1706年 -> 一七零五至一七零六年);
    counts, dates and ordinals as cardinals (7月23日 -> 七月二十三日, 第1次 -> 第一次,
    12000个 -> 一万两千个); 50% -> 百分之五十; 3.5 -> 三点五; ranges 101-104 -> 一百零一至一百零四.
    """
    text = _THOUSANDS.sub("", fold_width(text))
    text = _sub(_ISO_DATE, lambda m: f"{m.group(1)}年{int(m.group(2))}月{int(m.group(3))}日",
                text)
    text = _RANGE.sub(r"\1至", text)
    text = _sub(_YEAR_RANGE, lambda m: digit_string(m.group(1)) + "至" + digit_string(m.group(2)),
                text)
    text = _sub(_YEAR, lambda m: digit_string(m.group(1)), text)
    text = _sub(_PERCENT, _percent, text)
    text = _sub(_DECIMAL, lambda m: decimal(m.group(1), m.group(2)), text)
    text = _NEGATIVE.sub("负", text)
    text = _sub(_TWO, _two, text)
    return _sub(_INTEGER, lambda m: cardinal(m.group(0)), text)


def spell_latin(text: str) -> str:
    """Latin letters named one by one as Mandarin pinyin (ABC -> ei1 bi4 xi1)."""
    return _sub(_LATIN, lambda m: " " + " ".join(LETTER_NAMES[c] for c in m.group(0).lower())
                + " ", text)


_FULL_WIDTH = {code: code - 0xFEE0 for code in
               [*range(0xFF10, 0xFF1A), *range(0xFF21, 0xFF3B), *range(0xFF41, 0xFF5B), 0xFF05]}


def fold_width(text: str) -> str:
    """Full-width digits, letters and ％ (１９２１％) as ASCII; Chinese punctuation stays."""
    return text.translate(_FULL_WIDTH)
