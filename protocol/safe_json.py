"""Parsing JSON from packages with bounds: nesting depth, finite numbers, sane integers.

Python's parser recurses once per level and turns ``1e400`` into ``inf``; both are
refused here before anything else sees the document. Bytes that are not UTF-8 are refused
too. The depth check runs on the raw text (strings removed), so a document nested 100,000
deep is refused without recursing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import numpy as np

MAX_DEPTH = 64
MAX_INT = 2**53  # what every JSON reader holds exactly
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class JsonRefused(ValueError):
    """The text is not JSON this reader accepts; the message says why."""


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(f"the number {text[:40]} is too large to be represented")
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > 16 or abs(int(text)) > MAX_INT:
        raise JsonRefused(f"the integer {text[:40]} is out of range")
    return int(text)


def _constant(name: str) -> Any:
    raise JsonRefused(f"`{name}` is not a JSON number")


_STEP = np.zeros(256, np.int8)
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1


def depth(data: bytes) -> int:
    """The deepest nesting of arrays and objects in ``data`` (brackets inside strings aside)."""
    if data.count(b"[") + data.count(b"{") <= 1:
        return data.count(b"[") + data.count(b"{")
    steps = _STEP[np.frombuffer(_STRING.sub(b"", data), np.uint8)]
    return int(np.cumsum(steps, dtype=np.int64).max(initial=0))


def loads(data: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """``data`` parsed as JSON, or :class:`JsonRefused` saying what is wrong with it."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonRefused(f"not UTF-8 text (byte {exc.start})") from None
    if depth(data) > max_depth:
        raise JsonRefused(f"nested deeper than {max_depth} levels")
    try:
        return json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except JsonRefused:
        raise
    except (ValueError, RecursionError) as exc:
        raise JsonRefused(f"not valid JSON: {exc}") from None
