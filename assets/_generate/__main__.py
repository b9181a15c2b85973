"""Regenerate every generated sample asset: `python -m assets._generate [OUT]`.

Writes into the repository's assets/ unless another folder is given (tests use that to
check the committed files are reproducible).
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import first_congress  # noqa: E402
import luding  # noqa: E402
import nanhu  # noqa: E402
import narration  # noqa: E402
import narrator  # noqa: E402
import provenance  # noqa: E402
import zunyi  # noqa: E402


def main(out: Path) -> None:
    nanhu.generate(out / "nanhu")
    first_congress.generate(out / "first-congress")
    zunyi.generate(out / "zunyi")
    luding.generate(out / "luding")
    narration.generate(HERE.parent.parent / "scenes", out)
    narrator.generate(out / "narrator")
    if out.resolve() == HERE.parent.resolve():
        provenance.write(out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parent)
