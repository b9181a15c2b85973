"""A scene script's narrator: validated and located, exported in the JSON Schema, its
figure packaged once per package by content, listed by `redhall inspect`."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.errors import PackageError
from protocol.manifest import PackagedScene
from protocol.package import open_package
from tests.conftest import MINIMAL_EXHIBIT, MINIMAL_SCENE, QUICK, ROOT, run_cli
from tests.tools.test_lipsync import _resigned
from tools.build import build_exhibit
from tools.cache import BuildCache
from tools.errors import AssetError
from tools.narrator import DEFAULT_FIGURE
from tools.validate import validate_paths

NARRATOR = "narrator: {position: [2.5, -1, 0], facing: [0, -5, 1.6]}\n"


def _with(narrator: str) -> str:
    return MINIMAL_SCENE.replace("credit:", f"{narrator}credit:")


def _problems(content: Callable[..., Path], scene: str) -> list[tuple[str, int, str]]:
    exhibit = content(scene=scene)
    return [(p.path, p.line, p.message) for p in validate_paths([exhibit])]


def test_a_placed_narrator_is_valid(content: Callable[..., Path]) -> None:
    assert _problems(content, _with(NARRATOR)) == []
    assert _problems(content, _with(
        "narrator: {position: [2.5, -1, 0], facing: 180, hotspots: [table], stops: []}\n")) == []


def test_narrator_problems_are_located_with_a_hint(content: Callable[..., Path]) -> None:
    scene = _with("narrator:\n"
                  "  position: [0.2, 0.1, 0]\n"
                  "  facing: [0.2, 0.1, 5]\n"
                  "  model: assets/nobody.glb\n"
                  "  hotspots: [table, chair]\n"
                  "  stops: [finish]\n")
    lines = scene.splitlines()

    def line_of(text: str) -> int:
        return next(i for i, line in enumerate(lines, 1) if text in line)

    found = _problems(content, scene)
    assert ("narrator.hotspots[1]", line_of("hotspots: [table, chair]"),
            "unknown hotspot `chair`") in found
    assert ("narrator.stops[0]", line_of("stops: [finish]"), "unknown stop `finish`") in found
    assert any(p[:2] == ("narrator.model", line_of("model:")) and "not found" in p[2]
               for p in found)
    assert ("narrator.position", line_of("  position: [0.2"),
            "the narrator stands on hotspot `table`, hiding its marker") in found
    assert ("narrator.facing", line_of("  facing: [0.2"),
            "the narrator faces the point it stands on") in found
    exhibit = content(scene=scene)
    code, out, _ = run_cli("validate", str(exhibit), "--json")
    assert code == 1 and "narrator.hotspots[1]" in out


@pytest.mark.parametrize("bad", ["position: [.nan, 0, 0], facing: 0",
                                 "position: [1e9, 0, 0], facing: 0",
                                 "position: [3, 0, 0], facing: 1000",
                                 "position: [3, 0, 0], facing: 0, height: 2",
                                 "position: [3, 0, 0], facing: 0, hotspots: [Not_A_Slug]"])
def test_hostile_numbers_and_names_are_problems_not_errors(
        content: Callable[..., Path], bad: str) -> None:
    found = _problems(content, _with(f"narrator: {{{bad}}}\n"))
    assert found and all(path.startswith("narrator") for path, _, _ in found), found


def test_a_model_that_cannot_be_a_narrator_is_refused(content: Callable[..., Path]) -> None:
    exhibit = content(scene=_with("narrator: {position: [3, 0, 0], facing: 0, "
                                  "model: assets/figure.glb}\n"))
    figure = exhibit.parent.parent / "assets/figure.glb"
    figure.write_bytes(b"glTF\x02\x00\x00\x00\x0c\x00\x00\x00")
    (problem,) = validate_paths([exhibit])
    assert problem.path == "narrator.model" and "not a sound GLB" in problem.message
    # a sound GLB without a rig or face: a prop, not a narrator
    table = ROOT / "assets/zunyi/meeting-table.glb"
    figure.write_bytes(table.read_bytes())
    (problem,) = validate_paths([exhibit])
    assert "no skin" in problem.message


def test_the_schema_describes_the_narrator(tmp_path: Path) -> None:
    code, _, _ = run_cli("schema", "--out", str(tmp_path))
    schema = json.loads((tmp_path / "scene.schema.json").read_text(encoding="utf-8"))
    assert code == 0 and "narrator" in schema["properties"]
    narrator = schema["$defs"]["Narrator"]
    assert set(narrator["required"]) == {"position", "facing"}
    assert {"model", "hotspots", "stops"} <= set(narrator["properties"])


def _two_scenes(root: Path, model: str | None) -> Path:
    """An exhibit of two scenes with narrators (the second one's figure: ``model``)."""
    for folder in ("scenes", "exhibits", "assets/fonts"):
        (root / folder).mkdir(parents=True, exist_ok=True)
    font = root / "assets/fonts/wqy-microhei.ttc"
    if not font.exists():
        font.symlink_to(ROOT / "assets/fonts/wqy-microhei.ttc")
    (root / "scenes/tiny.yaml").write_text(textwrap.dedent(_with(NARRATOR)), encoding="utf-8")
    other = _with(NARRATOR if model is None else
                  NARRATOR.replace("}", f", model: {model}}}")).replace("id: tiny", "id: tiny-2")
    (root / "scenes/tiny-2.yaml").write_text(textwrap.dedent(other), encoding="utf-8")
    exhibit = root / "exhibits/tiny-exhibit.yaml"
    exhibit.write_text(MINIMAL_EXHIBIT.replace("scenes: [tiny]", "scenes: [tiny, tiny-2]"),
                       encoding="utf-8")
    return exhibit


def test_the_figure_is_packaged_once_and_listed(tmp_path: Path,
                                                key: Ed25519PrivateKey) -> None:
    exhibit = _two_scenes(tmp_path / "content", None)
    cache = BuildCache(tmp_path / "cache")
    built = build_exhibit(exhibit, tmp_path / "dist", key, QUICK, cache)
    again = build_exhibit(exhibit, tmp_path / "again", key, QUICK, cache)
    assert built.path.read_bytes() == again.path.read_bytes()
    package = open_package(built.path, [key.public_key()])
    figure = DEFAULT_FIGURE.read_bytes()
    holding = [e.path for e in package.manifest.entries if package.read(e.path) == figure]
    assert len(holding) == 1, holding  # two scenes, one copy
    for scene_id in ("tiny", "tiny-2"):
        scene = PackagedScene.model_validate_json(package.read(f"scenes/{scene_id}.json"))
        assert scene.script.narrator is not None
        assert scene.script.narrator.model == holding[0]
    code, out, _ = run_cli("inspect", str(built.path), "--json")
    listed = json.loads(out)["scenes"][0]["narrator"]
    assert code == 0 and listed["model"] == holding[0] and listed["bytes"] == len(figure)
    assert listed["position"] == [2.5, -1.0, 0.0] and listed["hotspots"] == ["table"]
    assert listed["stops"] == ["start"]


def test_a_changed_figure_rebuilds_the_package(tmp_path: Path,
                                               key: Ed25519PrivateKey) -> None:
    root = tmp_path / "content"
    exhibit = _two_scenes(root, "assets/guide.glb")
    (root / "assets/guide.glb").write_bytes(DEFAULT_FIGURE.read_bytes())
    cache = BuildCache(tmp_path / "cache")
    first = build_exhibit(exhibit, tmp_path / "dist", key, QUICK, cache)
    assert build_exhibit(exhibit, tmp_path / "dist", key, QUICK, cache).status == "up to date"
    # another figure: the same joints, written in another order (same length)
    data = DEFAULT_FIGURE.read_bytes().replace(b'"count":17,"type":"MAT4"',
                                               b'"type":"MAT4","count":17', 1)
    assert data != DEFAULT_FIGURE.read_bytes()
    (root / "assets/guide.glb").write_bytes(data)
    rebuilt = build_exhibit(exhibit, tmp_path / "dist", key, QUICK, cache)
    assert rebuilt.status == "built" and first.status == "built"
    package = open_package(rebuilt.path, [key.public_key()])
    models = [e.path for e in package.manifest.entries
              if package.read(e.path) in (data, DEFAULT_FIGURE.read_bytes())]
    assert len(models) == 2  # the default figure for one scene, the changed one for the other


def test_a_missing_default_figure_is_a_clear_error(tmp_path: Path, key: Ed25519PrivateKey,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    exhibit = _two_scenes(tmp_path / "content", None)
    monkeypatch.setattr("tools.narrator.DEFAULT_FIGURE", tmp_path / "gone.glb")
    with pytest.raises(AssetError, match="the narrator figure is missing"):
        build_exhibit(exhibit, tmp_path / "dist", key, QUICK, BuildCache(None))


def test_readers_refuse_a_package_whose_narrator_figure_is_missing_or_not_a_model(
        tmp_path: Path, key: Ed25519PrivateKey) -> None:
    built = build_exhibit(_two_scenes(tmp_path / "content", None), tmp_path / "dist", key,
                          QUICK, BuildCache(None))
    figure = open_package(built.path, [key.public_key()])
    scene = PackagedScene.model_validate_json(figure.read("scenes/tiny.json"))
    assert scene.script.narrator is not None and scene.script.narrator.model is not None
    model = scene.script.narrator.model

    def remove(files: dict[str, bytes]) -> None:
        del files[model]

    def garble(files: dict[str, bytes]) -> None:
        files[model] = b"glTF" + b"\0" * 40

    with pytest.raises(PackageError, match="the narrator of scene `tiny`"):
        open_package(_resigned(built.path, tmp_path / "gone.exhibit", key, remove),
                     [key.public_key()])
    with pytest.raises(PackageError, match="refused"):
        open_package(_resigned(built.path, tmp_path / "bad.exhibit", key, garble),
                     [key.public_key()])
