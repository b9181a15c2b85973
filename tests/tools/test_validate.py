"""`redhall validate`: every problem at once, located, with a hint; exit 1."""

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import MINIMAL_EXHIBIT, MINIMAL_SCENE, run_cli
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
