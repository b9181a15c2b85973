"""飞夺泸定桥: the gorge of the Dadu River at Luding (height fields, luding_terrain), the
town on the east bank (luding_town), the bridge pavilions on the abutments
(luding_bridgehead), and plank texture for the boards the defenders left on the east end."""

from __future__ import annotations

from pathlib import Path

import luding_bridgehead
import luding_terrain
import luding_town

from common import save_png
from textures import planks


def generate(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    luding_terrain.generate(folder)
    luding_town.generate(folder)
    luding_bridgehead.generate(folder)
    save_png(planks(256, (112, 92, 70), seed=33), folder / "deck-planks.png")
