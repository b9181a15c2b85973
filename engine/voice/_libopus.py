"""The few libopus decoder calls that FFmpeg does not pass through.

PyAV decodes Opus with FFmpeg's libopus wrapper, which cannot conceal a lost frame (an
empty packet means end of stream to FFmpeg) nor decode the in-band FEC copy a packet
carries of the frame before it (libopus's ``decode_fec`` flag is never set). Both are one
call of libopus's own API, so the decoder calls it through ctypes: the system's libopus
when there is one, else the copy inside PyAV's wheel.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import glob
import os
from functools import cache

from engine.voice.errors import CodecUnavailable

OPUS_OK = 0


def _candidates() -> list[str]:
    found = ctypes.util.find_library("opus")
    paths = [found] if found else []
    try:
        import av  # the wheel's own copy, renamed by auditwheel
    except ImportError:
        return paths
    libs = os.path.join(os.path.dirname(os.path.dirname(av.__file__)), "av.libs")
    return paths + sorted(glob.glob(os.path.join(libs, "libopus*.so*")))


@cache
def libopus() -> ctypes.CDLL:
    """The loaded libopus with its decoder functions typed.

    Raises:
        CodecUnavailable: no libopus could be loaded.
    """
    for path in _candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        lib.opus_decoder_create.restype = ctypes.c_void_p
        lib.opus_decoder_create.argtypes = [ctypes.c_int32, ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int)]
        lib.opus_decoder_destroy.restype = None
        lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        lib.opus_decode_float.restype = ctypes.c_int
        lib.opus_decode_float.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                          ctypes.POINTER(ctypes.c_float), ctypes.c_int,
                                          ctypes.c_int]
        lib.opus_packet_get_nb_samples.restype = ctypes.c_int
        lib.opus_packet_get_nb_samples.argtypes = [ctypes.c_char_p, ctypes.c_int32,
                                                   ctypes.c_int32]
        lib.opus_strerror.restype = ctypes.c_char_p
        lib.opus_strerror.argtypes = [ctypes.c_int]
        return lib
    raise CodecUnavailable("libopus was not found: install PyAV (pip install av) or "
                           "Debian's libopus0")


def strerror(code: int) -> str:
    text: bytes = libopus().opus_strerror(code)
    return text.decode()
