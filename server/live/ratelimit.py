"""Rate limits per client and message class.

A :class:`TokenBucket` answers each message: refused ones get an error or are dropped.
Refusals in a row alone cannot tell a flood, as a sender pacing its bursts to the refill
gets a token every refill and its run of refusals starts again; so every message, taken or
refused, also counts against a :class:`Sustained` limit, and a client past it is closed."""

from __future__ import annotations

import time
from collections.abc import Callable

Clock = Callable[[], float]


class TokenBucket:
    def __init__(self, rate: float, burst: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.clock = clock
        self.stamp = clock()
        self.refused = 0  # refusals in a row

    def take(self) -> bool:
        now = self.clock()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            self.refused = 0
            return True
        self.refused += 1
        return False


class Sustained:
    """At most ``rate`` messages a second on average, with ``slack`` seconds' worth of
    messages above it allowed at any time (a burst after a stall); every message counts,
    whether it was taken or not."""

    def __init__(self, rate: float, slack: float, clock: Clock = time.monotonic) -> None:
        self.rate = rate
        self._bucket = TokenBucket(rate, rate * slack, clock)

    def allows(self) -> bool:
        """Counts one message; False once the client is past its sustained rate."""
        return self._bucket.take()
