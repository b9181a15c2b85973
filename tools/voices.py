"""Which espeak-ng voice speaks narration in each language, and speaking a text in one.

Chinese (zh-CN, zh-TW) goes through the Mandarin reading (``tools/mandarin``: numbers,
lexicon, tone sandhi) and its pinyin voice; English through espeak-ng's own English voice.
The command line each language is spoken with is part of the build's identity
(:func:`speech_identity`): a voice missing here, another rate or option gives another
fingerprint and another cache key, never a stale package.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from protocol.i18n import Language
from tools.audio import espeak_available, speech_version
from tools.errors import AssetError
from tools.mandarin import VOICE as MANDARIN
from tools.mandarin import speakable

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


def command(language: Language, text: str, *options: str) -> list[str]:
    """The espeak-ng command line speaking ``text`` in ``language`` (Chinese read through
    the Mandarin reading, so the pinyin voice never guesses)."""
    spoken = speakable(text) if VOICES[language] == MANDARIN else text
    return ["espeak-ng", "-v", VOICES[language], "-s", RATE_WPM, *options, "--", spoken]


def voice_identity(language: Language) -> str | None:
    """What speaking ``language`` here depends on besides the text (voice, rate, options),
    or None where espeak-ng has no voice for it."""
    if voice_for(language) is None:
        return None
    return " ".join(command(language, "")[:-1])


def speech_identity(languages: Iterable[Language]) -> str:
    """The identity of synthesized narration in ``languages``: espeak-ng's version, the
    Mandarin reading and each language's command line, or that its voice is missing."""
    voices = [f"{language}={voice_identity(language) or 'missing'}"
              for language in sorted(set(languages))]
    return "|".join([speech_version(), *voices])


def speak(text: str, language: Language, name: str) -> tuple[bytes, float]:
    """``text`` spoken in ``language`` as normalized Ogg, and its length in seconds."""
    from tools.audio_codec import normalize  # libsndfile only when speaking

    if voice_for(language) is None:
        raise AssetError(name, f"espeak-ng has no voice for {language} here",
                         "install espeak-ng, or give a recorded narration file")
    with tempfile.TemporaryDirectory() as folder:
        wav = Path(folder) / "speech.wav"
        result = subprocess.run(command(language, text, "-w", str(wav)),
                                capture_output=True, text=True, check=False)
        if result.returncode != 0 or not wav.exists():
            raise AssetError(name, f"espeak-ng failed: {result.stderr.strip()}",
                             "give a recorded narration file instead")
        return normalize(wav, name)
