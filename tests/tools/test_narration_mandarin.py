"""Synthesized narration is read in Mandarin: numbers spelled out, polyphones from the lexicon,
and espeak-ng's phoneme stream never switching to English."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tools import mandarin
from tools.audio import espeak_available, speech_version
from tools.audio_codec import espeak_command
from tools.mandarin import (
    LexiconError,
    cardinal,
    parse_lexicon,
    reading_version,
    speakable,
    spell_numbers,
)
from tools.narration import hotspot_speech
from tools.validate import load_exhibit

ROOT = Path(__file__).resolve().parents[2]
# One Mandarin syllable as espeak-ng's cmn voices write it: onset and vowel in the Mandarin
# phoneme set, a tone contour (two or three digits), an optional nasal coda. English
# phonemes (I, T, D, i:, b, d, v ...) and language switches "(en)" never match.
_SYLLABLE = r"[,']?[ptkmnfljwXszSy;.hAaeEiogu@&r\[\-']*?[1-5]{2,3}[nN]?"
_WORD = re.compile(rf"(?:{_SYLLABLE})+")
_PAUSE = re.compile(r"_[:|!]?")


def phonemes(text: str) -> str:
    result = subprocess.run(espeak_command(text, "-q", "-x"), capture_output=True, text=True,
                            check=True)
    return result.stdout


def foreign_words(stream: str) -> list[str]:
    words = [w for w in _PAUSE.sub(" ", stream).split() if w]
    return [w for w in words if not _WORD.fullmatch(w)]


def sample_texts() -> list[tuple[str, str]]:
    """Every narration text of the sample scenes: hotspots (as synthesized) and stop lines."""
    texts: list[tuple[str, str]] = []
    for exhibit in sorted((ROOT / "exhibits").glob("*.yaml")):
        sources, problems = load_exhibit(exhibit)
        assert sources is not None, problems
        for scene, _ in sources.scenes:
            texts += [(f"{scene.id}/{h.id}/{language}", text) for h in scene.hotspots
                      for language, text in hotspot_speech(h).items() if language != "en"]
            texts += [(f"{scene.id}/{h.id}", f"{h.title.zh_CN}。{h.text.zh_CN}")
                      for h in scene.hotspots if h.audio is not None]  # the recorded stand-ins
            texts += [(f"{scene.id}/stop:{s.id}", s.say.zh_CN) for s in scene.route]
    return sorted(set(texts))


def test_every_sample_narration_is_spoken_in_mandarin_with_no_digit_left() -> None:
    assert espeak_available(), "scripts/setup installs espeak-ng"
    texts = sample_texts()
    assert len(texts) > 40 and any(re.search(r"\d", t) for _, t in texts)
    for owner, text in texts:
        spoken = re.sub(r"\b[a-z]+[1-5]\b", "", speakable(text))  # tone numbers of pinyin
        assert not re.search(r"[0-9０-９]", spoken), (owner, spoken)
        stream = phonemes(text)
        assert "(" not in stream, (owner, stream)  # "(en)": a switch out of Mandarin
        assert foreign_words(stream) == [], (owner, stream)


def test_the_phoneme_check_catches_english() -> None:
    plain_cmn = subprocess.run(["espeak-ng", "-q", "-v", "cmn", "-x", "你好 1921年"],
                               capture_output=True, text=True, check=True).stdout
    assert "(en)" in plain_cmn
    assert foreign_words("nI55Tr'i:55 h'@Ul@U") != []
    assert foreign_words(phonemes("ABC公司的GDP")) == []  # letters named in Mandarin


@pytest.mark.parametrize(("written", "spoken"), [
    ("1921年7月23日晚", "一九二一年七月二十三日晚"),
    ("（1705—1706年）", "（一七零五至一七零六年）"),
    ("1930年代", "一九三零年代"),
    ("20世纪30年代", "二十世纪三十年代"),
    ("300年", "三百年"),
    ("第1次", "第一次"),
    ("第2次会议", "第二次会议"),
    ("各有2根", "各有两根"),
    ("2月", "二月"),
    ("约12000个", "约一万两千个"),
    ("12,000人", "一万两千人"),
    ("桥长约101至104米", "桥长约一百零一至一百零四米"),
    ("101-104米", "一百零一至一百零四米"),
    ("50%", "百分之五十"),
    ("12.5%", "百分之十二点五"),
    ("3.14米", "三点一四米"),
    ("望志路106号", "望志路一百零六号"),
    ("1921-07-23", "一九二一年七月二十三日"),
    ("１９２１年", "一九二一年"),
    ("零下-5度", "零下负五度"),
    ("编号007", "编号零零七"),
])
def test_numbers_are_spelled_as_spoken(written: str, spoken: str) -> None:
    assert spell_numbers(written) == spoken


@pytest.mark.parametrize(("digits", "spoken"), [
    ("0", "零"), ("10", "十"), ("15", "十五"), ("20", "二十"), ("110", "一百一十"),
    ("1005", "一千零五"), ("2000", "两千"), ("10050", "一万零五十"), ("20000", "两万"),
    ("100000", "十万"), ("100010000", "一亿零一万"),
    ("123456789", "一亿两千三百四十五万六千七百八十九"),
    ("12345678901234567", "一二三四五六七八九零一二三四五六七"),
])
def test_cardinals(digits: str, spoken: str) -> None:
    assert cardinal(digits) == spoken


@pytest.mark.parametrize(("word", "pinyin"), [
    ("重庆", "chong2 qing4"), ("嘉兴", "jia1 xing1"), ("川藏", "chuan1 zang4"),
    ("刘少奇", "liu2 shao4 qi2"), ("师长", "shi1 zhang3"), ("还原", "huan2 yuan2"),
    ("地址", "di4 zhi3"), ("银行", "yin2 hang2"),
])
def test_lexicon_words_are_read_as_their_pinyin(word: str, pinyin: str) -> None:
    # espeak-ng's own dictionary gets each of these wrong (重庆 as zhong4 qing4; 嘉兴 and
    # 刘少奇 with a syllable too many); through the lexicon they match the pinyin exactly
    raw = subprocess.run(["espeak-ng", "-q", "-v", "cmn-latn-pinyin", "-x", word],
                         capture_output=True, text=True, check=True).stdout
    reference = subprocess.run(["espeak-ng", "-q", "-v", "cmn-latn-pinyin", "-x", pinyin],
                               capture_output=True, text=True, check=True).stdout
    assert phonemes(word) == reference
    assert raw != reference


def test_longest_lexicon_word_wins_and_other_text_is_kept() -> None:
    lexicon = parse_lexicon("长: chang2\n师长: shi1 zhang3\n".encode())
    assert lexicon.apply("师长长") == " shi1 zhang3  chang2 "
    assert lexicon.apply("会议") == "会议"


@pytest.mark.parametrize("document", [
    b"- a list\n",
    "重庆: chong2\n".encode(),               # a syllable short
    "重庆: chong qing\n".encode(),           # no tones
    "重庆: chong2 qing9\n".encode(),         # no such tone
    b"abc: a1 b1 c1\n",                     # not Chinese
    "重庆: [chong2, qing4]\n".encode(),
    b"\xff\xfe",
])
def test_malformed_lexicon_entries_are_refused_by_name(document: bytes) -> None:
    with pytest.raises(LexiconError, match="lexicon"):
        parse_lexicon(document, "lexicon.yaml")


def test_the_shipped_lexicon_loads_and_its_edits_change_the_speech_version(
        monkeypatch: pytest.MonkeyPatch) -> None:
    shipped = mandarin.default_lexicon()
    assert "重庆" in shipped.words
    before, speech = reading_version(), speech_version()
    assert before in speech
    edited = parse_lexicon(mandarin.lexicon.LEXICON_FILE.read_bytes() + "行长: hang2 zhang3\n"
                           .encode())
    monkeypatch.setattr("tools.mandarin.reading.default_lexicon", lambda: edited)
    assert reading_version() != before
