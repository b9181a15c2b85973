"""Arabic numerals read as Mandarin: cardinals (一万两千), digit strings (一九二一), decimals."""

from __future__ import annotations

DIGITS = "零一二三四五六七八九"
_SECTION_UNITS = ("", "十", "百", "千")
_GROUP_UNITS = ("", "万", "亿", "万亿")
# Beyond 万亿 a number is an identifier (a phone or serial number), read digit by digit.
MAX_CARDINAL_DIGITS = 16


def digit_string(digits: str) -> str:
    """``"1921"`` -> ``"一九二一"``: years, codes and decimals after the point."""
    return "".join(DIGITS[int(d)] for d in digits)


def _section(value: int) -> str:
    """0 < value < 10000, with 零 standing for skipped places (一千零五)."""
    text = ""
    pending_zero = False
    for place in (3, 2, 1, 0):
        digit = value // 10**place % 10
        if digit == 0:
            pending_zero = bool(text)
            continue
        if pending_zero:
            text += "零"
            pending_zero = False
        # 两千 rather than 二千; 二 stays in tens and units (二十二)
        numeral = "两" if digit == 2 and place == 3 else DIGITS[digit]
        text += numeral + _SECTION_UNITS[place]
    return text


def cardinal(digits: str) -> str:
    """An integer written in Arabic digits, as spoken: ``"12000"`` -> ``"一万两千"``.

    Leading zeros or more than 16 digits mean an identifier, read digit by digit.
    """
    if not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a string of digits: {digits!r}")
    if len(digits) > MAX_CARDINAL_DIGITS or (len(digits) > 1 and digits[0] == "0"):
        return digit_string(digits)
    value = int(digits)
    if value == 0:
        return "零"
    groups: list[int] = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    text = ""
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            continue
        if text and group < 1000:
            text += "零"
        spoken = "两" if group == 2 and index > 0 else _section(group)
        text += spoken + _GROUP_UNITS[index]
    if text.startswith("一十"):  # 十二, not 一十二
        text = text[1:]
    return text


def decimal(whole: str, fraction: str) -> str:
    """``("3", "14")`` -> ``"三点一四"``."""
    return cardinal(whole) + "点" + digit_string(fraction)
