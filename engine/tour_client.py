"""A live-tour participant without a screen: connects, says hello, sends messages, poses
and voice, and keeps what arrives. The tests and the engine's network thread use it.

Voice: :meth:`TourClient.speak_file` speaks a WAV/Ogg file into the tour as a microphone
would (silence not sent), :meth:`TourClient.record_to` writes what this participant hears
(every speaker through a jitter buffer, decoded and mixed) to a WAV, and
:meth:`TourClient.start_audio` uses the microphone and speakers where there are any.

Does not import Panda3D.
"""

from __future__ import annotations

import asyncio
import os
import queue
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np

from engine.errors import EngineError
from engine.voice import (
    FRAME_SECONDS,
    AudioDevices,
    PlayoutClock,
    TalkMode,
    VoiceReceiver,
    VoiceSender,
    WavRecorder,
    frames_of,
    open_devices,
    read_speech,
)
from protocol import tour as wire
from protocol.tour_poses import Pose, decode_frame, encode_pose
from protocol.voice import VOICE_FRAME_KIND, VoiceError, decode_voice_frame

STEERING = ("guide", "co_guide")
PLAYED_QUEUE = 10  # 200 ms of mixed sound waiting for the speakers at most
CAPTURE_DRIFT = 0.1  # seconds the microphone's frame count may stray from the clock


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
        # voice: what is heard, what is said, and where it goes
        self.voice = VoiceReceiver()
        self.sender: VoiceSender | None = None
        self.bad_voice = 0  # voice frames from the server that could not be read
        # whether the microphone's voice goes out: the engine clears it while this seat
        # lacks the floor (the server would drop it anyway)
        self.talk_allowed = True
        self._mic_clock = (-1e9, 0)  # (tour time of a first frame, frames since)
        self.devices: AudioDevices | None = None
        self._recorder: WavRecorder | None = None
        self._played: queue.Queue[np.ndarray] | None = None
        self._playout: asyncio.Task[None] | None = None
        self._sending: set[asyncio.Task[None]] = set()

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
        self.voice.guides = {p.seat for p in message.snapshot.participants
                             if p.role in STEERING}
        self._reader = asyncio.create_task(self._read())
        return message

    async def _read(self) -> None:
        assert self.ws is not None
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                if msg.data[:1] == bytes([VOICE_FRAME_KIND]):
                    self._heard(msg.data)
                else:
                    self.frames.put_nowait(decode_frame(msg.data))
            elif msg.type == aiohttp.WSMsgType.TEXT:
                message = wire.SERVER.validate_json(msg.data)
                if isinstance(message, wire.Error):
                    self.last_error = message
                elif isinstance(message, wire.RoleChanged):
                    if message.role in STEERING:
                        self.voice.guides.add(message.seat)
                    else:
                        self.voice.guides.discard(message.seat)
                elif isinstance(message, wire.Left) and message.reason != "dropped":
                    self.voice.forget(message.seat)
                self.seen.append(message)
                self.messages.put_nowait(message)
        self.messages.put_nowait(TourClosed(self.ws.close_code, "closed"))

    # -- voice -----------------------------------------------------------------------------

    def tour_time(self) -> float:
        """Now, on the tour clock (the server's, through the measured offset)."""
        return time.time() + self.clock_offset

    def _heard(self, data: bytes) -> None:
        try:
            entries = decode_voice_frame(data)
        except VoiceError:  # a frame this client cannot read: skipped, the tour goes on
            self.bad_voice += 1
            return
        self.voice.receive((e for e in entries if e.seat != self.seat), self.tour_time())

    @property
    def speaking(self) -> frozenset[int]:
        """The seats heard speaking just now, this participant's own included."""
        own = {self.seat} if self.sender is not None and self.sender.talking else set()
        return self.voice.speaking(self.tour_time()) | own

    def _voice_sender(self, mode: TalkMode = "vad") -> VoiceSender:
        if self.sender is None:
            self.sender = VoiceSender(mode)
        return self.sender

    async def speak_file(self, path: str | os.PathLike[str], paced: bool = True,
                         drop: Callable[[int], bool] | None = None) -> int:
        """Speaks the WAV/Ogg file at ``path`` into the tour as a microphone would: 20 ms
        frames (silence not sent), in real time unless ``paced`` is False. ``drop(seq)``
        True loses that packet on the way, as a bad network would. Returns packets sent.

        Raises:
            BadAudioFile: the file could not be read as audio.
        """
        assert self.ws is not None
        samples = await asyncio.to_thread(read_speech, path)
        sender = self._voice_sender()
        started, start = time.monotonic(), self.tour_time()
        sent = 0
        for index, frame in enumerate(frames_of(samples)):
            if paced:
                await asyncio.sleep(max(0.0, started + (index + 1) * FRAME_SECONDS
                                        - time.monotonic()))
            message = sender.message(frame, start + index * FRAME_SECONDS)
            if message is None or (drop is not None and drop(sender.seq)):
                continue
            await self.ws.send_bytes(message)
            sent += 1
        sender.talking = False
        return sent

    def _captured(self, frame: np.ndarray) -> None:
        """A microphone frame (on the event loop): sent when the gate lets it through."""
        if self.ws is None or self.ws.closed or self.sender is None or not self.talk_allowed:
            return
        message = self.sender.message(frame, self._capture_time())
        if message is not None:
            task = asyncio.get_running_loop().create_task(self.ws.send_bytes(message))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)

    def _capture_time(self) -> float:
        """When the microphone frame just delivered began, on the tour clock: counted in
        frames from the first one, as the sound card's sample clock runs, so callback
        jitter does not stretch or squeeze the voice; re-anchored if the count drifts
        more than :data:`CAPTURE_DRIFT` from the clock."""
        heard = self.tour_time() - FRAME_SECONDS
        start, count = self._mic_clock
        capture = start + count * FRAME_SECONDS
        if abs(capture - heard) > CAPTURE_DRIFT:
            start, count, capture = heard, 0, heard
        self._mic_clock = (start, count + 1)
        return capture

    def start_audio(self, mode: TalkMode = "vad", microphone: bool = True) -> AudioDevices:
        """Opens the microphone (when this participant may speak) and speakers, where
        there are any; without them says so once (``devices.notice``) and goes on."""
        if self.devices is not None:
            return self.devices
        loop = asyncio.get_running_loop()
        sender = self._voice_sender(mode)
        sender.gate.mode = mode
        self._played = queue.Queue(maxsize=PLAYED_QUEUE)
        self.devices = open_devices(
            (lambda frame: loop.call_soon_threadsafe(self._captured, frame))
            if microphone else None, self._played)
        if self.devices.speaker is None:
            self._played = None
        else:
            self._start_playout()
        return self.devices

    def record_to(self, path: str | os.PathLike[str]) -> None:
        """Writes everything this participant hears, mixed, to a 48 kHz stereo WAV at
        ``path`` from now until :meth:`stop_recording` (or :meth:`close`)."""
        if self._recorder is not None:
            self._recorder.close()
        self._recorder = WavRecorder(path)
        self._start_playout()

    def stop_recording(self) -> Path | None:
        """Finishes the recording; returns its path."""
        recorder, self._recorder = self._recorder, None
        if recorder is None:
            return None
        recorder.close()
        return recorder.path

    def _start_playout(self) -> None:
        if self._playout is None:
            self._playout = asyncio.get_running_loop().create_task(self._play())

    async def _play(self) -> None:
        """Every 20 ms of tour time: the mix of what is due, to the recording and the
        speakers. A late wake-up plays every slot it missed, so no sound is skipped."""
        clock = PlayoutClock(self.tour_time())
        while True:
            for tick in clock.due(self.tour_time()):
                mixed = self.voice.tick(tick)
                if self._recorder is not None:
                    self._recorder.write(mixed)
                if self._played is not None:
                    if self._played.full():  # the speakers fell behind: old sound makes way
                        self._played.get_nowait()
                    self._played.put_nowait(mixed)
            await asyncio.sleep(FRAME_SECONDS / 2)

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

    async def _stop_voice(self) -> None:
        if self._playout is not None:
            self._playout.cancel()
            await asyncio.wait([self._playout], timeout=5)
            self._playout = None
        if self._sending:
            await asyncio.wait(self._sending, timeout=5)
        self.stop_recording()
        if self.devices is not None:
            self.devices.close()
        self.voice.close()

    async def close(self, code: int = 1000) -> None:
        await self._stop_voice()
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
