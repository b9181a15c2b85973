"""Helpers for tests of `redhall view` in a real window on an X server."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path


def until(check: Callable[[], object], seconds: float, what: str) -> object:
    """The first value of ``check()`` that is not None."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if (result := check()) is not None:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@contextmanager
def redhall_view(display: str, package: Path, key: Path, folder: Path, *options: str,
                 env: dict[str, str] | None = None) -> Iterator[subprocess.Popen[bytes]]:
    """`redhall view` of Zunyi on ``display``, its output in ``folder``/view.log; killed
    on the way out if it is still running."""
    redhall = Path(sys.executable).parent / "redhall"
    with (folder / "view.log").open("wb") as log:
        view = subprocess.Popen(
            [str(redhall), "view", str(package), "--scene", "zunyi-conference", *options,
             "--outbox", str(folder / "outbox"), "--trust", str(key)],
            cwd=folder, env={**os.environ, **(env or {}), "DISPLAY": display}, stdout=log,
            stderr=subprocess.STDOUT)
        try:
            yield view
        except BaseException:  # the view's own output goes into the failure report
            print((folder / "view.log").read_text(errors="replace")[-4000:])
            raise
        finally:
            if view.poll() is None:
                view.kill()
            view.wait()
