"""The Ogg page checksum (RFC 3533): the build stamps it on narration pages, the recorder on
each page it writes, and both check it when they read a page back."""

from __future__ import annotations


def _crc_table() -> list[int]:
    table = []
    for byte in range(256):
        value = byte << 24
        for _ in range(8):
            value = ((value << 1) ^ 0x04C11DB7) if value & 0x80000000 else value << 1
        table.append(value & 0xFFFFFFFF)
    return table


_TABLE = _crc_table()


def ogg_crc(data: bytes) -> int:
    """CRC-32 with polynomial 0x04C11DB7, not reflected, starting at 0, over a page whose
    checksum field is zero."""
    crc = 0
    table = _TABLE
    for byte in data:
        crc = ((crc << 8) & 0xFFFFFFFF) ^ table[((crc >> 24) ^ byte) & 0xFF]
    return crc
