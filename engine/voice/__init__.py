"""Voice in live tours: Opus encode/decode with loss concealment, a jitter buffer per
speaker, a mixer of up to five voices, voice-activity detection and push-to-talk, files
and PortAudio devices as sources and sinks."""

from engine.voice.codec import (
    FRAME_SAMPLES,
    FRAME_SECONDS,
    SAMPLE_RATE,
    OpusDecoder,
    OpusEncoder,
)
from engine.voice.devices import AudioDevices, open_devices
from engine.voice.errors import BadAudioFile, CodecUnavailable, VoiceError
from engine.voice.files import WavRecorder, frames_of, read_speech, read_wav
from engine.voice.jitter import JitterBuffer, Slot
from engine.voice.mixer import MAX_VOICES, Voice, mix, soft_clip
from engine.voice.placement import place
from engine.voice.receiver import PlayoutClock, VoiceReceiver
from engine.voice.sender import VoiceSender
from engine.voice.vad import TalkMode, VoiceGate

__all__ = [
    "FRAME_SAMPLES", "FRAME_SECONDS", "MAX_VOICES", "SAMPLE_RATE",
    "AudioDevices", "BadAudioFile", "CodecUnavailable", "JitterBuffer", "OpusDecoder",
    "OpusEncoder", "PlayoutClock", "Slot", "TalkMode", "Voice", "VoiceError", "VoiceGate",
    "VoiceReceiver", "VoiceSender", "WavRecorder", "frames_of", "mix", "open_devices",
    "place", "read_speech", "read_wav", "soft_clip",
]
