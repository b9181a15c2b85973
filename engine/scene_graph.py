"""Build a packaged scene in Panda3D: props with LOD switching, lights, sky and fog."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from panda3d.core import (
    AmbientLight,
    DirectionalLight,
    Fog,
    LODNode,
    NodePath,
    Point3,
    Vec4,
)

from engine.loading import LoadedExhibit
from engine.static_batch import merge_static
from protocol.manifest import PackagedProp, PackagedScene

SKY_COLOURS = {"day": (0.62, 0.74, 0.90), "dawn": (0.86, 0.72, 0.62), "dusk": (0.78, 0.56, 0.47),
               "overcast": (0.72, 0.74, 0.77), "night": (0.05, 0.06, 0.10),
               "interior": (0.20, 0.19, 0.18)}


def colour(value: str, scale: float = 1.0) -> Vec4:
    r, g, b = (int(value[i:i + 2], 16) / 255.0 * scale for i in (1, 3, 5))
    return Vec4(r, g, b, 1.0)


@dataclass
class SceneNodes:
    root: NodePath
    props: dict[str, NodePath] = field(default_factory=dict)
    sun: NodePath | None = None
    sky: tuple[float, float, float] = (0.6, 0.7, 0.9)


def _radius(prop: PackagedProp) -> float:
    """How big the prop's detail looks: half its diagonal, but for long thin props (chains,
    rails) ten times their thickness, so a 100 m chain coarsens like a 2 m object."""
    (x0, y0, z0), (x1, y1, z1) = prop.bounds
    half_diagonal = math.dist((x0, y0, z0), (x1, y1, z1)) / 2
    thinnest = min(x1 - x0, y1 - y0, z1 - z0)
    return max(min(half_diagonal, 10 * thinnest) * max(prop.scale), 0.5)


class _Models:
    """Each packaged model read and flattened once per scene; a prop that repeats one (13
    chains, 2 pavilions) gets a copy sharing its geometry and textures, so the copies also
    share render states and draw without a state change between them."""

    def __init__(self, exhibit: LoadedExhibit) -> None:
        self._exhibit = exhibit
        self._read: dict[str, NodePath] = {}

    def copy(self, path: str, parent: NodePath) -> NodePath:
        model = self._read.get(path)
        if model is None:
            model = self._read[path] = self._exhibit.model(path)
            model.flattenStrong()  # static geometry: fewer nodes, fewer draw calls
        # under a plain node, not the model's ModelRoot, which flattening keeps and so
        # would keep the copies of a batch from merging
        copy = parent.attachNewNode(path)
        copy.setState(model.getState())
        copy.setTransform(model.getTransform())
        for child in model.getChildren():
            child.copyTo(copy)
        return copy


# Props that repeat one model within this many metres of each other switch levels of
# detail together anyway; they are drawn as one (Luding's thirteen chains: 13 draws -> 1)
BATCH_SPAN = 4.0


def _batches(props: list[PackagedProp]) -> list[list[PackagedProp]]:
    """The props in groups drawn as one: the same models at every level, the same
    rotation and scale, and positions within ``BATCH_SPAN`` of the group's first."""
    groups: list[list[PackagedProp]] = []
    for prop in props:
        for group in groups:
            lead = group[0]
            if ([level.path for level in lead.levels] == [level.path for level in prop.levels]
                    and lead.rotation == prop.rotation and lead.scale == prop.scale
                    and math.dist(lead.position, prop.position) <= BATCH_SPAN):
                group.append(prop)
                break
        else:
            groups.append([prop])
    return groups


def _place(node: NodePath, prop: PackagedProp) -> None:
    node.setPos(*prop.position)
    node.setHpr(*prop.rotation)
    node.setScale(*prop.scale)


def _place_batch(models: _Models, batch: list[PackagedProp], parent: NodePath) -> NodePath:
    """One LOD node for ``batch``: each level is its members' copies merged into one mesh,
    switched by distance to the middle of their centres."""
    lead = batch[0]
    name = lead.id if len(batch) == 1 else f"{lead.id}+{len(batch) - 1}"
    lod = LODNode(name)
    holder = parent.attachNewNode(lod)
    _place(holder, lead)
    (x0, y0, z0), (x1, y1, z1) = lead.bounds
    centre = Point3((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2)  # not the origin
    radius = _radius(lead)
    # Switch farther for bigger props: level i shows out to radius * 12 * 4**i.
    near = 0.0
    for index, level in enumerate(lead.levels):
        far = 1e6 if index == len(lead.levels) - 1 else max(radius * 12 * 4**index, 25.0)
        merged = holder.attachNewNode(f"level-{index}")
        for prop in batch:
            member = parent.attachNewNode(prop.id)
            _place(member, prop)
            models.copy(level.path, member)
            member.wrtReparentTo(merged)
        merge_static(merged)  # a single prop's copy too: its placing nodes go
        lod.addSwitch(far, near)
        near = far
    # members share rotation and scale: each one's centre is its origin plus the lead's
    origins = [holder.getRelativePoint(parent, Point3(*prop.position)) for prop in batch]
    lod.setCenter(sum(origins, Point3(0, 0, 0)) / len(batch) + centre)
    return holder


def build_scene(exhibit: LoadedExhibit, scene: PackagedScene, parent: NodePath) -> SceneNodes:
    """Props, sun, ambient light and fog of ``scene`` under a new node below ``parent``."""
    env = scene.script.environment
    root = parent.attachNewNode(scene.script.id)
    nodes = SceneNodes(root, sky=SKY_COLOURS[env.sky])
    static = root.attachNewNode("props")
    models = _Models(exhibit)
    for batch in _batches(list(scene.props)):
        holder = _place_batch(models, batch, static)
        for prop in batch:
            nodes.props[prop.id] = holder
    sun = DirectionalLight("sun")
    sun.setColor(colour(env.sun.color, env.sun.intensity))
    nodes.sun = root.attachNewNode(sun)
    nodes.sun.setHpr(env.sun.heading, env.sun.pitch, 0)
    root.setLight(nodes.sun)
    ambient = AmbientLight("ambient")
    ambient.setColor(colour(env.ambient.color, env.ambient.intensity))
    root.setLight(root.attachNewNode(ambient))
    if env.fog is not None:
        fog = Fog("fog")
        fog.setColor(colour(env.fog.color))
        fog.setExpDensity(env.fog.density)
        root.setFog(fog)
    return nodes
