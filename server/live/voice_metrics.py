"""Prometheus counters of the voice relay, on the app's registry (``server.metrics``)."""

from __future__ import annotations

from prometheus_client import Counter

from server.metrics import REGISTRY

VOICE_RELAYED = Counter("redhall_tour_voice_packets_relayed_total",
                        "Voice packets relayed to listeners (each counted once, however many "
                        "listeners)", ["origin"], registry=REGISTRY)
VOICE_DROPPED = Counter("redhall_tour_voice_packets_dropped_total",
                        "Voice packets dropped before relaying", ["reason"],
                        registry=REGISTRY)
"""Reasons: ``malformed``, ``flood``, ``not_allowed`` (no floor, muted, spectator),
``floor_busy`` (the open floor has its speakers), ``overflow`` (too many in one tick)."""
