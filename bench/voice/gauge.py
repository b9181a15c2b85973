"""Whether the load generator kept up, and what else used the cores, over one window.

The generator's loop wakes every few milliseconds on a schedule; how late each wake-up
came (its lag), how far its work ran past the schedule (``late_s``, summed) and the
generator process's CPU say whether it could still send and read on time. ``/proc/stat``
gives each core's busy time, from which the server's and the generator's own CPU are
taken away: what is left is other work on the shared machine.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

SATURATED_CPU = 0.9  # of the generator's one core
SATURATED_LATE = 0.05  # of the window: time the work ran past the schedule
SATURATED_LAG_P99 = 0.025  # half a pose tick
CONTENDED = 0.3  # of the server's core taken by other processes: not the server's verdict


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of process ``pid`` so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def core_busy() -> dict[int, float]:
    """Seconds each core ran processes so far (user, nice, system) or was taken by the
    hypervisor (steal); interrupts are left out, loopback traffic is ours."""
    tick = os.sysconf("SC_CLK_TCK")
    busy = {}
    for line in Path("/proc/stat").read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name != "cpu":
            user, nice, system, _idle, _iowait, _irq, _softirq, steal = map(int, values[:8])
            busy[int(name[3:])] = (user + nice + system + steal) / tick
    return busy


@dataclass
class Gauge:
    """Started at a window's beginning; :meth:`figures` at its end."""

    server_pid: int
    server_core: int
    generator_core: int
    lags: list[float] = field(default_factory=list)
    late: float = 0.0

    def __post_init__(self) -> None:
        self.wall = time.perf_counter()
        self.own = time.process_time()
        self.server = process_cpu(self.server_pid)
        self.cores = core_busy()

    def woke(self, lag: float) -> None:
        """The loop woke ``lag`` seconds after it was due (epoll's millisecond rounding
        makes a millisecond or so the floor)."""
        self.lags.append(lag)

    def behind(self, seconds: float) -> None:
        """A step's work ended ``seconds`` after the next step was due."""
        self.late += seconds

    def figures(self) -> dict[str, object]:
        seconds = time.perf_counter() - self.wall
        own = (time.process_time() - self.own) / seconds
        server = (process_cpu(self.server_pid) - self.server) / seconds
        cores = core_busy()

        def others(core: int, ours: float) -> float | None:
            if core not in cores or core not in self.cores:
                return None
            return round(max(0.0, (cores[core] - self.cores[core]) / seconds - ours), 2)
        lags = sorted(self.lags) or [0.0]
        lag_p99 = lags[min(len(lags) - 1, int(0.99 * len(lags)))]
        saturated = (own > SATURATED_CPU or self.late > SATURATED_LATE * seconds
                     or lag_p99 > SATURATED_LAG_P99)
        return {"seconds": round(seconds, 2), "server_cpu": round(server, 3),
                "generator": {
                    "cpu": round(own, 3), "late_s": round(self.late, 2),
                    "lag_p50_ms": round(lags[len(lags) // 2] * 1000, 1),
                    "lag_p99_ms": round(lag_p99 * 1000, 1),
                    "lag_max_ms": round(lags[-1] * 1000, 1), "saturated": saturated},
                # other processes' share of each core, besides the server and generator
                "others_on_server_core": (taken := others(self.server_core, server)),
                "others_on_generator_core": others(self.generator_core, own),
                "server_core_contended": taken is not None and taken > CONTENDED}
