"""Whether speech synthesis is available here, and which version (part of build inputs)."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


@cache
def espeak_version() -> str:
    if not espeak_available():
        return "none"
    result = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True,
                            check=False)
    return result.stdout.strip()
