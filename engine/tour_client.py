"""A live-tour participant without a screen: connects, says hello, sends messages and
poses, and keeps what arrives. The tests and the engine's network thread use it.

Does not import Panda3D.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp

from engine.errors import EngineError
from protocol import tour as wire
from protocol.tour_poses import Pose, decode_frame, encode_pose


class TourClosed(EngineError):
    """The server closed the tour connection; ``code`` and ``reason`` say why."""

    def __init__(self, code: int | None, reason: str, error: wire.Error | None = None) -> None:
        super().__init__(f"closed with {code}: {reason}" + (f" ({error.message})" if error else ""))
        self.code, self.reason, self.error = code, reason, error


class TourClient:
    def __init__(self, url: str, token: str, session: aiohttp.ClientSession | None = None) -> None:
        self.url = url
        self.token = token
        self._own_session = session is None
        self.session = session
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.welcome: wire.Welcome | None = None
        self.messages: asyncio.Queue[Any] = asyncio.Queue()
        self.frames: asyncio.Queue[tuple[float, list[tuple[int, Pose]]]] = asyncio.Queue()
        self.seen: list[Any] = []
        self.clock_offset = 0.0  # server time - local time
        self.last_error: wire.Error | None = None
        self._reader: asyncio.Task[None] | None = None
        self._seq = 0

    @property
    def seat(self) -> int:
        assert self.welcome is not None
        return self.welcome.seat

    async def connect(self, resume: str | None = None) -> wire.Welcome:
        """Joins (or resumes with a token from an earlier welcome) and returns the welcome.

        Raises:
            TourClosed: the server refused, with its error message.
        """
        if self.session is None:
            self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url, autoping=True, heartbeat=None)
        await self.ws.send_str(wire.Hello(version=wire.TOUR_PROTOCOL, token=self.token,
                                          resume=resume).model_dump_json())
        first = await self.ws.receive(timeout=15)
        if first.type != aiohttp.WSMsgType.TEXT:
            raise TourClosed(self.ws.close_code, "closed before the welcome")
        message = wire.SERVER.validate_json(first.data)
        if isinstance(message, wire.Error):
            await self.ws.receive(timeout=5)  # the close frame that follows
            raise TourClosed(self.ws.close_code, message.message, message)
        assert isinstance(message, wire.Welcome)
        self.welcome = message
        self.clock_offset = message.server_time - time.time()
        self._reader = asyncio.create_task(self._read())
        return message

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                self.frames.put_nowait(decode_frame(msg.data))
            elif msg.type == aiohttp.WSMsgType.TEXT:
                message = wire.SERVER.validate_json(msg.data)
                if isinstance(message, wire.Error):
                    self.last_error = message
                self.seen.append(message)
                self.messages.put_nowait(message)
        self.messages.put_nowait(TourClosed(self.ws.close_code, "closed"))

    async def send(self, message: Any) -> None:
        assert self.ws is not None
        await self.ws.send_str(message.model_dump_json())

    async def send_raw(self, data: str | bytes) -> None:
        assert self.ws is not None
        if isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def send_pose(self, pose: Pose) -> int:
        """Sends a pose with the next sequence number; returns that number."""
        assert self.ws is not None
        self._seq = (self._seq + 1) & 0xFFFF
        await self.ws.send_bytes(encode_pose(Pose(pose.head, pose.left, pose.right, self._seq)))
        return self._seq

    # a deadline for the whole wait, like asyncio.wait_for's
    async def expect(self, kind: str, timeout: float = 5.0, **fields: Any) -> Any:  # noqa: ASYNC109
        """The next message of ``type`` ``kind`` whose fields match; others are skipped.

        Raises:
            TourClosed: the connection closed first.
            TimeoutError: none came in time.
        """
        async with asyncio.timeout(timeout):
            while True:
                message = await self.messages.get()
                if isinstance(message, TourClosed):
                    raise message
                if message.type == kind and all(getattr(message, k) == v
                                                for k, v in fields.items()):
                    return message

    # a deadline for the whole wait, like asyncio.wait_for's
    async def closed(self, timeout: float = 5.0) -> TourClosed:  # noqa: ASYNC109
        """Waits for the server to close the connection."""
        async with asyncio.timeout(timeout):
            while True:
                message = await self.messages.get()
                if isinstance(message, TourClosed):
                    return message

    async def sync_clock(self) -> float:
        """Measures the offset to the server clock from a ping; returns the round trip."""
        sent = time.time()
        await self.send(wire.Ping(sent=sent))
        pong = await self.expect("pong", sent=sent)
        arrived = time.time()
        self.clock_offset = pong.server_time - (sent + arrived) / 2
        return arrived - sent

    async def close(self, code: int = 1000) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close(code=code)
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=5)
        if self._own_session and self.session is not None:
            await self.session.close()

    async def drop(self) -> None:
        """Loses the connection without a close handshake, as a network failure would."""
        assert self.ws is not None
        transport = self.ws._writer.transport  # no public way to cut a socket dead
        if transport is not None:
            transport.abort()
        if self._reader is not None:
            await asyncio.wait([self._reader], timeout=5)
