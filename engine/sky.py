"""The sky (a gradient dome with the sun in it) and moving water, drawn by small shaders.

The dome follows the eye, so it is never reached; its horizon takes the fog's colour,
so distant props fade into it rather than into a grey wall. Water is any surface whose
material is named ``water`` (the content pipeline names materials after their preset):
its normal is rippled by travelling waves, and it mirrors this same sky, with the sun's
glint, so it moves and shines on llvmpipe as on a headset.
"""

from __future__ import annotations

import math

from panda3d.core import (
    GeomNode,
    MaterialAttrib,
    NodePath,
    Shader,
    Vec3,
)

from engine.app import ExhibitApp
from engine.scene_graph import SceneNodes, colour
from protocol.scene import Environment

# Zenith, horizon and ground colours before tone mapping (as the fog's colour is given).
PALETTES: dict[str, tuple[tuple[float, float, float], ...]] = {
    "day": ((0.16, 0.34, 0.74), (0.66, 0.76, 0.90), (0.34, 0.35, 0.33)),
    "dawn": ((0.24, 0.32, 0.56), (0.96, 0.72, 0.54), (0.30, 0.28, 0.27)),
    "dusk": ((0.18, 0.20, 0.42), (0.92, 0.54, 0.40), (0.24, 0.21, 0.21)),
    "overcast": ((0.46, 0.50, 0.57), (0.76, 0.78, 0.80), (0.40, 0.41, 0.40)),
    "night": ((0.01, 0.015, 0.04), (0.05, 0.06, 0.10), (0.02, 0.02, 0.03)),
    "interior": ((0.20, 0.19, 0.18), (0.20, 0.19, 0.18), (0.16, 0.15, 0.14)),
}
SUN_RADIUS_DEGREES = 1.2
DOME_RADIUS = 1000.0  # inside the far plane (3000 m), beyond every scene
WATER_MATERIAL = "water"

_SKY_FUNCTION = """
uniform vec3 zenith;
uniform vec3 horizon;
uniform vec3 ground;
uniform vec3 sun_direction;
uniform vec3 sun_colour;
uniform float sun_cos;

vec3 sky_colour(vec3 d, float with_disc) {
    float up = d.z;
    vec3 above = mix(horizon, zenith, pow(clamp(up, 0.0, 1.0), 0.55));
    vec3 below = mix(horizon, ground, smoothstep(0.0, 0.12, -up));
    vec3 c = up >= 0.0 ? above : below;
    float toward = max(dot(d, sun_direction), 0.0);
    c += sun_colour * (0.22 * pow(toward, 12.0) + 0.35 * pow(toward, 180.0));
    c += with_disc * sun_colour * 6.0 * smoothstep(sun_cos - 0.00012, sun_cos, toward);
    return c;
}
"""

_SKY_VERTEX = """#version 120
uniform mat4 p3d_ModelViewProjectionMatrix;
attribute vec4 p3d_Vertex;
varying vec3 v_direction;
void main() {
    v_direction = p3d_Vertex.xyz;
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
}
"""

_SKY_FRAGMENT = "#version 120\n" + _SKY_FUNCTION + """
varying vec3 v_direction;
void main() {
    gl_FragColor = vec4(sky_colour(normalize(v_direction), 1.0), 1.0);
}
"""

_WATER_VERTEX = """#version 120
uniform mat4 p3d_ModelViewProjectionMatrix;
uniform mat4 p3d_ModelMatrix;
attribute vec4 p3d_Vertex;
attribute vec4 p3d_Color;
attribute vec2 p3d_MultiTexCoord0;
varying vec3 v_world;
varying vec4 v_colour;
varying vec2 v_uv;
void main() {
    v_world = (p3d_ModelMatrix * p3d_Vertex).xyz;
    v_colour = p3d_Color;
    v_uv = p3d_MultiTexCoord0;
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
}
"""

_WATER_FRAGMENT = "#version 120\n" + _SKY_FUNCTION + """
uniform struct p3d_MaterialParameters { vec4 baseColor; } p3d_Material;
// The preset's base colour (white without one), found by its stage's mode: the first stage
// may as well be its normal or roughness map, whose stages tie with it in sort order
uniform sampler2D p3d_TextureModulate;
uniform vec3 eye;
uniform float time;
uniform vec3 ambient;
uniform vec3 fog_colour;
uniform float fog_density;
varying vec3 v_world;
varying vec4 v_colour;
varying vec2 v_uv;

// Travelling waves: (direction x, direction y, wavelength m, speed m/s)
const vec4 W0 = vec4(0.80, 0.60, 7.0, 1.6);
const vec4 W1 = vec4(-0.45, 0.89, 3.1, 1.1);
const vec4 W2 = vec4(0.21, -0.98, 1.3, 0.7);
const vec4 W3 = vec4(-0.92, -0.38, 0.6, 0.45);

vec2 slope(vec4 w, float amplitude) {
    float k = 6.2831853 / w.z;
    float phase = k * (dot(w.xy, v_world.xy) - w.w * time);
    return w.xy * (k * amplitude * cos(phase));
}

void main() {
    vec3 to_eye = eye - v_world;
    float distance = length(to_eye);
    vec3 v = to_eye / max(distance, 1e-4);
    // Short waves fade with distance before they alias into a shimmering pattern.
    float near = 1.0 / (1.0 + distance / 12.0);
    vec2 s = slope(W0, 0.05) + slope(W1, 0.025 * near) + slope(W2, 0.010 * near * near)
        + slope(W3, 0.004 * near * near);
    vec3 n = normalize(vec3(-s, 1.0));
    float facing = clamp(dot(n, v), 0.0, 1.0);
    float fresnel = 0.02 + 0.6 * pow(1.0 - facing, 5.0);
    vec3 r = reflect(-v, n);
    r.z = abs(r.z);  // waves never reflect the ground below the horizon
    vec3 body = p3d_Material.baseColor.rgb * v_colour.rgb * texture2D(p3d_TextureModulate, v_uv).rgb
        * (ambient + sun_colour * 0.35 * max(dot(n, sun_direction), 0.0));
    vec3 c = mix(body, sky_colour(r, 0.0), fresnel);
    c += sun_colour * 2.5 * pow(max(dot(r, sun_direction), 0.0), 300.0);
    float kept = exp(-distance * fog_density);
    gl_FragColor = vec4(mix(fog_colour, c, kept), 1.0);
}
"""


def sun_direction(sun_node: NodePath, render: NodePath) -> Vec3:
    """Unit vector from the scene toward the sun (the light shines the other way)."""
    forward = render.getRelativeVector(sun_node, Vec3(0, 1, 0))
    forward.normalize()
    return -forward


def _sky_shader() -> Shader:
    return Shader.make(Shader.SL_GLSL, _SKY_VERTEX, _SKY_FRAGMENT)


def _water_shader() -> Shader:
    return Shader.make(Shader.SL_GLSL, _WATER_VERTEX, _WATER_FRAGMENT)


def water_nodes(root: NodePath) -> list[NodePath]:
    """Geometry under ``root`` whose every surface has the water material."""
    found = []
    for path in root.findAllMatches("**/+GeomNode"):
        node: GeomNode = path.node()
        names = set()
        for index in range(node.getNumGeoms()):
            attrib = node.getGeomState(index).getAttrib(MaterialAttrib)
            material = attrib.getMaterial() if attrib is not None else None
            names.add(material.getName() if material is not None else "")
        if names == {WATER_MATERIAL}:
            found.append(path)
    return found


class Sky:
    """The sky dome and the water of one scene (a system: add it to the app).

    Args:
        nodes: the scene built by :func:`engine.scene_graph.build_scene`, with its sun.
        environment: the scene script's sky, sun, ambient light and fog.
    """

    def __init__(self, app: ExhibitApp, nodes: SceneNodes, environment: Environment) -> None:
        self.app = app
        zenith, horizon, ground = PALETTES[environment.sky]
        fog = environment.fog
        if fog is not None:  # distant props fade into the fog: the horizon is that colour
            horizon = tuple(colour(fog.color))[:3]
            zenith = tuple(0.55 * z + 0.45 * h for z, h in zip(zenith, horizon))  # type: ignore[assignment]
        self.zenith, self.horizon, self.ground = Vec3(*zenith), Vec3(*horizon), Vec3(*ground)
        sun = environment.sun
        self.sun_colour = Vec3(*tuple(colour(sun.color, sun.intensity))[:3])
        render = app.render
        self.sun_direction = (sun_direction(nodes.sun, render) if nodes.sun is not None
                              else Vec3(0, 0, 1))
        self.root = nodes.root.attachNewNode("sky")
        self.dome = app.base.loader.loadModel("models/misc/sphere")
        self.dome.reparentTo(self.root)
        self.dome.setScale(DOME_RADIUS)
        self.dome.setTwoSided(True)
        self.dome.setBin("background", 0)
        self.dome.setDepthWrite(False)
        self.dome.setDepthTest(False)
        self.dome.setLightOff(1)
        self.dome.setFogOff(1)
        self.dome.setShader(_sky_shader(), 100)
        self._inputs(self.root)
        self.time = 0.0
        self.environment = environment
        self.water: list[NodePath] = []
        self.adopt_water(nodes.root)

    def adopt_water(self, root: NodePath) -> list[NodePath]:
        """Animate the water surfaces under ``root`` (the scene's, or a model added later)."""
        found = [n for n in water_nodes(root) if n not in self.water]
        ambient, fog = self.environment.ambient, self.environment.fog
        for surface in found:
            surface.setShader(_water_shader(), 100)
            self._inputs(surface)
            surface.setShaderInput("ambient", Vec3(*tuple(colour(ambient.color,
                                                                 ambient.intensity))[:3]))
            surface.setShaderInput("fog_colour", Vec3(*tuple(colour(fog.color))[:3])
                                   if fog is not None else self.horizon)
            surface.setShaderInput("fog_density", fog.density if fog is not None else 0.0)
        self.water += found
        self.update(0.0)
        return found

    def _inputs(self, node: NodePath) -> None:
        node.setShaderInput("zenith", self.zenith)
        node.setShaderInput("horizon", self.horizon)
        node.setShaderInput("ground", self.ground)
        node.setShaderInput("sun_direction", self.sun_direction)
        node.setShaderInput("sun_colour", self.sun_colour)
        node.setShaderInput("sun_cos", math.cos(math.radians(SUN_RADIUS_DEGREES)))

    def update(self, dt: float) -> None:
        self.time += dt
        eye = self.app.base.camera.getPos(self.app.render)
        self.dome.setPos(self.app.render, eye)
        for surface in self.water:
            surface.setShaderInput("eye", eye)
            surface.setShaderInput("time", self.time)
