"""Whether speech synthesis is available here, and which version (part of build inputs)."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache

from tools.mandarin import reading_version


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@cache
def espeak_version() -> str:
    if not espeak_available():
        return "none"
    result = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip()


def speech_version() -> str:
    """What synthesized narration depends on besides its text: espeak-ng's version and
    the Mandarin reading (normalization rules, lexicon, voice), so editing the lexicon
    speaks old narrations again."""
    return f"{espeak_version()}|{reading_version()}"
