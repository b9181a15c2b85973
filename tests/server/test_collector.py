"""`redhall serve` freezes what the app made at startup out of the garbage collector's
sight, so full collections stay short while live tours tick."""

from __future__ import annotations

import gc

from server.app import create_app
from server.collector import YOUNG_THRESHOLD, settle_collector
from server.settings import Settings


async def test_startup_objects_are_frozen_and_young_collections_are_rarer(tmp_path) -> None:
    app = create_app(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path}/c.db",
                              data_dir=tmp_path / "data"))
    thresholds = gc.get_threshold()
    try:
        await settle_collector(app)
        assert gc.get_freeze_count() > 10_000  # the modules and the app, at least
        assert gc.get_threshold()[0] == YOUNG_THRESHOLD
        assert not any(app is o for o in gc.get_objects())  # out of the collector's walk
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
