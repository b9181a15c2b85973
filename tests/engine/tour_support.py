"""Helpers for engine tests in a live tour: a real server tour of a sample exhibit, engine
views joined to it through the tour link, the panels' rectangles, and screenshots."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image
from sqlalchemy import update

from engine.tour_link import TourLink
from engine.tour_scenes import TourSession
from engine.view import ExhibitView
from server.db.models import User
from server.keys import SESSIONS
from tests.server.conftest import World
from tests.server.live_support import live_url, publish, schedule
from tools.build import BuildResult

# Names with characters no sample exhibit shows, so none is in a package's font subset.
NAMES = {"guide": "冼星海", "member": "聂耳"}


async def tour_of(world: World, samples: dict[str, BuildResult], exhibit: str = "founding",
                  names: dict[str, str] = NAMES) -> int:
    """A scheduled tour of ``exhibit`` whose guide and member have Chinese names."""
    async with world.client.server.app[SESSIONS].begin() as db:
        for who, name in names.items():
            await db.execute(update(User).where(User.id == world.users[who])
                             .values(display_name=name))
    version = await publish(world.client, samples[exhibit], world.users["editor"])
    return await schedule(world.client, version, world.users["guide"], [world.branch_a])


async def join(world: World, tour: int, who: str, view: ExhibitView) -> TourSession:
    """``view``'s engine joins ``tour`` as ``who`` through a real websocket."""
    link = TourLink(live_url(world.client, tour), world.tokens[who])
    welcome = await asyncio.to_thread(link.connect)
    return TourSession(view, link, welcome)


async def until(session: TourSession, check: Callable[[], bool], seconds: float = 8.0,
                what: str = "the engine did not get there in time") -> None:
    """Runs the engine's frames (and lets the server work) until ``check()`` holds."""
    for _ in range(int(seconds / 0.05)):
        session.app.step(0.05)
        if check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(what)


def rectangles(panels: dict[str, object], frame: object) -> dict[str, tuple[float, ...]]:
    """Each visible panel's (left, right, bottom, top) in ``frame``'s x and z."""
    out = {}
    for name, panel in panels.items():
        root = panel.root  # type: ignore[attr-defined]
        if root.isHidden():
            continue
        low, high = root.getTightBounds(frame)
        out[name] = (low.x, high.x, low.z, high.z)
    return out


def overlapping(rects: dict[str, tuple[float, ...]]) -> list[tuple[str, str]]:
    names = sorted(rects)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            l1, r1, b1, t1 = rects[a]
            l2, r2, b2, t2 = rects[b]
            if min(r1, r2) - max(l1, l2) > 1e-4 and min(t1, t2) - max(b1, b2) > 1e-4:
                pairs.append((a, b))
    return pairs


def save_shot(image: object, name: str, tmp_path: Path) -> Path:
    """Writes a screenshot under ``tmp_path`` (and ``$REDHALL_TEST_SHOTS`` when set)."""
    target = Path(os.environ.get("REDHALL_TEST_SHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    path = target / name
    Image.fromarray(image).save(path)  # type: ignore[arg-type]
    return path


# -- voice ---------------------------------------------------------------------------------

SPEECH_TEXT = ("Welcome aboard the red boat on Nanhu lake. In the summer of nineteen twenty "
               "one, the delegates met here and finished the first congress.")


def speech_wav(folder: Path, text: str = SPEECH_TEXT) -> Path:
    """A recording of ``text`` spoken by espeak-ng (scripts/setup installs it)."""
    import subprocess
    path = folder / "speech.wav"
    subprocess.run(["espeak-ng", "-s", "150", "-w", str(path), text], check=True)
    return path


def best_alignment(heard: np.ndarray, source: np.ndarray,
                   max_lag: int = 48_000) -> tuple[int, float]:
    """The lag (samples ``heard`` runs behind ``source``, 0…``max_lag``) where they match
    best, and their normalized correlation there (1.0: the same waveform)."""
    from scipy.signal import correlate
    n = len(source)
    padded = np.zeros(n + max_lag, np.float64)
    padded[:min(len(heard), n + max_lag)] = heard[:n + max_lag]
    scores = correlate(padded, source.astype(np.float64), mode="valid", method="fft")
    lag = int(np.argmax(scores))
    return lag, correlation_at(heard, source, lag)


def correlation_at(heard: np.ndarray, source: np.ndarray, lag: int) -> float:
    """Normalized correlation of ``source`` with ``heard`` shifted back by ``lag``."""
    part = heard[lag:lag + len(source)].astype(np.float64)
    ref = source[:len(part)].astype(np.float64)
    denominator = float(np.linalg.norm(part) * np.linalg.norm(ref))
    return float(part @ ref) / denominator if denominator > 0 else 0.0


def window_matches(heard: np.ndarray, source: np.ndarray, window: float = 0.4,
                   max_lag: int = 24_000) -> list[float]:
    """For each voiced ``window`` seconds of ``source``, its best normalized correlation
    with ``heard`` at any lag 0…``max_lag`` after it: a jitter buffer may play each talk
    spurt with a delay of its own, so one lag for the whole recording would not do."""
    size = int(window * 48_000)
    loudness = [float(np.sqrt(np.mean(source[s:s + size] ** 2)))
                for s in range(0, len(source) - size, size)]
    voiced = max(loudness) * 0.1
    scores = []
    for index, level in enumerate(loudness):
        if level < voiced:
            continue
        start = index * size
        part = source[start:start + size]
        _lag, score = best_alignment(heard[start:], part, max_lag)
        scores.append(score)
    return scores
