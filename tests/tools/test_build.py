"""`redhall build` on the samples and on bad input."""

import io
import json
import os
import shutil
import subprocess
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from fontTools.ttLib import TTFont

from protocol.manifest import PackagedScene
from protocol.package import open_package
from tests.conftest import MINIMAL_SCENE, QUICK, run_cli
from tools.build import BuildResult, build_exhibit
from tools.cache import BuildCache
from tools.checks import localized_texts
from tools.errors import AssetError, ValidationFailed


def _scenes(path: Path, key: Ed25519PrivateKey) -> list[PackagedScene]:
    package = open_package(path, [key.public_key()])
    return [PackagedScene.model_validate(json.loads(package.read(ref.script)))
            for ref in package.manifest.scenes]


def test_samples_build_into_two_exhibitions_of_four_scenes(
        samples: dict[str, BuildResult], key: Ed25519PrivateKey) -> None:
    assert set(samples) == {"founding", "long-march"}
    ids = {s.script.id for r in samples.values() for s in _scenes(r.path, key)}
    assert ids == {"nanhu-red-boat", "first-congress-site", "zunyi-conference", "luding-bridge"}


def test_sample_scenes_meet_the_content_bar(samples: dict[str, BuildResult],
                                            key: Ed25519PrivateKey) -> None:
    for result in samples.values():
        for scene in _scenes(result.path, key):
            script = scene.script
            assert len(script.hotspots) >= 6, script.id
            assert all(h.sources and h.text.en and h.title.en for h in script.hotspots)
            assert len(script.route) >= 4 and len(script.quiz) >= 5
            assert script.credit.hours > 0
            assert any(h.disputed for h in script.hotspots), f"{script.id}: name a dispute"
            # every hotspot has narration: recorded, or synthesized from its text
            assert {h.id for h in script.hotspots} <= set(scene.audio)
            assert sum(p.levels[0].triangles for p in scene.props) > 1500, script.id


def test_packages_carry_a_thumbnail_per_scene(samples: dict[str, BuildResult],
                                              key: Ed25519PrivateKey) -> None:
    from PIL import Image

    for result in samples.values():
        package = open_package(result.path, [key.public_key()])
        assert package.manifest.thumbnails == sorted(
            f"thumbnails/{ref.id}.png" for ref in package.manifest.scenes)
        for name in package.manifest.thumbnails:
            with Image.open(io.BytesIO(package.read(name))) as image:
                assert image.size == (480, 270)
                assert np.asarray(image.convert("RGB")).std() > 20


def test_font_subset_covers_every_shown_character(samples: dict[str, BuildResult],
                                                  key: Ed25519PrivateKey) -> None:
    for result in samples.values():
        package = open_package(result.path, [key.public_key()])
        cmap = TTFont(io.BytesIO(package.read("fonts/subset.ttf"))).getBestCmap()
        for scene in _scenes(result.path, key):
            shown = {c for _, text in localized_texts(scene.script) for t in text.texts()
                     for c in t if not c.isspace()}
            assert not {c for c in shown if ord(c) not in cmap}, scene.script.id


def test_every_model_passes_the_khronos_validator(samples: dict[str, BuildResult],
                                                  repo: Path, tmp_path: Path) -> None:
    files = []
    for result in samples.values():
        with zipfile.ZipFile(result.path) as archive:
            for name in archive.namelist():
                if name.endswith(".glb"):
                    target = tmp_path / result.exhibit / name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(archive.read(name))
                    files.append(str(target))
    assert len(files) > 40
    run = subprocess.run(["node", str(repo / "scripts/gltf-validate.mjs"), *files],
                         capture_output=True, text=True, cwd=repo, check=False)
    reports = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(reports) == len(files), run.stderr
    failures = [r for r in reports if r["errors"]]
    assert not failures, failures[:3]


def test_builds_are_byte_identical_and_cached(samples: dict[str, BuildResult], repo: Path,
                                              key: Ed25519PrivateKey, tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    first = build_exhibit(repo / "exhibits/founding.yaml", tmp_path / "a", key, cache=cache)
    second = build_exhibit(repo / "exhibits/founding.yaml", tmp_path / "b", key, cache=cache)
    assert first.path.read_bytes() == samples["founding"].path.read_bytes()
    assert second.path.read_bytes() == first.path.read_bytes()
    assert second.props_cached == second.props
    stamp = first.path.stat().st_mtime_ns
    again = build_exhibit(repo / "exhibits/founding.yaml", tmp_path / "a", key, cache=cache)
    assert again.status == "up to date" and first.path.stat().st_mtime_ns == stamp


def test_a_text_edit_rebuilds_without_reprocessing_models(
        content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path) -> None:
    cache = BuildCache(tmp_path / "cache")
    options = QUICK
    exhibit = content()
    first = build_exhibit(exhibit, tmp_path / "out", key, options, cache)
    content(scene=MINIMAL_SCENE.replace("一张长桌。", "一张很长的桌子。"))
    second = build_exhibit(exhibit, tmp_path / "out", key, options, cache)
    assert second.status == "built" and second.props_cached == second.props == 2
    assert first.path == second.path
    scene = _scenes(second.path, key)[0]
    assert scene.script.hotspots[0].text.zh_CN == "一张很长的桌子。"


def test_bad_assets_leave_no_package_behind(content: Callable[..., Path],
                                            key: Ed25519PrivateKey, tmp_path: Path) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace(
        'material: {color: "#806040"}', 'material: {color: "#806040", texture: assets/wood.png}'))
    (exhibit.parent.parent / "assets/wood.png").write_bytes(b"\x89PNG broken")
    out = tmp_path / "out"
    with pytest.raises(AssetError, match=r"wood.png: not a readable image"):
        build_exhibit(exhibit, out, key, QUICK, BuildCache(None))
    assert not out.exists() or list(out.iterdir()) == []


def test_invalid_documents_fail_the_build_with_every_problem(
        content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace("answer: 0", "answer: 9")
                      .replace("hours: 0.5", "hours: 0"))
    with pytest.raises(ValidationFailed) as failure:
        build_exhibit(exhibit, tmp_path, key, QUICK, BuildCache(None))
    assert {p.path for p in failure.value.problems} == {"quiz[0]", "credit.hours"}
    assert not list(tmp_path.glob("*.exhibit"))


def test_a_failed_write_removes_its_temporary_file(content: Callable[..., Path],
                                                   key: Ed25519PrivateKey,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "tiny-exhibit-1.0.0.exhibit").mkdir()  # a folder where the package should go
    with pytest.raises(OSError):
        build_exhibit(content(), out, key, QUICK, BuildCache(None))
    assert sorted(os.listdir(out)) == ["tiny-exhibit-1.0.0.exhibit"]
    shutil.rmtree(out)


def test_validate_and_build_agree_on_the_content_folder(content: Callable[..., Path],
                                                        tmp_path: Path) -> None:
    # The exhibit definition beside `scenes/`, not in `exhibits/`: the content folder is
    # still the one above the scene folder, for validation, the build and its cache.
    exhibit = content(scene=MINIMAL_SCENE.replace(
        'material: {color: "#806040"}', 'material: {color: "#806040", texture: assets/wood.png}'))
    from PIL import Image

    Image.new("RGB", (8, 8), (120, 80, 40)).save(tmp_path / "assets/wood.png")
    beside = tmp_path / "tiny-exhibit.yaml"
    beside.write_text(exhibit.read_text(encoding="utf-8") + "scene_dir: scenes\n",
                      encoding="utf-8")
    exhibit.unlink()
    code, _, err = run_cli("validate", str(beside))
    assert code == 0, err
    key = tmp_path / "me.key"
    run_cli("keygen", "--out", str(key))
    code, out, err = run_cli("build", str(beside), "--out", str(tmp_path / "dist"), "--key",
                             str(key), "--cache", str(tmp_path / "cache"), "--no-speech",
                             "--no-thumbnails", "--json")
    assert code == 0, err
    (package,) = json.loads(out)["packages"]
    assert package["status"] == "built" and package["props"] == 2
    # A font the content folder lacks is a validation problem, not a crash in the build.
    beside.write_text(beside.read_text(encoding="utf-8") + "font: assets/fonts/none.ttf\n",
                      encoding="utf-8")
    code, _, err = run_cli("validate", str(beside))
    assert code == 1 and "font `assets/fonts/none.ttf` not found" in err
    code, _, err = run_cli("build", str(beside), "--out", str(tmp_path / "dist"), "--key",
                           str(key), "--no-speech", "--no-thumbnails")
    assert code == 1 and "none.ttf" in err and "Traceback" not in err
