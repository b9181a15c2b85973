"""The desktop's keys for a replay: F5 pause, F6 and F7 ten seconds back and forward, F8
between normal and 1.5× speed (F1–F4 answer quiz items, as in any visit)."""

from __future__ import annotations

from typing import Any

from engine.replay import ReplaySystem

STEP_SECONDS = 10.0


def bind_replay_keys(base: Any, replay: ReplaySystem) -> None:
    playback = replay.playback
    base.accept("f5", replay.toggle_pause)
    base.accept("f6", lambda: replay.seek(playback.position - STEP_SECONDS))
    base.accept("f7", lambda: replay.seek(playback.position + STEP_SECONDS))
    base.accept("f8", lambda: replay.set_speed(1.0 if playback.speed != 1.0 else 1.5))
