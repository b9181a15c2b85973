"""Opus for tour voice: mono, 48 kHz, 20 ms frames, 16–24 kbit/s, in-band FEC.

The encoder is PyAV's (FFmpeg's libopus wrapper, which takes every setting needed). The
decoder calls libopus directly (:mod:`engine.voice._libopus` says why) so that a lost
frame is concealed (PLC) or rebuilt from the next packet's FEC copy.
"""

from __future__ import annotations

import ctypes

import av
import numpy as np

from engine.voice._libopus import OPUS_OK, libopus, strerror
from engine.voice.errors import VoiceError

SAMPLE_RATE = 48_000
FRAME_SAMPLES = 960  # 20 ms
FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
MAX_PACKET = 1275  # the largest Opus frame (RFC 6716 §3.4, R2)
MIN_BITRATE, MAX_BITRATE = 16_000, 24_000


class OpusEncoder:
    """Encodes 20 ms mono frames to one Opus packet each.

    Args:
        bitrate: bits a second, 16,000–24,000.
        expected_loss: the packet loss (percent, 1–50) the FEC copies are sized for;
            libopus adds no FEC data when it is zero.
    """

    def __init__(self, bitrate: int = 20_000, expected_loss: int = 10) -> None:
        if not MIN_BITRATE <= bitrate <= MAX_BITRATE:
            raise VoiceError(f"voice bitrate {bitrate} is outside {MIN_BITRATE}–{MAX_BITRATE}")
        if not 1 <= expected_loss <= 50:
            raise VoiceError(f"expected packet loss {expected_loss}% is outside 1–50%")
        context = av.CodecContext.create("libopus", "w")
        assert isinstance(context, av.AudioCodecContext)
        context.sample_rate = SAMPLE_RATE
        context.layout = "mono"
        context.format = "flt"
        context.bit_rate = bitrate
        context.options = {"application": "voip", "frame_duration": "20", "vbr": "on",
                           "fec": "1", "packet_loss": str(expected_loss)}
        context.open()
        self._context = context
        self._pts = 0

    def encode(self, frame: np.ndarray) -> bytes:
        """One packet for ``frame: (960,) float32`` in −1…1."""
        if frame.shape != (FRAME_SAMPLES,):
            raise VoiceError(f"a voice frame is {FRAME_SAMPLES} samples, not {frame.shape}")
        samples = np.ascontiguousarray(np.clip(frame, -1.0, 1.0), dtype=np.float32)[None]
        audio = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
        audio.sample_rate = SAMPLE_RATE
        audio.pts = self._pts
        self._pts += FRAME_SAMPLES
        packets = self._context.encode(audio)
        # libopus codes each 20 ms frame as it comes: one packet in, one packet out
        if len(packets) != 1:
            raise VoiceError(f"the Opus encoder gave {len(packets)} packets for one frame")
        return bytes(packets[0])


class OpusDecoder:
    """Decodes one speaker's packets in order, concealing those that never came."""

    def __init__(self) -> None:
        lib = libopus()
        error = ctypes.c_int(0)
        self._lib = lib
        self._state = ctypes.c_void_p(lib.opus_decoder_create(SAMPLE_RATE, 1,
                                                              ctypes.byref(error)))
        if error.value != OPUS_OK or not self._state:
            raise VoiceError(f"no Opus decoder: {strerror(error.value)}")
        self._out = (ctypes.c_float * FRAME_SAMPLES)()

    def _run(self, packet: bytes | None, fec: bool) -> np.ndarray:
        if packet is not None:
            check_packet(packet)
        data, size = (packet, len(packet)) if packet is not None else (None, 0)
        count = self._lib.opus_decode_float(self._state, data, size, self._out,
                                            FRAME_SAMPLES, int(fec))
        if count < 0:
            raise VoiceError(f"an Opus packet could not be decoded: {strerror(count)}")
        if count != FRAME_SAMPLES:
            raise VoiceError(f"an Opus packet held {count} samples, not one 20 ms frame")
        return np.frombuffer(memoryview(self._out), np.float32, FRAME_SAMPLES).copy()

    def decode(self, packet: bytes) -> np.ndarray:
        """The frame ``packet`` holds: (960,) float32.

        Raises:
            VoiceError: the packet is not one 20 ms Opus frame.
        """
        return self._run(packet, fec=False)

    def conceal(self) -> np.ndarray:
        """A frame guessed from those before it, for one that never arrived (PLC)."""
        return self._run(None, fec=False)

    def recover(self, next_packet: bytes) -> np.ndarray:
        """The lost frame before ``next_packet``, from the FEC copy it carries (PLC where
        it carries none). ``next_packet`` is then decoded as usual."""
        return self._run(next_packet, fec=True)

    def close(self) -> None:
        if self._state:
            self._lib.opus_decoder_destroy(self._state)
            self._state = ctypes.c_void_p(None)

    def __del__(self) -> None:
        self.close()


def check_packet(packet: bytes) -> None:
    """Raises :class:`VoiceError` unless ``packet`` is one 20 ms mono Opus frame's worth."""
    if not 0 < len(packet) <= MAX_PACKET:
        raise VoiceError(f"an Opus packet of {len(packet)} bytes (1–{MAX_PACKET} allowed)")
    samples = libopus().opus_packet_get_nb_samples(packet, len(packet), SAMPLE_RATE)
    if samples != FRAME_SAMPLES:
        raise VoiceError("an Opus packet that is not one 20 ms frame")
