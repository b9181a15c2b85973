"""The citation tone (1-4, 5 neutral) of Chinese characters, as espeak-ng's Mandarin
dictionary reads each character on its own.

Tone sandhi needs the tone of the syllable that follows 一 or 不; taking it from the
synthesizer's own dictionary keeps the two in agreement and needs no second dictionary.
Each character is asked once per process, all missing ones in one espeak-ng run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterable

from tools.mandarin.voice import VOICE

# espeak-ng writes a syllable's tone as its pitch contour: 55 high, 35 rising, 214 dipping
# (21 before another syllable), 51 falling; 11/22/33 are its neutral tone.
_CONTOURS = {"55": 1, "35": 2, "214": 3, "21": 3, "51": 4}
_CONTOUR = re.compile(r"[1-5]{2,3}")
# Characters espeak-ng stores in their neutral tone whose full tone decides sandhi (一个: yi2).
UNDERLYING = {"个": 4}

_known: dict[str, int | None] = {}


def _contours(text: str) -> list[int | None]:
    """The tone of each syllable espeak-ng reads in ``text`` (None: not Mandarin)."""
    result = subprocess.run(["espeak-ng", "-q", "-v", VOICE, "-x", "--", text],
                            capture_output=True, text=True, check=False)
    tones: list[int | None] = []
    for token in result.stdout.split():
        match = _CONTOUR.search(token)
        tones.append(None if match is None else _CONTOURS.get(match.group(0), 5))
    return tones


def tones_of(characters: Iterable[str]) -> dict[str, int | None]:
    """Each character's tone; None where espeak-ng is missing or reads no one syllable."""
    wanted = set(characters)
    missing = sorted(c for c in wanted - _known.keys() if c not in UNDERLYING)
    if missing and shutil.which("espeak-ng") is None:
        return {c: UNDERLYING.get(c) for c in wanted}
    if missing:
        # A comma between characters makes each its own phrase: no sandhi of espeak-ng's
        # own (a third tone before a third tone) changes what it reports.
        tones = _contours("，".join(missing))
        if len(tones) != len(missing):  # one character read as several syllables, or none
            tones = [(lambda t: t[0] if len(t) == 1 else None)(_contours(c)) for c in missing]
        _known.update(zip(missing, tones, strict=True))
    return {c: UNDERLYING[c] if c in UNDERLYING else _known[c] for c in wanted}
