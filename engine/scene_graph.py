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


def _place_prop(exhibit: LoadedExhibit, prop: PackagedProp, parent: NodePath) -> NodePath:
    lod = LODNode(prop.id)
    (x0, y0, z0), (x1, y1, z1) = prop.bounds
    lod.setCenter(Point3((x0 + x1) / 2, (y0 + y1) / 2, (z0 + z1) / 2))  # not the origin
    holder = parent.attachNewNode(lod)
    radius = _radius(prop)
    # Switch farther for bigger props: level i shows out to radius * 12 * 4**i.
    near = 0.0
    for index, level in enumerate(prop.levels):
        far = 1e6 if index == len(prop.levels) - 1 else max(radius * 12 * 4**index, 25.0)
        model = exhibit.model(level.path)
        model.reparentTo(holder)
        model.flattenStrong()  # static geometry: fewer nodes, fewer draw calls
        lod.addSwitch(far, near)
        near = far
    holder.setPos(*prop.position)
    holder.setHpr(*prop.rotation)
    holder.setScale(*prop.scale)
    return holder


def build_scene(exhibit: LoadedExhibit, scene: PackagedScene, parent: NodePath) -> SceneNodes:
    """Props, sun, ambient light and fog of ``scene`` under a new node below ``parent``."""
    env = scene.script.environment
    root = parent.attachNewNode(scene.script.id)
    nodes = SceneNodes(root, sky=SKY_COLOURS[env.sky])
    static = root.attachNewNode("props")
    for prop in scene.props:
        nodes.props[prop.id] = _place_prop(exhibit, prop, static)
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
