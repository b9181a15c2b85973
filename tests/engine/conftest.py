"""Engine fixtures: views of the built sample packages, offscreen, on a manual clock."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.loading import load_exhibit
from engine.outbox import FactSink
from engine.view import ExhibitView
from tools.build import BuildResult

SCENES = {"nanhu-red-boat": "founding", "first-congress-site": "founding",
          "zunyi-conference": "long-march", "luding-bridge": "long-march"}


@pytest.fixture(scope="session")
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-cache")


@pytest.fixture
def open_view(samples: dict[str, BuildResult], key: Ed25519PrivateKey,
              engine_cache: Path) -> Iterator[Callable[..., ExhibitView]]:
    apps: list[ExhibitApp] = []

    def make(scene: str, size: tuple[int, int] = (480, 270), language: str = "zh-CN",
             stereo: bool = False, sink: FactSink | None = None) -> ExhibitView:
        exhibit = load_exhibit(samples[SCENES[scene]].path, [key.public_key()], engine_cache)
        app = ExhibitApp("offscreen", size, ManualClock())
        apps.append(app)
        view = ExhibitView(app, exhibit, scene, language, stereo=stereo, sink=sink)
        app.step(1 / 60)
        return view

    yield make
    for app in apps:
        app.destroy()
