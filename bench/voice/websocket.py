"""The client side of a live tour's websocket, as the voice benchmark's listeners speak it:
the HTTP upgrade (its ``Sec-WebSocket-Accept`` checked, RFC 6455 §4.2.2) and masked client
frames. Frames the server sends are read by :mod:`bench.voice.listeners`."""

from __future__ import annotations

import base64
import hashlib

from bench.tours.generator import client_frame

KEY = base64.b64encode(b"redhall-voicekey").decode()
ACCEPT = base64.b64encode(hashlib.sha1(
    (KEY + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()
MAX_UPGRADE = 16_384  # an answer longer than this is not a websocket upgrade

__all__ = ["ACCEPT", "KEY", "UpgradeRefused", "client_frame", "request", "upgraded"]


class UpgradeRefused(ConnectionError):
    """The server did not switch the connection to a websocket."""


def request(path: str, host: str) -> bytes:
    """The upgrade request for ``path`` on ``host`` (``name:port``)."""
    return (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {KEY}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n").encode()


def upgraded(buffer: bytes | bytearray) -> int:
    """Where the frames start in ``buffer`` once it holds the server's whole answer to the
    upgrade; -1 while the answer is incomplete.

    Raises:
        UpgradeRefused: the answer is not ``101`` with the accept value for :data:`KEY`.
    """
    end = buffer.find(b"\r\n\r\n")
    if end < 0:
        if len(buffer) > MAX_UPGRADE:
            raise UpgradeRefused("no end to the upgrade's answer")
        return -1
    head = bytes(buffer[:end]).decode("latin-1")
    status, *lines = head.split("\r\n")
    if not status.startswith("HTTP/1.1 101"):
        raise UpgradeRefused(f"the upgrade was answered {status!r}")
    fields = {name.strip().lower(): value.strip() for name, _, value in
              (line.partition(":") for line in lines)}
    if fields.get("sec-websocket-accept") != ACCEPT:
        raise UpgradeRefused("the upgrade's Sec-WebSocket-Accept does not match the key")
    return end + 4
