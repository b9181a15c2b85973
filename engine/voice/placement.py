"""Where a voice sits for the listener: a gain that falls with distance and a pan from the
side it comes from, as a 3D sound at the speaker's avatar would be heard.

Panda3D's 3D audio plays sound files and streams through its own audio manager; a voice
arriving 20 ms at a time is mixed here instead (:mod:`engine.voice.mixer`) and given the
same cues: inverse-distance roll-off beyond a reference distance, and left/right balance.
"""

from __future__ import annotations

import math

REFERENCE_DISTANCE = 2.0  # metres within which a voice is at full level
QUIETEST = 0.1  # far voices fade to this, never out: the tour is one room


def place(right: float, forward: float, up: float = 0.0) -> tuple[float, float]:
    """(gain, pan) of a voice at (``right``, ``forward``, ``up``) metres from the
    listener's head, in the listener's own frame; pan −1 is full left."""
    if not all(math.isfinite(v) for v in (right, forward, up)):
        return QUIETEST, 0.0
    distance = math.sqrt(right * right + forward * forward + up * up)
    gain = 1.0 if distance <= REFERENCE_DISTANCE else max(QUIETEST,
                                                          REFERENCE_DISTANCE / distance)
    level = math.hypot(right, forward)
    pan = 0.0 if level < 1e-6 else right / level
    return gain, pan
