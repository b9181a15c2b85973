"""The figures of one measured window, from the listeners' counters."""

from __future__ import annotations

from statistics import median
from typing import Any

from bench.tours.generator import Stats
from bench.voice.listeners import FullListener, Listener

POSE_TICK = 0.05


def pct(q: float, values: list[float]) -> float | None:
    """The ``q`` quantile of ``values`` (seconds) in milliseconds; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


def spread(shares: list[float]) -> dict[str, float]:
    """Min, median and max of per-listener shares."""
    return {"min": round(min(shares), 4), "median": round(median(shares), 4),
            "max": round(max(shares), 4)}


def poses(stats: Stats, pose_frames: list[int], seconds: float) -> dict[str, Any]:
    """Pose latency between the observers, and pose frames per tick at every listener."""
    delivered = (stats.exact + stats.superseded) / stats.expected if stats.expected else 0.0
    per_tick = sorted(frames / (seconds / POSE_TICK) for frames in pose_frames)
    return {"p50_ms": pct(0.5, stats.latencies), "p99_ms": pct(0.99, stats.latencies),
            "delivery": round(min(1.0, delivered), 4),
            "frames_per_tick_median": round(per_tick[len(per_tick) // 2], 3),
            "frames_per_tick_p1": round(per_tick[len(per_tick) // 100], 3),
            "frames_per_tick_min": round(per_tick[0], 3)}


def voice(sent: int, people: list[Listener], guide_seat: int,
          delays: list[float | None]) -> dict[str, Any]:
    """What every listener received of the ``sent`` packets (counted from frame headers
    and capture times), and what the full sample decoded and played; ``delays``: the
    playout delay each full listener's jitter buffer held at the window's end."""
    full = [p for p in people if isinstance(p, FullListener)]
    decoded = [latency for p in full for latency in p.decoded]
    arrivals = [latency for p in full for latency in p.arrivals]
    played = [p.played(guide_seat) for p in full]
    wanted = sent * len(full)
    return {
        "packets_sent": sent,
        "full_sample": {
            "listeners": len(full),
            "p50_ms": pct(0.5, decoded), "p99_ms": pct(0.99, decoded),
            "played": round(sum(p[0] for p in played) / wanted, 4) if wanted else None,
            "lost": sum(p[1] for p in played), "late": sum(p[2] for p in played),
            "played_per_listener": spread([p[0] / sent for p in played]) if sent else None,
            "arrival_p50_ms": pct(0.5, arrivals), "arrival_p99_ms": pct(0.99, arrivals),
            "undecodable_frames": sum(p.bad for p in full),
            "playout_delay_ms": {k: round(v * 1000, 1) for k, v in spread(
                [d for d in delays if d is not None]).items()} if any(delays) else None},
        "all_listeners": {
            "listeners": len(people),
            "received": spread([p.voice_packets / sent for p in people]) if sent else None,
            "in_time": spread([p.voice_in_time / sent for p in people]) if sent else None,
            "in_time_overall": round(sum(p.voice_in_time for p in people)
                                     / (sent * len(people)), 4) if sent else None,
            "arrival_max_ms": round(max(p.worst_arrival for p in people) * 1000, 1)},
    }
