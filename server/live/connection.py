"""One participant's websocket on the sending side: a bounded queue drained by its own
writer task, so a slow client never holds up the tour.

Control messages queue in order and the writer task sends them. The queue is bounded by
its size in characters, not by a count of messages: applying one read of the tour's log
can send every member thousands of small roster messages at once (many joining through
other processes at the same moment), which a client that reads keeps up with.

Pose frames are written straight to the socket's transport, already framed (one
websocket frame built per tick and shared by every recipient), unless the transport still
holds more than ``frame_buffer`` unsent bytes: then the frame is skipped, as a newer one
follows in 50 ms.
A client whose control queue overflows, or that skips ``stall_frames`` frames in a row, is
closed with 4008 and may resume its held seat.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque

from aiohttp import web

from server.background import stop

TOO_SLOW = 4008


class Connection:
    def __init__(self, ws: web.WebSocketResponse, transport: asyncio.Transport | None,
                 queue_limit: int = 1_000_000, stall_frames: int = 100,
                 frame_buffer: int = 256 * 1024) -> None:
        self.ws = ws
        self.transport = transport
        self.frame_buffer = frame_buffer
        self.id = secrets.token_hex(8)
        self.queue: deque[str] = deque()
        self.queued = 0  # characters in ``queue``
        self.queue_limit = queue_limit
        self.stall_frames = stall_frames
        self._stalled = 0
        self._wake = asyncio.Event()
        self.closing: tuple[int, str] | None = None
        self.flushed = asyncio.Event()  # set once a requested close may go ahead
        self._task = asyncio.create_task(self._write())

    def send(self, text: str) -> None:
        if self.closing:
            return
        if self.queued + len(text) > self.queue_limit:
            self.close(TOO_SLOW, "too slow: messages piled up unread; resume to continue")
            return
        self.queue.append(text)
        self.queued += len(text)
        self._wake.set()

    def send_frame(self, ws_frame: bytes) -> None:
        """Writes a complete, already framed binary websocket message (see
        ``server.live.wsframe``); frames are whole, so they never interleave with the
        writer task's."""
        transport = self._ready()
        if transport is not None:
            transport.write(ws_frame)

    def send_frames(self, ws_frames: tuple[bytes, ...]) -> None:
        """Writes a tick's frames (poses, voice) in one write, or skips them all."""
        transport = self._ready()
        if transport is not None:
            transport.writelines(ws_frames)

    def _ready(self) -> asyncio.Transport | None:
        """The transport, unless it is closing or still holds more than ``frame_buffer``
        unsent bytes: then this tick's frames are skipped (old voice is lost, the seat is
        kept) and a client that skips ``stall_frames`` ticks in a row is closed."""
        transport = self.transport
        if self.closing or transport is None or transport.is_closing():
            return None
        if transport.get_write_buffer_size() > self.frame_buffer:
            self._stalled += 1
            if self._stalled >= self.stall_frames:
                self.close(TOO_SLOW, "too slow: pose frames are not being read; resume to "
                                     "continue")
            return None
        self._stalled = 0
        return transport

    def close(self, code: int, reason: str) -> None:
        """Asks for a close after the messages already queued have been sent; the task
        reading the socket carries it out (see ``server.routes.live``): aiohttp's close
        from a second task would cut the socket without the closing handshake."""
        if self.closing is None:
            self.closing = (code, reason)
            self._wake.set()

    async def _write(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                while self.queue:
                    text = self.queue.popleft()
                    self.queued -= len(text)
                    await self.ws.send_str(text)
                if self.closing is not None and not self.queue:
                    return
        except (ConnectionError, RuntimeError):  # the socket went away while writing
            pass
        finally:
            self.flushed.set()

    async def stop(self) -> None:
        """Ends the writer without waiting for a socket that may never drain."""
        await stop(self._task)
