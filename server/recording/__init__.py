"""Live tours recorded as they happen (voices as Ogg Opus, events as JSON lines) and stored
content-addressed for members who missed them."""

from server.recording.factory import TourRecorders
from server.recording.forget import forget_member_voice
from server.recording.recorder import FileTourRecorder
from server.recording.store import Recordings
from server.recording.voices import VOICE_CONSENT, VoicePolicy

__all__ = ["VOICE_CONSENT", "FileTourRecorder", "Recordings", "TourRecorders", "VoicePolicy",
           "forget_member_voice"]
