"""Ogg page surgery: encoders pick a random stream serial; we fix it so builds repeat."""

from __future__ import annotations

import struct


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        table.append(value & 0xFFFFFFFF)
    return table


_TABLE = _crc_table()


def _crc(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ _TABLE[((crc >> 24) ^ byte) & 0xFF]
    return crc


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
        struct.pack_into("<I", out, offset + 22, _crc(bytes(out[offset:end])))
        offset = end
    return bytes(out)
