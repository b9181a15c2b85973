"""Server-to-client websocket frames built once and written to many sockets (RFC 6455
§5.2: FIN set, unmasked, no extensions; the server never negotiates compression)."""

from __future__ import annotations

import struct


def binary_frame(payload: bytes) -> bytes:
    size = len(payload)
    if size < 126:
        return bytes((0x82, size)) + payload
    if size < 65536:
        return struct.pack("!BBH", 0x82, 126, size) + payload
    return struct.pack("!BBQ", 0x82, 127, size) + payload
