"""Engine fixtures: views of the built sample packages, offscreen, on a manual clock."""

from __future__ import annotations

import os
import select
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.loading import load_exhibit
from engine.outbox import FactSink
from engine.view import ExhibitView
from engine.xr import XRMode
from tools.build import BuildResult

SCENES = {"nanhu-red-boat": "founding", "first-congress-site": "founding",
          "zunyi-conference": "long-march", "luding-bridge": "long-march"}


@pytest.fixture(scope="session")
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-cache")


@pytest.fixture
def open_view(samples: dict[str, BuildResult], key: Ed25519PrivateKey,
              engine_cache: Path) -> Iterator[Callable[..., ExhibitView]]:
    views: list[ExhibitView] = []

    def make(scene: str, size: tuple[int, int] = (480, 270), language: str = "zh-CN",
             xr: XRMode = "none", sink: FactSink | None = None) -> ExhibitView:
        exhibit = load_exhibit(samples[SCENES[scene]].path, [key.public_key()], engine_cache)
        app = ExhibitApp("offscreen", size, ManualClock())
        try:
            view = ExhibitView(app, exhibit, scene, language, xr=xr, sink=sink)
        except BaseException:
            app.destroy()
            raise
        views.append(view)
        app.step(1 / 60)
        return view

    yield make
    for view in views:
        if view.xr is not None:
            view.xr.close()  # a headset session ends before its window goes
        view.app.destroy()


@pytest.fixture
def display() -> Iterator[str]:
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.fail("Xvfb is not installed: run scripts/setup (Debian package xvfb)")
    # Xvfb picks a free display number itself and writes it to the pipe: two test
    # processes starting servers at once cannot pick the same one
    read_end, write_end = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(write_end), "-screen", "0",
                               "1280x720x24", "-nolisten", "tcp"], pass_fds=[write_end],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        with os.fdopen(read_end) as said:
            ready, _, _ = select.select([said], [], [], 10)
            number = said.readline().strip() if ready else ""
        assert number.isdigit(), f"Xvfb did not say its display (exit code {server.poll()})"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)
