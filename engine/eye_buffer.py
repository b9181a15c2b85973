"""An eye's picture: the scene through one eye camera, tone-mapped as the desktop view is.

simplepbr shades into linear, high-range colour and tone-maps only its own window. An eye
camera therefore renders into a float buffer of its own, and a second pass applies the
same filmic curve into an 8-bit picture: what a headset shows and what a mirror displays.
Panels are drawn after the curve, as the desktop draws its overlay, so their colours and
contrast are the ones they were given.
"""

from __future__ import annotations

from panda3d.core import (
    BitMask32,
    Camera,
    CardMaker,
    DisplayRegion,
    FrameBufferProperties,
    GraphicsOutput,
    GraphicsPipe,
    NodePath,
    OrthographicLens,
    SamplerState,
    Shader,
    Texture,
    WindowProperties,
)

from engine.app import ExhibitApp
from engine.errors import EngineError

# Eye cameras see the scene; the panels are hidden from them and drawn by a camera of
# their own after tone mapping.
SCENE_MASK = BitMask32.bit(20)
PANEL_MASK = BitMask32.bit(21)

# simplepbr's tonemap pass (post.vert + tonemap.frag): exposure, then a filmic curve that
# also encodes for display.
_VERTEX = """#version 120
uniform mat4 p3d_ModelViewProjectionMatrix;
attribute vec4 p3d_Vertex;
attribute vec2 p3d_MultiTexCoord0;
varying vec2 v_texcoord;
void main() {
    v_texcoord = p3d_MultiTexCoord0;
    gl_Position = p3d_ModelViewProjectionMatrix * p3d_Vertex;
}
"""
_FRAGMENT = """#version 120
uniform sampler2D tex;
uniform float exposure;
varying vec2 v_texcoord;
void main() {
    vec4 tex_color = texture2D(tex, v_texcoord);
    vec3 color = max(vec3(0.0), tex_color.rgb * exposure - vec3(0.004));
    color = (color * (6.2 * color + 0.5)) / (color * (6.2 * color + 1.7) + 0.06);
    gl_FragColor = vec4(color, tex_color.a);
}
"""


class EyeBuffer:
    """Renders ``camera`` into ``texture`` (8-bit RGBA, display-ready) each frame.

    Args:
        tonemap: apply simplepbr's tone mapping (off when the auto-shader shades the scene,
            which already writes display colour).
        panels: the node of the panels in the world, drawn after tone mapping.
        ram: also copy each frame into system memory, for ``Texture.getRamImage``.
    """

    def __init__(self, app: ExhibitApp, name: str, size: tuple[int, int], camera: NodePath,
                 tonemap: bool, panels: NodePath | None = None, ram: bool = False) -> None:
        self.texture = Texture(name)
        self.texture.setMinfilter(SamplerState.FT_linear)
        self.buffers: list[GraphicsOutput] = []
        mode = GraphicsOutput.RTMCopyRam if ram else GraphicsOutput.RTMBindOrCopy
        if tonemap:
            linear = Texture(f"{name}-linear")
            scene = self._buffer(app, f"{name}-scene", size, -3, float_color=True)
            scene.addRenderTexture(linear, GraphicsOutput.RTMBindOrCopy)
            scene.makeDisplayRegion().setCamera(camera)
            quad = _fullscreen_quad()
            quad.setShader(Shader.make(Shader.SL_GLSL, _VERTEX, _FRAGMENT))
            quad.setShaderInput("tex", linear)
            quad.setShaderInput("exposure", 1.0)
            quad.setDepthTest(False)
            quad.setDepthWrite(False)
            out = self._buffer(app, name, size, -2, float_color=False)
            self.region: DisplayRegion = out.makeDisplayRegion()
            self.region.setCamera(quad.attachNewNode(Camera(f"{name}-tonemap", _flat_lens())))
            if panels is not None:
                self.region = self._panels_over(out, camera, panels, name)
        else:
            out = self._buffer(app, name, size, -2, float_color=False)
            self.region = out.makeDisplayRegion()
            self.region.setCamera(camera)
        out.addRenderTexture(self.texture, mode)
        self.output = out

    @staticmethod
    def _panels_over(out: GraphicsOutput, camera: NodePath, panels: NodePath,
                     name: str) -> DisplayRegion:
        """A pass after the tone curve that draws only ``panels``, through the same lens."""
        eye = camera.node()
        eye.setCameraMask(SCENE_MASK)
        panels.hide(SCENE_MASK)
        overlay = Camera(f"{name}-panels", eye.getLens())
        overlay.setScene(panels)
        overlay.setCameraMask(PANEL_MASK)
        region = out.makeDisplayRegion()
        region.setSort(1)
        region.setClearDepthActive(True)
        region.setCamera(camera.attachNewNode(overlay))
        return region

    def _buffer(self, app: ExhibitApp, name: str, size: tuple[int, int], sort: int,
                float_color: bool) -> GraphicsOutput:
        props = FrameBufferProperties()
        if float_color:
            props.setFloatColor(True)
            props.setRgbaBits(16, 16, 16, 16)
        else:
            props.setRgbaBits(8, 8, 8, 8)
        props.setDepthBits(24)
        base = app.base
        buffer = base.graphicsEngine.makeOutput(
            base.pipe, name, sort, props, WindowProperties.size(*size),
            GraphicsPipe.BF_refuse_window, base.win.getGsg(), base.win)
        if buffer is None:
            raise EngineError(f"the graphics driver could not make the {size[0]}x{size[1]} "
                              f"buffer `{name}`")
        buffer.setClearColor(base.win.getClearColor())
        self.buffers.append(buffer)
        return buffer

    def set_active(self, active: bool) -> None:
        for buffer in self.buffers:
            buffer.setActive(active)

    def remove(self, app: ExhibitApp) -> None:
        for buffer in self.buffers:
            app.base.graphicsEngine.removeWindow(buffer)
        self.buffers.clear()


def show_side_by_side(app: ExhibitApp, textures: list[Texture]) -> NodePath:
    """Show ``textures`` side by side over the whole window, as a headset's mirror view
    does, in place of the desktop camera's picture."""
    scene = NodePath("mirror")
    width = 2 / len(textures)
    for index, texture in enumerate(textures):
        card = CardMaker(f"mirror-{index}")
        card.setFrame(-1 + index * width, -1 + (index + 1) * width, -1, 1)
        scene.attachNewNode(card.generate()).setTexture(texture)
    scene.setDepthTest(False)
    scene.setDepthWrite(False)
    region = app.base.win.makeDisplayRegion()
    region.setSort(20)  # over the desktop view's regions
    region.setCamera(scene.attachNewNode(Camera("mirror", _flat_lens())))
    app.base.cam.node().setActive(False)  # the desktop camera would draw unseen
    return scene


def _fullscreen_quad() -> NodePath:
    card = CardMaker("fullscreen")
    card.setFrameFullscreenQuad()
    return NodePath(card.generate())


def _flat_lens() -> OrthographicLens:
    """A lens that sees the square -1..1 in x and z: full-frame cards and quads."""
    lens = OrthographicLens()
    lens.setFilmSize(2, 2)
    lens.setNearFar(-10, 10)
    return lens
