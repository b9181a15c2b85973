"""Tone sandhi of 一 and 不 as espeak-ng speaks it: the phoneme stream of the reading, each
syllable's pitch contour (55 first tone, 35 second, 214/21 third, 51 fourth)."""

from __future__ import annotations

import re
import subprocess

import pytest

from tools.audio_codec import espeak_command
from tools.mandarin import speakable
from tools.mandarin.tones import tones_of

_CONTOUR = re.compile(r"[1-5]{2,3}")
FIRST, SECOND, FOURTH = "55", "35", "51"


def contours(text: str) -> list[str]:
    """Each spoken syllable's contour, in order."""
    stream = subprocess.run(espeak_command(text, "-q", "-x"), capture_output=True, text=True,
                            check=True).stdout
    return [m.group(0) for token in stream.split() if (m := _CONTOUR.search(token))]


@pytest.mark.parametrize(("text", "syllable", "contour"), [
    ("一次", 0, SECOND),        # before a fourth tone
    ("一个", 0, SECOND),        # 个 is written neutral, its own tone is the fourth
    ("一昼夜", 0, SECOND),
    ("一天", 0, FOURTH),        # before a first tone
    ("一条", 0, FOURTH),        # second
    ("一起", 0, FOURTH),        # third
    ("一万两千", 0, SECOND),
    ("一百", 0, FOURTH),
    ("一", 0, FIRST),           # alone
    ("第一", 1, FIRST),         # an ordinal
    ("第一次", 1, FIRST),
    ("统一战线", 1, FIRST),     # at a word's end
    ("说法不一。", 3, FIRST),
    ("一九二一年", 0, FIRST),   # a year read digit by digit
    ("一九二一年", 3, FIRST),
    ("二十一日", 2, FIRST),     # in a number
    ("七月一日", 2, FIRST),     # the first of a month
    ("一月七日", 0, FIRST),     # January
    ("中共一大", 2, FIRST),     # the First Congress (lexicon)
    ("不是", 0, SECOND),
    ("不对", 0, SECOND),
    ("不同", 0, FOURTH),
    ("不好", 0, FOURTH),
    ("不一样", 0, FOURTH),      # 不 before 一 (first tone), 一 before 样 (fourth)
    ("不一样", 1, SECOND),
    # inside a number, before a place unit: 1100 一千一百, 11000 一万一千
    ("1100", 0, FOURTH), ("1100", 2, FOURTH),
    ("11000", 0, SECOND), ("11000", 2, FOURTH),
    ("一亿一千万", 0, SECOND), ("一亿一千万", 2, FOURTH),
    ("1100万", 2, FOURTH),
    ("2021", 5, FIRST),         # 两千零二十一: a number's last digit
    ("210000", 2, FIRST),       # 二十一万: the last digit of a ten
    ("110", 2, FIRST),          # 一百一十
    ("1921年", 0, FIRST), ("1921年", 3, FIRST),
    ("2011年", 2, FIRST), ("2011年", 3, FIRST),  # 二零一一年
    ("11月11日", 1, FIRST), ("11月11日", 4, FIRST),  # 十一月十一日
    ("1月1日", 0, FIRST), ("1月1日", 2, FIRST),
    ("第1100名", 1, FIRST), ("第1100名", 3, FOURTH),  # 第一 an ordinal, then a number
    # traditional characters (zh-TW) go by the same words
    ("統一戰線", 1, FIRST),
    ("唯一", 1, FIRST),
    ("萬一", 1, FIRST),
    ("一萬一千", 0, SECOND), ("一萬一千", 2, FOURTH),
    ("重慶", 0, SECOND),        # the lexicon's chong2 qing4, not zhong4
    ("一隻", 0, FOURTH),        # the lexicon's yi4 zhi1
])
def test_yi_and_bu_change_tone_as_spoken(text: str, syllable: int, contour: str) -> None:
    assert contours(text)[syllable] == contour, speakable(text)


def test_sample_sentences_are_read_with_sandhi_and_numbers_kept_first_tone() -> None:
    # nanhu-red-boat's lakeside stop, luding-bridge's march and zunyi's dates, as written
    said = contours("这就是中共一大最后一次会议的地方。")
    assert said[5] == FIRST and said[9] == SECOND, said  # 一大 yi1, 一次 yi2
    said = contours("一昼夜急行军，于1935年5月29日晨赶到泸定桥。")
    assert said[0] == SECOND and said[7] == FIRST, said  # 一昼夜 yi2; 一九三五 yi1
    said = contours("会议于1月15日召开，不久结束。")
    assert said[3] == FIRST and said[10] == FOURTH, said  # 一月 yi1; 不久 bu4


def test_espeak_alone_keeps_yi1_and_bu4_which_the_reading_corrects() -> None:
    raw = subprocess.run(["espeak-ng", "-q", "-v", "cmn-latn-pinyin", "-x", "一次不是"],
                         capture_output=True, text=True, check=True).stdout
    assert [m.group(0) for t in raw.split() if (m := _CONTOUR.search(t))][::2] == [FIRST, FOURTH]
    assert speakable("一次不是") == " yi2 次 bu2 是"


def test_character_tones_come_from_the_voices_dictionary() -> None:
    assert tones_of("天年起是个") == {"天": 1, "年": 2, "起": 3, "是": 4, "个": 4}
