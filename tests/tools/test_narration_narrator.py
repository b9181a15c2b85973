"""The narrator figure (assets/narrator/narrator.glb): validator-clean glTF with a skin,
viseme and blink morph targets and animations, which Panda3D loads and deforms."""

from __future__ import annotations

import json
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
FIGURE = ROOT / "assets/narrator/narrator.glb"
TARGETS = ["viseme_A", "viseme_E", "viseme_O", "viseme_S", "blink"]


def _document() -> dict[str, Any]:
    data = FIGURE.read_bytes()
    length, kind = struct.unpack_from("<I4s", data, 12)
    assert data[:4] == b"glTF" and kind == b"JSON"
    document: dict[str, Any] = json.loads(data[20:20 + length])
    return document


def test_the_khronos_validator_finds_no_error() -> None:
    run = subprocess.run(["node", str(ROOT / "scripts/gltf-validate.mjs"), str(FIGURE)],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    (report,) = [json.loads(line) for line in run.stdout.splitlines()]
    assert report["errors"] == 0, report
    # The meshes sit beside the skeleton under one root node (Panda3D's glTF loader finds
    # morph targets only below the skin's skeleton node); the validator notes each of them.
    assert all(m.startswith("NODE_SKINNED_MESH_NON_ROOT") for m in report["messages"]), report
    assert report["warnings"] <= 2


def test_the_figure_is_rigged_for_speech_and_gesture() -> None:
    document = _document()
    (skin,) = document["skins"]
    names = {document["nodes"][i]["name"] for i in skin["joints"]}
    assert {"hips", "spine", "chest", "neck", "head", "upperarm.R", "forearm.R", "hand.R",
            "thigh.L", "shin.L", "foot.L"} <= names and len(names) == 17
    meshes = {m["name"]: m for m in document["meshes"]}
    assert set(meshes) == {"body", "head"}
    assert all(n.get("skin") == 0 for n in document["nodes"] if "mesh" in n)
    head = meshes["head"]
    assert head["extras"]["targetNames"] == TARGETS and head["weights"] == [0.0] * 5
    assert all(len(p["targets"]) == 5 for p in head["primitives"])
    assert {a["name"] for a in document["animations"]} == {"idle", "gesture"}
    heights = [document["accessors"][p["attributes"]["POSITION"]]["max"][1]
               for m in document["meshes"] for p in m["primitives"]]
    assert 1.7 < max(heights) < 1.85  # a person's height, in metres


@pytest.fixture
def figure() -> Iterator[tuple[Any, Any]]:
    from direct.actor.Actor import Actor
    from panda3d.core import AmbientLight, DirectionalLight, Vec4

    from engine.app import ExhibitApp
    from engine.clock import ManualClock

    app = ExhibitApp("offscreen", (240, 320), ManualClock())
    actor = Actor(str(FIGURE))
    actor.reparentTo(app.base.render)
    base = app.base
    ambient = base.render.attachNewNode(AmbientLight("ambient"))
    ambient.node().setColor(Vec4(0.5, 0.5, 0.5, 1))
    sun = base.render.attachNewNode(DirectionalLight("sun"))
    sun.node().setColor(Vec4(0.8, 0.8, 0.75, 1))
    sun.setHpr(20, -30, 0)
    base.render.setLight(ambient)
    base.render.setLight(sun)
    base.camLens.setNear(0.05)
    base.camLens.setFov(30)
    try:
        yield app, actor
    finally:
        actor.cleanup()
        app.destroy()


def _shot(app: Any) -> np.ndarray:
    app.step(1 / 30)
    image: np.ndarray = app.capture().astype(np.int16)
    return image


def test_panda3d_plays_the_mouth_shapes_blink_and_gesture(figure: tuple[Any, Any]) -> None:
    app, actor = figure
    app.base.cam.setPos(0.0, -0.6, 1.67)
    app.base.cam.lookAt(0, 0, 1.66)
    rest = _shot(app)
    assert (np.abs(rest - rest[0, 0]).sum(axis=2) > 30).mean() > 0.3  # the face fills the view
    sliders = {name: actor.controlJoint(None, "modelRoot", name) for name in TARGETS}
    assert all(s is not None for s in sliders.values()), sliders
    changed = {}
    for name, slider in sliders.items():
        slider.setX(1.0)
        changed[name] = np.abs(_shot(app) - rest).sum(axis=2) > 40
        slider.setX(0.0)
    assert np.array_equal(_shot(app), rest)
    height = rest.shape[0]
    rows = {name: np.nonzero(mask.any(axis=1))[0] for name, mask in changed.items()}
    for viseme in TARGETS[:4]:  # the mouth moves, in the lower half of the face
        assert changed[viseme].sum() > 40 and rows[viseme].min() > height * 0.5, viseme
    assert changed["blink"].sum() > 20 and rows["blink"].max() < height * 0.5
    app.base.cam.setPos(0.0, -4.5, 1.0)
    app.base.cam.lookAt(0, 0, 0.9)
    standing = _shot(app)
    actor.pose("gesture", 30)
    pointing = np.abs(_shot(app) - standing).sum(axis=2) > 40
    columns = np.nonzero(pointing.any(axis=0))[0]
    assert pointing.sum() > 200 and columns.min() < standing.shape[1] * 0.4  # his right arm
