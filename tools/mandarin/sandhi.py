"""Tone sandhi of 一 and 不, which espeak-ng always reads yi1 and bu4.

- 一 is yi4 before a first, second or third tone (一般, 一条, 一起) and yi2 before a fourth
  (一次, 一个); it keeps yi1 alone, at a word's end (统一, 说法不一), in numbers (一九二一,
  二十一, 一月, 七月一日) and ordinals (第一).
- Inside a number 一 changes again before a place unit 百/千/万/亿 (一千一百 yi4 qian1
  yi4 bai3, 一万一千 yi2 wan4 yi4 qian1); the last digit of a ten (二十一万) keeps yi1.
- Traditional text (統一, 一萬一千) goes by the same lists, folded by ``script.py``.
- 不 is bu2 before a fourth tone (不是, 不对) and bu4 otherwise.

The tone that decides is the following syllable's own (citation) tone: from the lexicon
when a lexicon word follows, else from the synthesizer's dictionary (``tones.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping

from tools.mandarin.lexicon import Segment
from tools.mandarin.script import simplified
from tools.mandarin.tones import tones_of

_NUMERALS = frozenset("零〇一二三四五六七八九十百千万亿两")
_DIGITS = frozenset("零〇一二三四五六七八九")
# Place units after which a 一 starts the next place of the same number (一千一百).
_PLACES = frozenset("百千万亿")
# After these 一 is a number or an ordinal: 第一, 初一 (a month's first day), 星期一.
_ORDINAL = frozenset("第初期")
# Words that end in 一, whatever follows them (统一战线 is tong3 yi1 zhan4 xian4).
_ENDING_IN_YI = frozenset({"统一", "唯一", "万一", "之一", "单一", "专一", "划一", "如一",
                           "归一", "合一"})
_PINYIN = re.compile(r"[a-z]{1,6}([1-5])")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")

Tones = Callable[[Iterable[str]], Mapping[str, int | None]]


def _next(segments: list[Segment], index: int) -> tuple[Segment | None, str]:
    """The segment after ``index`` (spaces skipped) and the text from there on: an
    ASCII pinyin syllable spelled by an earlier rule spans several one-letter segments."""
    for at in range(index + 1, len(segments)):
        if not segments[at][0].isspace():
            rest = "".join(text for text, pinyin in segments[at:at + 7] if pinyin is None)
            return segments[at], rest
    return None, ""


def _tone_after(segments: list[Segment], index: int, tones: Mapping[str, int | None]
                ) -> int | None:
    following, rest = _next(segments, index)
    if following is None:
        return None
    text, pinyin = following
    if pinyin is not None:  # a lexicon word: its first syllable's tone
        return int(pinyin.split()[0][-1])
    if _HAN.fullmatch(text):
        return tones.get(text)
    match = _PINYIN.match(rest)  # a Latin letter named in pinyin (E: yi4)
    return int(match.group(1)) if match else None


def _yi(before: str, after: str, tone: int | None) -> str | None:
    """The reading of 一 between ``before`` and ``after`` (simplified) when it is not yi1."""
    within_number = before in _PLACES and after in _PLACES  # 一千[一]百, 一万[一]千
    if not within_number and (before in _NUMERALS or before in _ORDINAL
                              or before + "一" in _ENDING_IN_YI):
        return None
    if after in _DIGITS or after == "月" or (before == "月" and after in "日号"):
        return None  # a digit string (一九二一), January, the first of a month
    if tone == 4:
        return "yi2"
    if tone in (1, 2, 3):
        return "yi4"
    return None  # alone, at a phrase's end, before a neutral tone


def with_sandhi(segments: list[Segment], tones: Tones = tones_of) -> list[Segment]:
    """``segments`` with each 一 and 不 that changes tone given its pinyin."""
    places = [i for i, (text, pinyin) in enumerate(segments)
              if pinyin is None and text in ("一", "不")]
    if not places:
        return segments
    following = {_next(segments, i)[0] for i in places}
    known = tones(s[0] for s in following if s is not None and s[1] is None
                  and _HAN.fullmatch(s[0]))
    out = list(segments)
    for index in places:
        tone = _tone_after(segments, index, known)
        if segments[index][0] == "不":
            reading = "bu2" if tone == 4 else None
        else:
            before = simplified(segments[index - 1][0][-1]) if index > 0 else ""
            following_segment = _next(segments, index)[0]
            after = simplified(following_segment[0][0]) if following_segment is not None else ""
            reading = _yi(before, after, tone)
        if reading is not None:
            out[index] = (segments[index][0], reading)
    return out
