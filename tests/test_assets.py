"""Sample assets: every file has provenance, and the generators reproduce them exactly."""

import hashlib
import subprocess
import sys
from pathlib import Path

import yaml


def _asset_files(assets: Path) -> set[str]:
    return {str(p.relative_to(assets)) for p in assets.rglob("*")
            if p.is_file() and "_generate" not in p.parts and p.name != "PROVENANCE.yaml"
            and "__pycache__" not in p.parts}


def test_every_asset_has_provenance_and_its_hash_matches(repo: Path) -> None:
    assets = repo / "assets"
    listed = yaml.safe_load((assets / "PROVENANCE.yaml").read_text(encoding="utf-8"))["assets"]
    by_file = {entry["file"]: entry for entry in listed}
    assert set(by_file) == _asset_files(assets)
    for name, entry in by_file.items():
        assert entry["source"] and entry["licence"] and entry["description"], name
        digest = hashlib.sha256((assets / name).read_bytes()).hexdigest()
        assert digest == entry["sha256"], f"{name} changed; rerun python -m assets._generate"


def test_generators_reproduce_the_committed_assets(repo: Path, tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "assets._generate", str(tmp_path)], cwd=repo,
                   check=True, capture_output=True)
    made = _asset_files(tmp_path)
    assert made == _asset_files(repo / "assets") - {"fonts/wqy-microhei.ttc"}
    for name in sorted(made):
        assert (tmp_path / name).read_bytes() == (repo / "assets" / name).read_bytes(), name
