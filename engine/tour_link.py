"""The engine's connection to a live tour: a headless tour client on its own thread and
event loop, reached only through queues (the frame task never awaits the network)."""

from __future__ import annotations

import asyncio
import queue
import threading
from typing import Any

from engine.tour_client import TourClient, TourClosed
from protocol.tour_poses import Pose


class TourLink:
    def __init__(self, url: str, token: str) -> None:
        self.inbox: queue.Queue[Any] = queue.Queue()  # messages, ("frame", t, entries), closes
        self._client = TourClient(url, token)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tour-link",
                                        daemon=True)
        self._thread.start()

    def connect(self, timeout: float = 20.0) -> Any:
        """Joins the tour; returns the welcome (raises TourClosed if refused)."""
        welcome = asyncio.run_coroutine_threadsafe(self._client.connect(),
                                                   self._loop).result(timeout)
        asyncio.run_coroutine_threadsafe(self._pump(), self._loop)
        return welcome

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
        asyncio.run_coroutine_threadsafe(self._client.close(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
