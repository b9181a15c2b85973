"""What can go wrong with voice, in words a member or operator can act on."""

from __future__ import annotations

from engine.errors import EngineError


class VoiceError(EngineError):
    """Voice could not be encoded, decoded, read or played."""


class CodecUnavailable(VoiceError):
    """libopus could not be loaded (PyAV's wheel carries it; so does Debian's libopus0)."""


class BadAudioFile(VoiceError):
    """A file to speak from could not be read as audio."""
