"""Garbage-collector settings for a serving process (``redhall serve``).

A full collection walks every object the collector tracks. With the application loaded
that is some 130,000 objects, and the process does nothing else for 70-150 ms: a live
tour's 20 Hz pose tick misses two or three frames every time. Once the app has started,
the objects it made are frozen out of the collector's sight (``gc.freeze``: they live as
long as the process anyway), and young objects are collected less often, so full
collections are rare and walk only what live connections hold (~80 objects each).
"""

from __future__ import annotations

import gc

from aiohttp import web

YOUNG_THRESHOLD = 20_000  # allocations between young collections (CPython's default: 700)
MIDDLE_EVERY = 20  # young collections per middle-generation one (default 10)
FULL_EVERY = 20  # middle collections per full-collection check (default 10)


async def settle_collector(app: web.Application) -> None:
    """An ``on_startup`` hook; append it last, after everything the app sets up."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_THRESHOLD, MIDDLE_EVERY, FULL_EVERY)
