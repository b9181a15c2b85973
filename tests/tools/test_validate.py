"""`redhall validate`: every problem at once, located, with a hint; exit 1."""

import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MINIMAL_EXHIBIT, MINIMAL_SCENE, run_cli
from tools.errors import Problem
from tools.validate import validate_paths


def test_the_samples_are_valid(repo: Path) -> None:
    assert validate_paths([repo / "scenes", repo / "exhibits"]) == []


def test_every_error_is_reported_with_position_path_and_hint(
        content: Callable[..., Path]) -> None:
    scene = MINIMAL_SCENE.replace("hotspots:\n", "hotspots:\n  - {id: second, at: [0, 0]}\n") \
        .replace("  - {id: table, primitive: {box: {size: [2, 1, 0.8]}}",
                 "  - {id: table, primitiv: {box: {size: [2, 1, 0.8]}}")
    exhibit = content(scene=scene)
    problems = validate_paths([exhibit.parent.parent / "scenes" / "tiny.yaml"])
    lines = scene.splitlines()
    typo_line = next(i for i, line in enumerate(lines, 1) if "primitiv:" in line)
    found = {(p.path, p.line): p for p in problems}
    assert ("props[1].primitiv", typo_line) in found
    assert found[("props[1].primitiv", typo_line)].hint == "did you mean `primitive`?"
    at = next(p for p in problems if p.path.startswith("hotspots[0].at"))
    assert at.line == typo_line + 2 and at.column > 1
    missing = {p.path for p in problems if p.message == "Field required"}
    assert {"hotspots[0].title", "hotspots[0].text", "hotspots[0].sources"} <= missing
    assert all(p.file.endswith("tiny.yaml") for p in problems)


def test_malformed_yaml_points_at_the_spot(content: Callable[..., Path]) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace("en: Tiny scene}", "en: Tiny scene"))
    (problem,) = validate_paths([exhibit.parent.parent / "scenes" / "tiny.yaml"])
    assert problem.message.startswith("malformed YAML")
    assert problem.line == 3


def test_duplicate_keys_and_ids_are_problems(content: Callable[..., Path]) -> None:
    scene = MINIMAL_SCENE.replace("date: 1921-07-23\n", "date: 1921-07-23\ndate: 1921-07-24\n")
    scene = scene.replace("{id: table, primitive: {box", "{id: floor, primitive: {box")
    exhibit = content(scene=scene)
    messages = [p.message for p in validate_paths([exhibit])]
    assert "duplicate key" in messages
    assert "duplicate id `floor` in props" in messages


def test_references_and_assets_are_checked(content: Callable[..., Path]) -> None:
    scene = MINIMAL_SCENE.replace("hotspots: [table]}", "hotspots: [tabel]}") \
        .replace("sources: [0]}", "sources: [3], audio: assets/none.ogg}") \
        .replace("- {id: floor, primitive: {plane: {size: [10, 10]}}",
                 "- {id: statue, model: assets/statue.fbx}\n  - {id: floor, primitive: "
                 "{plane: {size: [10, 10]}}")
    exhibit = content(scene=scene)
    (exhibit.parent.parent / "assets/statue.fbx").write_bytes(b"FBX")
    messages = " | ".join(p.message for p in validate_paths([exhibit]))
    assert "unknown hotspot `tabel`" in messages
    assert "source 3 does not exist" in messages
    assert "audio `assets/none.ogg` not found" in messages
    assert "unsupported model format `.fbx`" in messages


def test_exhibit_languages_are_required_in_its_scenes(content: Callable[..., Path]) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace("title: {zh-CN: 长桌, en: Table}",
                                                  "title: {zh-CN: 长桌}"))
    problems = validate_paths([exhibit])
    assert [p.path for p in problems] == ["hotspots[0].title"]
    assert "missing the en text" in problems[0].message
    # The scene alone only needs zh-CN.
    assert validate_paths([exhibit.parent.parent / "scenes" / "tiny.yaml"]) == []


def test_cli_exit_codes_and_json(content: Callable[..., Path]) -> None:
    good = content()
    assert run_cli("validate", str(good))[0] == 0
    content(scene=MINIMAL_SCENE.replace("answer: 0", "answer: 5"))
    code, out, _ = run_cli("validate", str(good), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["ok"] is False
    (problem,) = report["problems"]
    assert problem["path"] == "quiz[0]" and "only 2 choices" in problem["message"]
    code, _, err = run_cli("validate", str(good))
    assert code == 1 and "tiny.yaml:" in err and "1 problem(s)" in err


def test_schema_errors_do_not_hide_asset_and_reference_problems(
        content: Callable[..., Path]) -> None:
    # A misspelt key (schema) and, in the same scene, a missing model, an unknown
    # hotspot and a missing en text: one run reports all four.
    scene = MINIMAL_SCENE.replace("spawn:", "spwan:") \
        .replace("- {id: floor, primitive: {plane: {size: [10, 10]}}",
                 "- {id: statue, model: assets/statue.glb}\n  - {id: floor, primitive: "
                 "{plane: {size: [10, 10]}}") \
        .replace("hotspots: [table]}", "hotspots: [tabel]}") \
        .replace("title: {zh-CN: 长桌, en: Table}", "title: {zh-CN: 长桌}")
    exhibit = content(scene=scene)
    problems = validate_paths([exhibit])
    found = {(p.path, p.message) for p in problems}
    assert ("spwan", "Extra inputs are not permitted") in found
    assert ("spawn", "Field required") in found
    assert any(path == "props[0].model" and "model `assets/statue.glb` not found" in message
               for path, message in found)
    assert ("route[0].hotspots[0]", "unknown hotspot `tabel`") in found
    assert ("hotspots[0].title", "missing the en text") in found
    # The scene on its own: schema and asset problems together as well.
    alone = validate_paths([exhibit.parent.parent / "scenes" / "tiny.yaml"])
    assert {"spwan", "props[0].model", "route[0].hotspots[0]"} <= {p.path for p in alone}


def test_a_broken_item_keeps_its_references_checked(content: Callable[..., Path]) -> None:
    # The stop's camera is invalid, yet its hotspot reference is still read.
    scene = MINIMAL_SCENE.replace("camera: {pos: [0, -5, 1.6], look_at: [0, 0, 1]}",
                                  "camera: {pos: [0, -5], look_at: [0, 0, 1]}") \
        .replace("hotspots: [table]}", "hotspots: [tabel]}")
    exhibit = content(scene=scene)
    paths = {p.path for p in validate_paths([exhibit])}
    assert any(path.startswith("route[0].camera.pos") for path in paths)
    assert "route[0].hotspots[0]" in paths


def test_an_invalid_exhibit_still_has_its_scenes_checked(content: Callable[..., Path]) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace("hotspots: [table]}", "hotspots: [tabel]}"),
                      exhibit=MINIMAL_EXHIBIT.replace("version: 1.0.0", "version: one"))
    paths = {p.path for p in validate_paths([exhibit])}
    assert {"version", "route[0].hotspots[0]"} <= paths


def test_folders_and_their_exhibits_report_each_problem_once(
        content: Callable[..., Path], monkeypatch: pytest.MonkeyPatch) -> None:
    exhibit = content(scene=MINIMAL_SCENE.replace("hotspots: [table]}", "hotspots: [tabel]}")
                      .replace("spawn:", "spwan:"))
    monkeypatch.chdir(exhibit.parent.parent)
    problems = validate_paths([Path("scenes"), Path("exhibits")])
    assert len(problems) == len(set(problems)) == 3  # spwan, spawn missing, tabel
    code, _, err = run_cli("validate", "scenes/", "exhibits/")
    assert code == 1
    assert err.count("unknown hotspot `tabel`") == 1
    assert err.count("Extra inputs are not permitted") == 1
    assert "3 problem(s)" in err
    assert "scenes/tiny.yaml:" in err


def test_positions_print_as_numbers_not_emoji(content: Callable[..., Path]) -> None:
    # `:100:` is rich's emoji code for 💯; a problem on line 100 must print as `:100:1`.
    scene = "# a note\n" * 99 + MINIMAL_SCENE.replace("id: tiny\n", "idd: tiny\n", 1)
    exhibit = content(scene=scene)
    scene_file = exhibit.parent.parent / "scenes" / "tiny.yaml"
    assert (100, 1) in {(p.line, p.column) for p in validate_paths([scene_file])}
    code, _, err = run_cli("validate", str(scene_file))
    assert code == 1
    assert "tiny.yaml:100:1:" in err
    assert "\N{HUNDRED POINTS SYMBOL}" not in err


def test_a_scene_id_no_file_can_have_is_a_located_problem(content: Callable[..., Path]) -> None:
    exhibit = content(exhibit=MINIMAL_EXHIBIT.replace("scenes: [tiny]",
                                                      'scenes: [tiny, "a\\0b", ../secret]'))
    problems = validate_paths([exhibit])
    line = MINIMAL_EXHIBIT.splitlines().index("scenes: [tiny]") + 1
    bad = {p.path: p for p in problems if p.file.endswith("tiny-exhibit.yaml")}
    assert set(bad) == {"scenes[1]", "scenes[2]"}
    assert all(p.line == line and p.column > 1 for p in bad.values())
    code, _, err = run_cli("validate", str(exhibit))
    assert code == 1 and f"tiny-exhibit.yaml:{line}:" in err and "Traceback" not in err
    # A scene folder no path can name is said, not raised.
    exhibit = content(exhibit=MINIMAL_EXHIBIT + 'scene_dir: "../sc\\0enes"\n')
    (problem,) = validate_paths([exhibit])
    assert problem.path == "scene_dir" and problem.line == MINIMAL_EXHIBIT.count("\n") + 1


ARBITRARY = st.one_of(
    st.text(max_size=40),
    st.sampled_from(["a\0b", "tiny\0", "x" * 300, "x" * 300 + ".glb", "../up.glb", "/abs.glb",
                     "\ud800.ogg", "assets/fonts", "", " ", "tiny", "TINY", "a" * 65]),
)


@settings(max_examples=120, deadline=None)
@given(scene_ids=st.lists(ARBITRARY, min_size=1, max_size=4),
       scene_dir=st.one_of(st.just("../scenes"), ARBITRARY),
       assets=st.lists(ARBITRARY, min_size=1, max_size=3))
def test_arbitrary_scene_ids_and_asset_paths_are_problems_never_errors(
        scene_ids: list[str], scene_dir: str, assets: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for sub in ("scenes", "exhibits", "assets"):
            (root / sub).mkdir()
        scene = yaml.safe_load(MINIMAL_SCENE)
        scene["props"] += [{"id": f"thing-{i}", "model": path} for i, path in enumerate(assets)]
        scene["hotspots"][0]["audio"] = assets[0]
        scene["props"][0]["material"]["texture"] = assets[-1]
        (root / "scenes/tiny.yaml").write_text(yaml.safe_dump(scene), encoding="utf-8")
        exhibit = yaml.safe_load(MINIMAL_EXHIBIT)
        exhibit["scenes"] = ["tiny", *scene_ids]
        exhibit["scene_dir"] = scene_dir
        target = root / "exhibits/tiny-exhibit.yaml"
        target.write_text(yaml.safe_dump(exhibit), encoding="utf-8")
        problems = validate_paths([target, root / "scenes"])
    assert problems and all(isinstance(p, Problem) for p in problems)
    assert all(p.line >= 1 and p.column >= 1 and p.file.endswith(".yaml") for p in problems)
