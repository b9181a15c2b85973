"""Ogg Opus (RFC 7845) written a page at a time, and read back page by page.

Each page goes to the operating system as soon as it is made (an unbuffered file), so a
server killed with ``kill -9`` leaves a file that plays up to its last complete page; a
torn page at the end is found by its checksum and cut off by :func:`complete_length`.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from protocol.ogg import ogg_crc

SAMPLE_RATE = 48_000
PRE_SKIP = 312  # libopus's encoder lookahead at 48 kHz, which every client uses
MAX_PAGE_SEGMENTS = 255
PAGE_PACKETS = 10  # 200 ms: the most a busy writer holds back from the file
_HEADER = struct.Struct("<4sBBqIIIB")
_CONTINUED, _FIRST, _LAST = 0x01, 0x02, 0x04
SILENCE = b"\xf8\xff\xfe"
"""A 20 ms Opus packet of silence (CELT, full band, mono): fills the gaps between words so
the file's time stays the tour's time."""


def packet_samples(packet: bytes) -> int:
    """Samples at 48 kHz in one Opus packet, read from its TOC byte (RFC 6716 §3.1);
    0 for a packet that cannot be one (empty, or a frame count it cannot hold)."""
    if not packet:
        return 0
    toc = packet[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config & 1]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    else:
        if len(packet) < 2:
            return 0
        count = packet[1] & 0x3F
    total = frame * count
    return total if 0 < total <= 5760 else 0  # at most 120 ms (RFC 6716 §3.2.5)


def page(payload_packets: list[bytes], granule: int, serial: int, sequence: int,
         flags: int = 0) -> bytes:
    """One Ogg page holding whole packets (the caller keeps them under 255 segments)."""
    lacing = bytearray()
    for packet in payload_packets:
        lacing += b"\xff" * (len(packet) // 255) + bytes([len(packet) % 255])
    if len(lacing) > MAX_PAGE_SEGMENTS:
        raise ValueError("too many segments for one Ogg page")
    header = _HEADER.pack(b"OggS", 0, flags, granule, serial, sequence, 0, len(lacing))
    body = header + bytes(lacing) + b"".join(payload_packets)
    crc = ogg_crc(body)
    return body[:22] + struct.pack("<I", crc) + body[26:]


def segments(packet: bytes) -> int:
    return len(packet) // 255 + 1


def opus_head(pre_skip: int = PRE_SKIP) -> bytes:
    return b"OpusHead" + struct.pack("<BBHIhB", 1, 1, pre_skip, SAMPLE_RATE, 0, 0)


def opus_tags(comments: dict[str, str]) -> bytes:
    vendor = b"RedHall"
    out = b"OpusTags" + struct.pack("<I", len(vendor)) + vendor
    out += struct.pack("<I", len(comments))
    for key, value in sorted(comments.items()):
        entry = f"{key}={value}".encode()
        out += struct.pack("<I", len(entry)) + entry
    return out


def tag(head: bytes, key: str) -> str | None:
    """The value of comment ``key`` in the OpusTags header within ``head`` (a file's first
    bytes); None when it is not there. Comments never span pages here: they are short."""
    at = head.find(b"OpusTags")
    if at < 0:
        return None
    want = f"{key}=".encode()
    at += 8
    try:
        (size,) = struct.unpack_from("<I", head, at)
        at += 4 + size  # the vendor
        (count,) = struct.unpack_from("<I", head, at)
        at += 4
        for _ in range(min(count, 64)):
            (size,) = struct.unpack_from("<I", head, at)
            entry = head[at + 4:at + 4 + size]
            at += 4 + size
            if entry.startswith(want):
                return entry[len(want):].decode("utf-8", "replace")
    except struct.error:
        return None
    return None


class OggOpusWriter:
    """One speaker's voice: packets placed at 20 ms slots of the tour clock.

    Args:
        out: an unbuffered binary file (each page is one write).
        comments: Vorbis comments for the OpusTags header (tour, seat, start time).
    """

    def __init__(self, out: BinaryIO, serial: int, comments: dict[str, str]) -> None:
        self.out = out
        self.serial = serial & 0xFFFFFFFF
        self.sequence = 0
        self.samples = 0  # samples written so far, after pre-skip
        self._pending: list[bytes] = []
        self._pending_segments = 0
        self._write([opus_head()], 0, _FIRST)
        self._write([opus_tags(comments)], 0)

    def _write(self, packets: list[bytes], granule: int, flags: int = 0) -> None:
        self.out.write(page(packets, granule, self.serial, self.sequence, flags))
        self.sequence += 1

    def add(self, packet: bytes, samples: int) -> None:
        """Adds a packet to the page being filled (written out by :meth:`flush`)."""
        if self._pending_segments + segments(packet) > MAX_PAGE_SEGMENTS:
            self.flush()
        self._pending.append(packet)
        self._pending_segments += segments(packet)
        self.samples += samples
        if len(self._pending) >= PAGE_PACKETS:
            self.flush()

    def silence(self, samples: int) -> None:
        """Silence for ``samples`` (rounded down to whole 20 ms packets)."""
        for _ in range(samples // 960):
            self.add(SILENCE, 960)

    def flush(self, last: bool = False) -> None:
        if not self._pending and not last:
            return
        packets = self._pending or [SILENCE]
        if not self._pending:
            self.samples += 960
        self._write(packets, PRE_SKIP + self.samples, _LAST if last else 0)
        self._pending, self._pending_segments = [], 0


def pages(data: bytes) -> Iterator[tuple[int, int]]:
    """(offset, length) of each complete page whose checksum holds, from the start; stops
    at the first torn or damaged page."""
    offset = 0
    while offset + _HEADER.size <= len(data):
        magic, version, _, _, _, _, crc, count = _HEADER.unpack_from(data, offset)
        if magic != b"OggS" or version != 0:
            return
        table_end = offset + _HEADER.size + count
        if table_end > len(data):
            return
        length = table_end - offset + sum(data[offset + _HEADER.size:table_end])
        if offset + length > len(data):
            return
        blank = data[offset:offset + 22] + b"\0\0\0\0" + data[offset + 26:offset + length]
        if ogg_crc(blank) != crc:
            return
        yield offset, length
        offset += length


def complete_length(data: bytes) -> int:
    """Bytes of ``data`` up to the end of its last complete, intact page."""
    end = 0
    for offset, length in pages(data):
        end = offset + length
    return end
