"""Who speaks on the open floor: at most ``MAX_FLOOR`` members at once in the whole tour,
the members given the floor counted among them.

A member counts as speaking from their first packet until ``TALK_SECONDS`` after their
last (clients send nothing in silence), so a pause that long frees their place.

- :class:`LocalTalk`: the tour runs on this process alone; its speakers are counted here.
- :class:`SharedTalk`: the tour spans processes. Each talk spurt claims a place in Redis
  (an atomic script, ``Fanout.claim_talk``), renewed about twice a second while the member
  goes on, not once a packet; the claim lapses ``TALK_SECONDS`` after it was last renewed.
  Packets that arrive while a claim is asked are held and relayed once it is granted, so
  the first syllable is not cut off. Once Redis refused a place, the floor counts as
  full on this process: another member's first packet is refused here without asking,
  and one claim at a time (each ``RETRY_SECONDS`` at most) asks whether a place came
  free; otherwise at most ``MAX_FLOOR`` new places are asked at once (no more can be
  given). A crowd pressing to talk costs Redis a few calls a second, not one per member.
  A claim granted to a seat that may no longer speak is given back at once. When Redis
  does not answer within ``ASK_SECONDS`` (down, or slow) the process counts its own
  speakers for ``LOCAL_SECONDS`` before asking Redis again: the open floor keeps working,
  at most ``MAX_FLOOR`` members per process meanwhile, rather than silencing every member
  for a Redis outage.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from protocol import tour as wire

log = logging.getLogger("redhall.tours")
T = TypeVar("T")

TALK_SECONDS = 1.0
RENEW_SECONDS = 0.5  # a claim with less than this left is renewed as its member goes on
ASK_SECONDS = 0.25  # a claim Redis has not answered by then is decided on this process
RETRY_SECONDS = 0.2  # with the floor full, a place is asked for at most this often
LOCAL_SECONDS = 5.0  # after Redis failed, speakers are counted here this long
HOLD_PACKETS = 25  # packets held while a claim is asked (500 ms); later ones are dropped


class Verdict(enum.Enum):
    SPEAK = "speak"  # relay it
    BUSY = "busy"  # the open floor has its speakers: drop it
    HELD = "held"  # kept until the claim is answered (``SharedTalk.answered``)


@dataclass
class LocalTalk:
    talking: dict[int, float] = field(default_factory=dict)  # seat -> its last packet

    def admits(self, seat: int, now: float, holders: list[int]) -> bool:
        """Yes while the member speaks already, or while fewer than ``MAX_FLOOR`` members
        (holders of the floor included) speak."""
        if seat in self.talking and now - self.talking[seat] < TALK_SECONDS:
            self.talking[seat] = now
            return True
        for other, last in list(self.talking.items()):
            if now - last >= TALK_SECONDS:
                del self.talking[other]
        if len(self.talking) + len(holders) >= wire.MAX_FLOOR:
            return False
        self.talking[seat] = now
        return True

    def admit(self, seat: int, now: float, holders: list[int], item: object) -> Verdict:
        return Verdict.SPEAK if self.admits(seat, now, holders) else Verdict.BUSY

    async def close(self) -> None:
        pass


Claim = Callable[[int, list[int]], Awaitable[bool]]
"""Asks Redis for a place for ``seat`` (given the floor's holders); True when it has one."""


class SharedTalk(Generic[T]):
    """Claims in Redis for a tour that spans processes.

    Args:
        claim: asks for (or renews) a seat's place.
        answered: called with a seat, whether it got its place, and the packets held
            meanwhile (in the order they came).
    """

    def __init__(self, claim: Claim, answered: Callable[[int, bool, list[T]], None],
                 release: Callable[[int], Awaitable[None]] | None = None) -> None:
        self.claim = claim
        self.answered = answered
        self.give_back = release
        self.local = LocalTalk()
        self.until: dict[int, float] = {}  # seat -> when its claim lapses (monotonic)
        self.held: dict[int, list[T]] = {}  # seats whose claim is being asked
        self.renewing: set[int] = set()
        self.full = False  # the last answer for a new place was no
        self.full_until = 0.0  # ...and no one here asks again before then
        self.asking = 0  # claims for new places in flight
        self.local_until = 0.0  # Redis failed: speakers are counted here until then
        self._tasks: set[asyncio.Task[None]] = set()

    def admit(self, seat: int, now: float, holders: list[int], item: T) -> Verdict:
        """``now``: ``time.monotonic()``."""
        if now < self.local_until:
            return Verdict.SPEAK if self.local.admits(seat, now, holders) else Verdict.BUSY
        until = self.until.get(seat, 0.0)
        if now < until:
            if until - now < RENEW_SECONDS and seat not in self.renewing:
                self.renewing.add(seat)
                self._spawn(self._ask(seat, now, list(holders)))
            return Verdict.SPEAK
        held = self.held.get(seat)
        if held is not None:
            if len(held) < HOLD_PACKETS:
                held.append(item)
            return Verdict.HELD
        if self.asking >= (1 if self.full else wire.MAX_FLOOR) or \
                (self.full and now < self.full_until):
            return Verdict.BUSY  # not asked again for every member of a crowd
        self.asking += 1
        self.held[seat] = [item]
        self._spawn(self._ask(seat, now, list(holders)))
        return Verdict.HELD

    def release(self, seat: int) -> None:
        """Gives back ``seat``'s place (it may no longer speak), for another member."""
        self.until.pop(seat, None)
        self.local.talking.pop(seat, None)
        if self.give_back is not None:
            self._spawn(self._give_back(seat))

    async def _give_back(self, seat: int) -> None:
        assert self.give_back is not None
        try:
            async with asyncio.timeout(ASK_SECONDS):
                await self.give_back(seat)
        except Exception as exc:  # noqa: BLE001  the place lapses by itself soon
            log.warning("giving back seat %s's place on the open floor failed: %s",
                        seat, str(exc) or "no answer in time")

    def _spawn(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _ask(self, seat: int, sent: float, holders: list[int]) -> None:
        try:
            async with asyncio.timeout(ASK_SECONDS):
                granted = await self.claim(seat, holders)
        except Exception as exc:  # noqa: BLE001  Redis down or slow: counted here a while
            if time.monotonic() >= self.local_until:
                log.warning("the open floor's claims in Redis failed (%s); counting this "
                            "process's speakers for %.0f s", str(exc) or "no answer in time",
                            LOCAL_SECONDS)
            self.local_until = time.monotonic() + LOCAL_SECONDS
            granted = self.local.admits(seat, time.monotonic(), holders)
        else:
            if granted:  # Redis counts from when it ran the script, later than ``sent``
                self.until[seat] = sent + TALK_SECONDS
            else:
                self.until.pop(seat, None)  # a renewal refused: its place was lost
        finally:
            self.renewing.discard(seat)
        held = self.held.pop(seat, None)
        if held is not None:  # a new place was asked, not a renewal
            self.asking -= 1
            self.full = not granted
            if not granted:
                self.full_until = time.monotonic() + RETRY_SECONDS
            self.answered(seat, granted, held)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(list(self._tasks))
