"""Packages are verified before use; converted models are cached by content hash."""

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from panda3d.core import LODNode
from rich.console import Console

from engine.errors import SceneNotFound
from engine.loading import load_exhibit
from engine.view import ExhibitView
from protocol.errors import SignatureInvalid, TamperedPackage
from redhall.cli import main
from tools.build import BuildResult


def test_a_tampered_package_is_refused(samples: dict[str, BuildResult], key: Ed25519PrivateKey,
                                       tmp_path: Path) -> None:
    source = samples["founding"].path
    bad = tmp_path / "bad.exhibit"
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(bad, "w") as new:
        for info in old.infolist():
            data = old.read(info)
            if info.filename.startswith("scenes/"):
                data = data.replace("王会悟".encode(), "某某某".encode())
            new.writestr(info, data)
    with pytest.raises(TamperedPackage, match="does not match its sha256"):
        load_exhibit(bad, [key.public_key()], tmp_path / "cache")
    with pytest.raises(SignatureInvalid):
        load_exhibit(source, [Ed25519PrivateKey.generate().public_key()], tmp_path / "cache")


def test_models_are_converted_once_and_cached_by_hash(samples: dict[str, BuildResult],
                                                      key: Ed25519PrivateKey,
                                                      tmp_path: Path) -> None:
    exhibit = load_exhibit(samples["long-march"].path, [key.public_key()], tmp_path)
    scene = exhibit.scene("luding-bridge")
    level = scene.props[-1].levels[0].path
    first = exhibit.model(level)
    entry = next(e for e in exhibit.package.manifest.entries if e.path == level)
    bam = tmp_path / "bam" / f"{entry.sha256}.bam"
    assert bam.exists()
    stamp = bam.stat().st_mtime_ns
    second = exhibit.model(level)
    assert bam.stat().st_mtime_ns == stamp
    assert first.getBounds().getRadius() == pytest.approx(second.getBounds().getRadius())
    with pytest.raises(SceneNotFound, match="it has: zunyi-conference, luding-bridge"):
        exhibit.scene("yanan")


def test_props_switch_levels_of_detail_and_shading_degrades_on_llvmpipe(
        open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("luding-bridge")
    for prop in view.scene.props:
        lod = view.nodes.props[prop.id].node()
        assert isinstance(lod, LODNode) and lod.getNumSwitches() == len(prop.levels)
        assert lod.getIn(len(prop.levels) - 1) > 1e5  # the coarsest level never vanishes
    if "llvmpipe" in view.app.renderer:
        assert view.shading.pipeline == "simplepbr" and not view.shading.shadows
        assert "shadows off" in view.shading.reason


def test_render_command_writes_mono_and_stereo_images(samples: dict[str, BuildResult],
                                                      key_files: tuple[Path, Path],
                                                      tmp_path: Path) -> None:
    from PIL import Image

    out, err = Console(record=True, width=200), Console(record=True, width=200)
    package = str(samples["founding"].path)
    code = main(["render", package, "--scene", "first-congress-site", "--stop", "3",
                 "--size", "320x180", "--out", str(tmp_path / "a.png"),
                 "--trust", str(key_files[1])], out, err)
    assert code == 0, err.export_text()
    with Image.open(tmp_path / "a.png") as image:
        assert image.size == (320, 180)
    code = main(["render", package, "--scene", "nanhu-red-boat", "--stereo", "--size",
                 "200x200", "--out", str(tmp_path / "s.png")], out, err)
    assert code == 0
    with Image.open(tmp_path / "s.png") as image:
        assert image.size == (400, 200)  # two 200x200 eyes
    code = main(["render", package, "--scene", "nanhu-red-boat", "--stop", "9",
                 "--out", str(tmp_path / "x.png")], out, err)
    assert code == 1 and "has 4 stops" in err.export_text()
    assert not (tmp_path / "x.png").exists()
