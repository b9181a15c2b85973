"""Shared fixtures: the repository, a publisher key, and the sample exhibits built once."""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from rich.console import Console

from redhall.cli import main as redhall_main
from tools.build import BuildResult, build_exhibit
from tools.cache import BuildCache
from tools.keys import keygen, load_private
from tools.props import BuildOptions

ROOT = Path(__file__).resolve().parent.parent
# Servers started by the tests (in process or as `redhall serve`) hash passwords with a
# cheap Argon2 cost: the same algorithm and code, without a fifth of a second per log-in.
# tests/server/test_passwords.py checks the production cost.
os.environ.setdefault("REDHALL_PASSWORD_HASH_TIME_COST", "1")
os.environ.setdefault("REDHALL_PASSWORD_HASH_MEMORY_KIB", "1024")
# Builds of small test exhibits: no speech synthesis, no thumbnail rendering.
QUICK = BuildOptions(speech=False, thumbnails=False)


@pytest.fixture(scope="session")
def repo() -> Path:
    return ROOT


@contextmanager
def _run_wide(tmp_path_factory: pytest.TempPathFactory, name: str) -> Iterator[Path]:
    """A folder shared by every worker of this run (pytest-xdist runs one session per
    worker), held under a lock: the first to get it makes what goes in, the rest reuse it."""
    base = tmp_path_factory.getbasetemp()
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name
    shared.mkdir(exist_ok=True)
    with open(shared / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield shared


@pytest.fixture(scope="session")
def key_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    with _run_wide(tmp_path_factory, "keys") as folder:
        private, public = folder / "publisher.key", folder / "publisher.key.pub"
        if not private.exists():
            public = keygen(private)
    return private, public


@pytest.fixture(scope="session")
def key(key_files: tuple[Path, Path]) -> Ed25519PrivateKey:
    return load_private(key_files[0])


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory,
            key: Ed25519PrivateKey) -> dict[str, BuildResult]:
    """Both sample exhibits, built once for the run (no cache: a full build)."""
    with _run_wide(tmp_path_factory, "dist") as out:
        record = out / "results.json"
        if record.exists():
            return {name: BuildResult(**{**data, "path": Path(data["path"])})
                    for name, data in json.loads(record.read_text()).items()}
        results = {path.stem: build_exhibit(path, out, key, cache=BuildCache(None))
                   for path in sorted((ROOT / "exhibits").glob("*.yaml"))}
        record.write_text(json.dumps({n: r.as_dict() for n, r in results.items()}))
        return results


MINIMAL_SCENE = """\
id: tiny
title: {zh-CN: 小场景, en: Tiny scene}
summary: {zh-CN: 测试用。, en: For tests.}
date: 1921-07-23
place: {zh-CN: 上海, en: Shanghai}
sources: [{title: 测试资料}]
spawn: {pos: [0, -5, 1.6], look_at: [0, 0, 1]}
props:
  - {id: floor, primitive: {plane: {size: [10, 10]}}, material: {color: "#806040"}}
  - {id: table, primitive: {box: {size: [2, 1, 0.8]}}, position: [0, 0, 0.4]}
hotspots:
  - {id: table, at: [0, 0, 1], title: {zh-CN: 长桌, en: Table}, text: {zh-CN: 一张长桌。, en: A table.}, sources: [0]}
route:
  - {id: start, camera: {pos: [0, -5, 1.6], look_at: [0, 0, 1]}, say: {zh-CN: 开始, en: Start}, hotspots: [table]}
quiz:
  - {id: q1, hotspot: table, prompt: {zh-CN: 几张桌子, en: Tables}, choices: [{zh-CN: 一, en: one}, {zh-CN: 二, en: two}], answer: 0, explain: {zh-CN: 一张, en: One}}
credit: {hours: 0.5, min_minutes: 10, hotspot_share: 0.8, quiz_pass: 0.6}
"""  # noqa: E501  (one document item a line)

MINIMAL_EXHIBIT = """\
id: tiny-exhibit
version: 1.0.0
title: {zh-CN: 小展览, en: Tiny exhibition}
summary: {zh-CN: 测试。, en: Test.}
publisher: RedHall tests
scenes: [tiny]
"""


@pytest.fixture
def content(tmp_path: Path) -> Callable[..., Path]:
    """A content folder (scenes/, exhibits/, assets/fonts) with a minimal valid exhibit.

    Call it with ``scene=...`` or ``exhibit=...`` text to replace either document;
    returns the exhibit file.
    """
    def make(scene: str = MINIMAL_SCENE, exhibit: str = MINIMAL_EXHIBIT) -> Path:
        for folder in ("scenes", "exhibits", "assets/fonts"):
            (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        font = tmp_path / "assets/fonts/wqy-microhei.ttc"
        if not font.exists():
            shutil.copy(ROOT / "assets/fonts/wqy-microhei.ttc", font)
        (tmp_path / "scenes/tiny.yaml").write_text(textwrap.dedent(scene), encoding="utf-8")
        target = tmp_path / "exhibits/tiny-exhibit.yaml"
        target.write_text(textwrap.dedent(exhibit), encoding="utf-8")
        return target

    return make


def run_cli(*args: str) -> tuple[int, str, str]:
    """Run `redhall ARGS` in-process; returns (exit code, stdout text, stderr text)."""
    out, err = Console(record=True, width=200), Console(record=True, width=200)
    code = redhall_main(list(args), out, err)
    return code, out.export_text(), err.export_text()


# The browser tests that draw scenes (three.js in software, SwiftShader) or carry voice
# each take most of this machine, and their waits are sized for having it. Run in parallel
# (pytest-xdist, as scripts/test does), they are one unit of work, run one at a time on one
# worker from the start (the largest unit goes first), while the other worker runs the
# rest test by test, the portal's page tests among them (HTML and 2D charts: light).
# (A scheduler, not xdist_group marks: pytest 9 ignores the node ids that --dist loadgroup
# rewrites.)
PAGE_TESTS = ("test_admin_pages", "test_dashboard", "test_editor_pages", "test_guide_pages",
              "test_inbox", "test_member_pages", "test_portal_frame")


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    class BrowserTestsApart(LoadScopeScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            if not nodeid.startswith("tests/web/"):
                return nodeid
            module = nodeid.split("::")[0].removeprefix("tests/web/").removesuffix(".py")
            return nodeid if module in PAGE_TESTS else "tests/web"

    return BrowserTestsApart(config, log)
