"""The microphone and speakers through PortAudio (``sounddevice``).

These machines have no sound card, and often no PortAudio either. Then the first attempt
says so once, in the log and in :attr:`AudioDevices.notice` (the tour bar says it too),
and voice carries on without them: received voice is still decoded (and can be
recorded), nothing is captured or played.
"""

from __future__ import annotations

import importlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.voice.codec import FRAME_SAMPLES, SAMPLE_RATE

log = logging.getLogger(__name__)

_said = threading.Event()  # the log line is written once a process, however many tours


@dataclass
class AudioDevices:
    """What PortAudio offers: a microphone and speakers, or neither and why."""

    microphone: Any = None  # a running sounddevice.InputStream
    speaker: Any = None  # a running sounddevice.OutputStream
    reason: str | None = None  # why there are none

    @property
    def notice(self) -> str | None:
        """What to tell the participant (the tour bar says it in their language)."""
        return None if self.reason is None else (
            f"No audio device ({self.reason}): the tour goes on, but you cannot hear or "
            "speak.")

    def close(self) -> None:
        for stream in (self.microphone, self.speaker):
            if stream is not None:
                stream.stop()
                stream.close()
        self.microphone = self.speaker = None


def _without(reason: str) -> AudioDevices:
    if not _said.is_set():
        _said.set()
        log.warning("voice: %s; the tour goes on without sound", reason)
    return AudioDevices(reason=reason)


def open_devices(on_captured: Callable[[np.ndarray], object] | None,
                 played: queue.Queue[np.ndarray] | None) -> AudioDevices:
    """Starts the default microphone (each 20 ms frame to ``on_captured``, on PortAudio's
    thread) and speakers (stereo frames taken from ``played``), where they exist."""
    try:  # imported by name: sounddevice ships no type information
        sounddevice = importlib.import_module("sounddevice")
    except OSError as error:  # the module loads PortAudio as it is imported
        return _without(f"PortAudio is not installed ({error})")
    try:
        devices = sounddevice.query_devices()
    except sounddevice.PortAudioError as error:
        return _without(f"PortAudio found no audio devices ({error})")
    if not len(devices):
        return _without("PortAudio found no audio devices")
    found = AudioDevices()
    try:
        if on_captured is not None:
            def capture(data: np.ndarray, frames: int, when: Any, status: Any) -> None:
                on_captured(data[:, 0].copy())
            found.microphone = sounddevice.InputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="float32",
                blocksize=FRAME_SAMPLES, callback=capture)
            found.microphone.start()
        if played is not None:
            def play(out: np.ndarray, frames: int, when: Any, status: Any) -> None:
                try:
                    out[:] = played.get_nowait()
                except queue.Empty:  # nothing due: silence, never a stall
                    out.fill(0.0)
            found.speaker = sounddevice.OutputStream(
                samplerate=SAMPLE_RATE, channels=2, dtype="float32",
                blocksize=FRAME_SAMPLES, callback=play)
            found.speaker.start()
    except sounddevice.PortAudioError as error:
        found.close()
        return _without(f"the audio device could not be opened ({error})")
    return found
