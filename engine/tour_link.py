"""The engine's connection to a live tour: a headless tour client on its own thread and
event loop, reached only through queues (the frame task never awaits the network).

Voice runs on that thread too: the microphone's frames are sent from it and the speakers
fed from it. The engine reads who is speaking and sets where each voice sits (gain and
pan from the avatars) through plain attributes replaced whole, never shared mutably."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

from engine.tour_client import TourClient, TourClosed
from engine.voice import AudioDevices, TalkMode
from protocol.tour_poses import Pose


class TourLink:
    def __init__(self, url: str, token: str) -> None:
        self.inbox: queue.Queue[Any] = queue.Queue()  # messages, ("frame", t, entries), closes
        self._client = TourClient(url, token)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tour-link",
                                        daemon=True)
        self._thread.start()
        self.audio: AudioDevices | None = None
        self._placement: dict[int, tuple[float, float]] = {}

    def connect(self, timeout: float = 20.0, audio: TalkMode | None = "vad") -> Any:
        """Joins the tour; returns the welcome (raises TourClosed if refused). With
        ``audio``, the microphone (in that talk mode) and speakers are opened where there
        are any; :attr:`audio` then says whether there were (its ``notice``)."""
        welcome = asyncio.run_coroutine_threadsafe(self._client.connect(),
                                                   self._loop).result(timeout)
        asyncio.run_coroutine_threadsafe(self._pump(), self._loop)
        self._client.voice.placement = self._placed
        if audio is not None:
            self.audio = asyncio.run_coroutine_threadsafe(self._start_audio(audio),
                                                          self._loop).result(timeout)
        return welcome

    async def _start_audio(self, mode: TalkMode) -> AudioDevices:
        return self._client.start_audio(mode)

    @property
    def speaking(self) -> frozenset[int]:
        """The seats heard speaking just now (this one's own included)."""
        return self._client.speaking

    def place_voices(self, placement: dict[int, tuple[float, float]]) -> None:
        """Sets each seat's (gain, pan) for the mix, from where its avatar stands."""
        self._placement = placement

    def _placed(self, seat: int) -> tuple[float, float]:
        return self._placement.get(seat, (1.0, 0.0))

    def allow_talking(self, allowed: bool) -> None:
        """Whether the microphone's voice is sent (not while this seat lacks the floor)."""
        self._client.talk_allowed = allowed

    def talk(self, pressed: bool) -> None:
        """The push-to-talk key went down (True) or up."""
        sender = self._client.sender
        if sender is not None:
            sender.gate.pressed = pressed

    @property
    def talk_mode(self) -> TalkMode | None:
        sender = self._client.sender
        return None if sender is None else sender.gate.mode

    def set_talk_mode(self, mode: TalkMode) -> None:
        sender = self._client.sender
        if sender is not None:
            sender.gate.mode = mode

    async def _pump(self) -> None:
        client = self._client

        async def messages() -> None:
            while True:
                message = await client.messages.get()
                self.inbox.put(message)
                if isinstance(message, TourClosed):
                    return

        async def frames() -> None:
            while True:
                server_time, entries = await client.frames.get()
                self.inbox.put(("frame", server_time, entries))
        await asyncio.gather(messages(), frames())

    def poll(self) -> list[Any]:
        items = []
        while True:
            try:
                items.append(self.inbox.get_nowait())
            except queue.Empty:
                return items

    def send(self, message: Any) -> None:
        asyncio.run_coroutine_threadsafe(self._client.send(message), self._loop)

    def send_pose(self, pose: Pose) -> None:
        asyncio.run_coroutine_threadsafe(self._client.send_pose(pose), self._loop)

    @property
    def clock_offset(self) -> float:
        return self._client.clock_offset

    def close(self) -> None:
        """Leaves the tour, then ends the link's thread and closes its event loop."""
        try:
            asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(10)
        finally:
            asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
            if not self._thread.is_alive():
                self._loop.close()


async def _cancel_the_rest() -> None:
    """Cancels the loop's other tasks (the pump, voice) and waits for them to end."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
