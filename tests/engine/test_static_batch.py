"""Static props that repeat one model side by side are drawn as one mesh."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from panda3d.core import (
    Geom,
    GeomNode,
    GeomTriangles,
    GeomVertexData,
    GeomVertexFormat,
    GeomVertexWriter,
    NodePath,
    Point3,
)

from engine.app import ExhibitApp
from engine.clock import ManualClock
from engine.static_batch import merge_static
from engine.view import ExhibitView


def _strip(rows: int) -> NodePath:
    """A flat strip of ``rows`` vertices in pairs, more than llvmpipe lets Panda3D join."""
    data = GeomVertexData("strip", GeomVertexFormat.getV3n3(), Geom.UH_static)
    data.setNumRows(rows)
    vertex, normal = GeomVertexWriter(data, "vertex"), GeomVertexWriter(data, "normal")
    for i in range(rows):
        vertex.addData3(i // 2 * 0.01, 0, i % 2)
        normal.addData3(0, -1, 0)
    triangles = GeomTriangles(Geom.UH_static)
    for i in range(0, rows - 2, 2):
        triangles.addVertices(i, i + 1, i + 2)
        triangles.addVertices(i + 1, i + 3, i + 2)
    geom = Geom(data)
    geom.addPrimitive(triangles)
    node = GeomNode("strip")
    node.addGeom(geom)
    return NodePath(node)


def _triangles(node: GeomNode) -> int:
    geoms = [node.getGeom(i) for i in range(node.getNumGeoms())]
    return sum(geom.getPrimitive(j).getNumPrimitives()
               for geom in geoms for j in range(geom.getNumPrimitives()))


def test_copies_side_by_side_become_one_geom_with_every_triangle_in_place() -> None:
    app = ExhibitApp("offscreen", (32, 18), ManualClock())  # its GL context caps flattening
    try:
        strip = _strip(6000)
        root = NodePath("batch")
        for offset in range(3):
            copy = strip.copyTo(root)
            copy.setPos(0, offset * 2.0, 0)
        root.flattenStrong()
        assert root.find("**/+GeomNode").node().getNumGeoms() == 3  # Panda3D alone keeps 3
        merge_static(root)
        found = root.findAllMatches("**/+GeomNode")
        assert len(found) == 1 and found[0].node().getNumGeoms() == 1
        node = found[0].node()
        assert node.getGeom(0).getVertexData().getNumRows() == 18000
        assert _triangles(node) == 3 * 2 * (6000 // 2 - 1)
        low, high = root.getTightBounds()
        assert (low.y, high.y) == pytest.approx((0.0, 4.0))
        assert (low.x, high.x) == pytest.approx((0.0, 29.99))
        # the third copy's triangles use its own rows: its last vertex lies at y = 4
        data = node.getGeom(0).getVertexData()
        positions = np.frombuffer(memoryview(data.getArray(0)).cast("B"), np.float32).reshape(
            -1, 6)[:, :3]
        last = node.getGeom(0).getPrimitive(0)
        indices = np.frombuffer(memoryview(last.getVertices()), np.uint32)
        assert positions[indices[-1]] == pytest.approx(Point3(29.99, 4.0, 0.0))
    finally:
        app.destroy()


def test_luding_draws_its_thirteen_chains_as_one(open_view: Callable[..., ExhibitView]) -> None:
    view = open_view("luding-bridge")
    chains = [p.id for p in view.scene.props if "chain" in p.id]
    assert len(chains) == 13
    holders = {view.nodes.props[c].node() for c in chains}
    assert len(holders) == 1
    holder = view.nodes.props[chains[0]]
    for level in holder.getChildren():
        geoms = level.findAllMatches("**/+GeomNode")
        assert sum(g.node().getNumGeoms() for g in geoms) == 1
    # the two pavilions, a hundred metres apart, keep their own levels of detail
    assert view.nodes.props["west-pavilion"] != view.nodes.props["east-pavilion"]
