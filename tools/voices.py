"""Which espeak-ng voice speaks narration in each language, and speaking a text in one.

Chinese (zh-CN, zh-TW) goes through the Mandarin reading (``tools/mandarin``: numbers,
lexicon, tone sandhi) and its pinyin voice; English through espeak-ng's own English voice.
"""

from __future__ import annotations

import subprocess
import tempfile
from functools import cache
from pathlib import Path

from protocol.i18n import Language
from tools.audio import espeak_available
from tools.errors import AssetError
from tools.mandarin import VOICE as MANDARIN

VOICES: dict[Language, str] = {"zh-CN": MANDARIN, "zh-TW": MANDARIN, "en": "en-us"}
RATE_WPM = "150"


@cache
def installed_voices() -> frozenset[str]:
    """The voice names espeak-ng has here (none without espeak-ng)."""
    if not espeak_available():
        return frozenset()
    listing = subprocess.run(["espeak-ng", "--voices"], capture_output=True, text=True,
                             check=False).stdout
    return frozenset(line.split()[1] for line in listing.splitlines()[1:]
                     if len(line.split()) > 1)


def voice_for(language: Language) -> str | None:
    """The espeak-ng voice for ``language``, or None where there is none here."""
    voice = VOICES.get(language)
    return voice if voice is not None and voice in installed_voices() else None


def speak(text: str, language: Language, name: str) -> tuple[bytes, float]:
    """``text`` spoken in ``language`` as normalized Ogg, and its length in seconds."""
    from tools.audio_codec import normalize, synthesize  # libsndfile only when speaking

    voice = voice_for(language)
    if voice is None:
        raise AssetError(name, f"espeak-ng has no voice for {language} here",
                         "install espeak-ng, or give a recorded narration file")
    if voice == MANDARIN:
        return synthesize(text, name)
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        result = subprocess.run(["espeak-ng", "-v", voice, "-s", RATE_WPM, "-w", str(wav),
                                 "--", text], capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav.exists():
            raise AssetError(name, f"espeak-ng failed: {result.stderr.strip()}",
                             "give a recorded narration file instead")
        return normalize(wav, name)
