"""Merging static meshes that share a render state into one, so they are one draw.

Panda3D's own flattening stops collecting vertices at the driver's advisory
GL_MAX_ELEMENTS_VERTICES, which Mesa's llvmpipe reports as 3000: thirteen 6,000-vertex
chains stay thirteen draws. The vertex data are concatenated here instead, with 32-bit
indices, as any GL 3.3 driver draws them.
"""

from __future__ import annotations

import numpy as np
from panda3d.core import (
    Geom,
    GeomNode,
    GeomPrimitive,
    GeomTriangles,
    GeomVertexData,
    NodePath,
    RenderState,
)

_INDEX_TYPES = {Geom.NT_uint8: np.uint8, Geom.NT_uint16: np.uint16, Geom.NT_uint32: np.uint32}


def merge_static(root: NodePath) -> None:
    """Flattens ``root`` and then joins, in each of its GeomNodes, the triangle meshes
    with the same state and vertex format into one Geom."""
    root.flattenStrong()
    for found in root.findAllMatches("**/+GeomNode"):
        _join(found.node())


def _triangle_indices(geom: Geom) -> np.ndarray | None:
    """The rows each triangle uses, or None when ``geom`` holds anything but triangles."""
    parts = []
    for index in range(geom.getNumPrimitives()):
        primitive: GeomPrimitive = geom.getPrimitive(index).decompose()
        if not isinstance(primitive, GeomTriangles):
            return None
        if primitive.isIndexed():
            handle = primitive.getVertices()
            parts.append(np.frombuffer(memoryview(handle), _INDEX_TYPES[primitive.getIndexType()]))
        else:
            first = primitive.getFirstVertex()
            parts.append(np.arange(first, first + primitive.getNumVertices()))
    return np.concatenate(parts).astype(np.uint32) if parts else None


def _join(node: GeomNode) -> None:
    groups: list[tuple[RenderState, list[Geom]]] = []
    for index in range(node.getNumGeoms()):
        geom, state = node.getGeom(index), node.getGeomState(index)
        data = geom.getVertexData()
        if data.getFormat().getAnimation().getAnimationType() != Geom.AT_none:
            return  # skinned or morphed: its rows must stay its own
        for group_state, members in groups:
            if (group_state == state
                    and members[0].getVertexData().getFormat() == data.getFormat()):
                members.append(geom)
                break
        else:
            groups.append((state, [geom]))
    if all(len(members) == 1 for _, members in groups):
        return
    joined = [(state, _concatenate(members) if len(members) > 1 else members[0])
              for state, members in groups]
    if any(geom is None for _, geom in joined):
        return  # a non-triangle primitive: leave the node as flattening made it
    node.removeAllGeoms()
    for state, geom in joined:
        assert geom is not None
        node.addGeom(geom, state)


def _concatenate(geoms: list[Geom]) -> Geom | None:
    indices = []
    for geom in geoms:
        part = _triangle_indices(geom)
        if part is None:
            return None
        indices.append(part)
    first = geoms[0].getVertexData()
    rows = [geom.getVertexData().getNumRows() for geom in geoms]
    data = GeomVertexData(first.getName(), first.getFormat(), Geom.UH_static)
    data.uncleanSetNumRows(sum(rows))
    for array in range(first.getNumArrays()):
        target = memoryview(data.modifyArray(array)).cast("B")
        at = 0
        for geom in geoms:
            source = memoryview(geom.getVertexData().getArray(array)).cast("B")
            target[at:at + len(source)] = source
            at += len(source)
    offsets = np.cumsum([0, *rows[:-1]], dtype=np.uint64)
    joined = np.concatenate([part + np.uint32(offset)
                             for part, offset in zip(indices, offsets)]).astype(np.uint32)
    triangles = GeomTriangles(Geom.UH_static)
    triangles.setIndexType(Geom.NT_uint32)
    handle = triangles.modifyVertices()
    handle.uncleanSetNumRows(len(joined))
    memoryview(handle).cast("B")[:] = joined.tobytes()
    geom = Geom(data)
    geom.addPrimitive(triangles)
    return geom
