"""Ogg page surgery: encoders pick a random stream serial; we fix it so builds repeat."""

from __future__ import annotations

import struct

from protocol.ogg import ogg_crc


def set_serial(data: bytes, serial: int) -> bytes:
    """Rewrite every page's stream serial number and CRC (single-stream files).

    Raises ValueError when ``data`` is not a well-formed Ogg stream.
    """
    out = bytearray(data)
    offset = 0
    while offset < len(out):
        if out[offset:offset + 4] != b"OggS" or offset + 27 > len(out):
            raise ValueError(f"not an Ogg page at byte {offset}")
        segments = out[offset + 26]
        body = sum(out[offset + 27: offset + 27 + segments])
        end = offset + 27 + segments + body
        if end > len(out):
            raise ValueError("truncated Ogg page")
        struct.pack_into("<I", out, offset + 14, serial)
        struct.pack_into("<I", out, offset + 22, 0)
        struct.pack_into("<I", out, offset + 22, ogg_crc(bytes(out[offset:end])))
        offset = end
    return bytes(out)
