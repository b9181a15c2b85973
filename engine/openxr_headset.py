"""A headset through an OpenXR runtime (SteamVR, Monado, Meta Quest Link, ...).

Each frame: the runtime says when the frame will be shown and where the eyes will be;
each eye camera takes that pose and field of view and renders into a Panda3D buffer;
the buffer is copied into the runtime's swapchain image; the frame ends with one
projection layer. The session follows the runtime's lifecycle (ready, focused, stopping,
exiting); the hands come from ``openxr_input``.

The rig node is the tracking space: the stage's floor origin sits on the rig, so walking
and teleporting move the rig and the member's own movements move the head within it.
"""

from __future__ import annotations

import ctypes
import os
import time
from collections.abc import Callable
from typing import Any

from direct.task import Task
from panda3d.core import (
    Camera,
    NodePath,
    PerspectiveLens,
    PythonCallbackObject,
)

from engine.app import ExhibitApp
from engine.errors import XRUnavailable
from engine.eye_buffer import EyeBuffer, show_side_by_side
from engine.navigation import STANDING_EYE
from engine.openxr_gl import GLBinding, current_binding, extension_for
from engine.openxr_input import Controllers, panda_point, panda_quat
from engine.xr import fov_lens

# what a task answers to run again next frame
CONT: int = Task.cont

GL_SRGB8_ALPHA8 = 0x8C43
GL_RGBA8 = 0x8058
RUNTIMES = "SteamVR, Monado or Meta Quest Link"


class _Eye:
    """One eye: a camera on the rig, its picture and the runtime's swapchain for it."""

    def __init__(self, app: ExhibitApp, rig: NodePath, index: int, size: tuple[int, int],
                 swapchain: Any, images: Any, near: float, far: float, tonemap: bool,
                 panels: NodePath | None, draw: Callable[[_Eye, Any], None]) -> None:
        self.index, self.size, self.swapchain, self.images = index, size, swapchain, images
        self.lens = PerspectiveLens()
        self.lens.setNearFar(near, far)
        self.camera = rig.attachNewNode(Camera(f"openxr-eye-{index}", self.lens))
        self.picture = EyeBuffer(app, f"openxr-eye-{index}", size, self.camera, tonemap, panels)
        # the last pass draws the finished picture; then it goes to the swapchain
        self.picture.region.setDrawCallback(PythonCallbackObject(lambda data: draw(self, data)))
        self.submitted = False


class OpenXRHeadset:
    """The ``openxr`` backend of the XR layer, with the simulated backend's interface:
    ``controllers``, ``on_trigger``, ``sticks``, ``update``, ``mirror``, ``pulse``.

    Args:
        app: the engine app; its window (or headless buffer) provides the GL context.
        head: the head node; its parent, the rig, is the tracking space.
    """

    name = "openxr"

    def __init__(self, app: ExhibitApp, head: NodePath, tonemap: bool = True,
                 panels: NodePath | None = None, near: float = 0.05, far: float = 3000.0) -> None:
        xr = _import_xr()
        self.app, self.head, self.tonemap, self.panels = app, head, tonemap, panels
        self.rig, self.near, self.far = head.getParent(), near, far
        self.gl: GLBinding | None = None
        self.instance: Any = None
        self.session: Any = None
        self._ask_runtime(xr, extension_for(app.base.pipe.getType().getName()))
        self.controllers = {side: self.rig.attachNewNode(f"{side}-controller")
                            for side in ("left", "right")}
        # Called with "left" or "right" when that controller's trigger is pressed.
        self.on_trigger: list[Callable[[str], object]] = []
        self.on_button: list[Callable[[str], object]] = []  # "hand" or "react" went down
        self.sticks: dict[str, tuple[float, float]] = {"left": (0.0, 0.0), "right": (0.0, 0.0)}
        # Called when the runtime ends the session (the member quit from the headset's
        # menu, or the runtime is shutting down).
        self.on_exit: list[Callable[[], object]] = []
        self.eyes: list[_Eye] = []
        self.hands_tracked = False  # until the runtime locates the pointing hand
        self.state = xr.SessionState.UNKNOWN
        self.running = self.exiting = False
        self._frame: Any = None
        self._views: Any = None
        self._rendering = False
        self._checked = False
        self._error: BaseException | None = None
        # After Panda3D's frame (igLoop, sort 50): its GL context is current then, which
        # starting the session and ending each frame need.
        app.base.taskMgr.add(self._end_frame, "openxr-end-frame", sort=55)

    def _ask_runtime(self, xr: Any, extension: str) -> None:
        """Find the runtime and its headset now, so a missing one is said at once."""
        self.instance = _create_instance(xr, extension)
        try:
            self.system = xr.get_system(self.instance, xr.SystemGetInfo(
                form_factor=xr.FormFactor.HEAD_MOUNTED_DISPLAY))
        except xr.FormFactorUnavailableError as exc:
            xr.destroy_instance(self.instance)
            raise XRUnavailable("the OpenXR runtime sees no headset: connect it, wake it, "
                                "then try again") from exc
        xr.get_opengl_graphics_requirements_khr(self.instance, self.system)

    def _start_session(self) -> None:
        """The session on Panda3D's GL context, its spaces, eye swapchains and hands."""
        import xr

        self.gl = current_binding(self.app.base.pipe.getType().getName())
        self.session = xr.create_session(self.instance, xr.SessionCreateInfo(
            system_id=self.system,
            next=ctypes.cast(ctypes.pointer(self.gl.binding), ctypes.c_void_p)))
        self.stage = _floor_space(xr, self.session)
        self.view_space = xr.create_reference_space(self.session, xr.ReferenceSpaceCreateInfo(
            reference_space_type=xr.ReferenceSpaceType.VIEW, pose_in_reference_space=xr.Posef()))
        self.eyes = self._make_eyes(xr, self.rig, self.near, self.far)
        if self._mirror_wanted:
            self._show_mirror()
        self.input = Controllers(self.instance, self.session, self.controllers,
                                 self.on_trigger, self.sticks, self.on_button)

    # -- set-up --------------------------------------------------------------------------
    def _make_eyes(self, xr: Any, rig: NodePath, near: float, far: float) -> list[_Eye]:
        configs = xr.enumerate_view_configuration_views(
            self.instance, self.system, xr.ViewConfigurationType.PRIMARY_STEREO)
        formats = list(xr.enumerate_swapchain_formats(self.session))
        # The eyes hold display-ready colour, which an sRGB image shows as it is.
        chosen = next((f for f in (GL_SRGB8_ALPHA8, GL_RGBA8) if f in formats), None)
        if chosen is None:
            raise XRUnavailable("the OpenXR runtime offers no 8-bit RGBA swapchain format "
                                f"(it offers {', '.join(hex(f) for f in formats)})")
        eyes = []
        for index, config in enumerate(configs):
            size = (config.recommended_image_rect_width, config.recommended_image_rect_height)
            swapchain = xr.create_swapchain(self.session, xr.SwapchainCreateInfo(
                usage_flags=xr.SwapchainUsageFlags.TRANSFER_DST_BIT
                | xr.SwapchainUsageFlags.COLOR_ATTACHMENT_BIT,
                format=chosen, sample_count=1, width=size[0], height=size[1], face_count=1,
                array_size=1, mip_count=1))
            images = xr.enumerate_swapchain_images(swapchain, xr.SwapchainImageOpenGLKHR)
            eyes.append(_Eye(self.app, rig, index, size, swapchain, images, near, far,
                             self.tonemap, self.panels, self._draw))
        return eyes

    _mirror_wanted = False

    def mirror(self) -> None:
        """Show both eyes side by side in the app's window, as headsets' mirror views do."""
        self._mirror_wanted = True
        if self.eyes:
            self._show_mirror()

    def _show_mirror(self) -> None:
        show_side_by_side(self.app, [eye.picture.texture for eye in self.eyes])

    # -- the frame ------------------------------------------------------------------------
    def update(self, dt: float) -> None:
        """Start a frame: events, the runtime's frame timing, head, eyes and hands."""
        import xr

        if self.session is None:
            return
        self._poll()
        if not self.running:
            return
        self._frame = xr.wait_frame(self.session, xr.FrameWaitInfo())
        xr.begin_frame(self.session, xr.FrameBeginInfo())
        when = self._frame.predicted_display_time
        state, views = xr.locate_views(self.session, xr.ViewLocateInfo(
            view_configuration_type=xr.ViewConfigurationType.PRIMARY_STEREO,
            display_time=when, space=self.stage))
        valid = xr.ViewStateFlags.POSITION_VALID_BIT | xr.ViewStateFlags.ORIENTATION_VALID_BIT
        located = state.view_state_flags & valid == valid
        if located:
            for eye, view in zip(self.eyes, views):
                eye.camera.setPosQuat(panda_point(view.pose.position),
                                      panda_quat(view.pose.orientation))
                fov_lens(eye.lens, view.fov.angle_left, view.fov.angle_right,
                         view.fov.angle_up, view.fov.angle_down)
            head = xr.locate_space(self.view_space, self.stage, when)
            self.head.setPosQuat(panda_point(head.pose.position),
                                 panda_quat(head.pose.orientation))
        self._views = views
        self._rendering = bool(self._frame.should_render) and located
        for eye in self.eyes:
            eye.submitted = False
            eye.picture.set_active(self._rendering)
        if self.state == xr.SessionState.FOCUSED:
            self.input.sync(self.stage, when)
            self.hands_tracked = "right" in self.input.tracked  # the pointing hand

    def _draw(self, eye: _Eye, data: Any) -> None:
        """Draw the eye, then copy it into the runtime's next swapchain image."""
        import xr

        data.upcall()
        if not self._rendering or self._error is not None or self.gl is None:
            return
        try:
            index = xr.acquire_swapchain_image(eye.swapchain, xr.SwapchainImageAcquireInfo())
            xr.wait_swapchain_image(eye.swapchain, xr.SwapchainImageWaitInfo(
                timeout=xr.INFINITE_DURATION))
            gsg = self.app.base.win.getGsg()
            texture = eye.picture.texture
            source = texture.prepareNow(0, gsg.getPreparedObjects(), gsg).getNativeId()
            self.gl.copy(source, eye.images[index].image, *eye.size)
            if not self._checked:
                self.gl.check("copying an eye into the headset's swapchain")
                self._checked = True
            xr.release_swapchain_image(eye.swapchain, xr.SwapchainImageReleaseInfo())
            eye.submitted = True
        except BaseException as exc:  # noqa: BLE001  raised from the frame task; a draw callback cannot
            self._error = exc

    def _end_frame(self, task: Task.Task) -> int:
        import xr

        if self._error is not None:
            error, self._error = self._error, None
            raise error
        if self.session is None:
            self._start_session()
        if self._frame is None:
            return CONT
        layer = None
        if self._rendering and all(eye.submitted for eye in self.eyes):
            layer = xr.CompositionLayerProjection(space=self.stage, views=[
                xr.CompositionLayerProjectionView(
                    pose=view.pose, fov=view.fov, sub_image=xr.SwapchainSubImage(
                        swapchain=eye.swapchain,
                        image_rect=xr.Rect2Di(extent=xr.Extent2Di(*eye.size))))
                for eye, view in zip(self.eyes, self._views)])
        layers = [] if layer is None else [ctypes.cast(
            ctypes.pointer(layer), ctypes.POINTER(xr.CompositionLayerBaseHeader))]
        xr.end_frame(self.session, xr.FrameEndInfo(
            display_time=self._frame.predicted_display_time,
            environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE, layers=layers))
        self._frame = None
        return CONT

    def _poll(self) -> None:
        """Follow the session's lifecycle as the runtime reports it."""
        import xr

        while True:
            try:
                event = xr.poll_event(self.instance)
            except xr.EventUnavailable:
                return
            if xr.StructureType(event.type) != xr.StructureType.EVENT_DATA_SESSION_STATE_CHANGED:
                continue
            changed = ctypes.cast(ctypes.byref(event),
                                  ctypes.POINTER(xr.EventDataSessionStateChanged)).contents
            self.state = xr.SessionState(changed.state)
            if self.state == xr.SessionState.READY:
                xr.begin_session(self.session, xr.SessionBeginInfo(
                    primary_view_configuration_type=xr.ViewConfigurationType.PRIMARY_STEREO))
                self.running = True
            elif self.state == xr.SessionState.STOPPING:
                xr.end_session(self.session)
                self.running = False
            elif self.state in (xr.SessionState.EXITING, xr.SessionState.LOSS_PENDING):
                self.running = False
                if not self.exiting:
                    self.exiting = True
                    for listener in self.on_exit:
                        listener()

    # -- the hands and the end ----------------------------------------------------------------
    def pulse(self, side: str, amplitude: float = 0.5, seconds: float = 0.03) -> None:
        """A short buzz in ``side``'s controller."""
        if self.state.name == "FOCUSED":  # only the focused app may buzz the hands
            self.input.pulse(side, amplitude, seconds)

    def close(self, wait: float = 2.0) -> None:
        """End the session the way the runtime expects, then let everything go."""
        import xr

        if self.instance is None:
            return  # closed already
        self.app.base.taskMgr.remove("openxr-end-frame")
        if self.session is None:
            xr.destroy_instance(self.instance)
            self.instance = None
            return
        if self._frame is not None:  # a frame begun but not ended: end it, empty
            xr.end_frame(self.session, xr.FrameEndInfo(
                display_time=self._frame.predicted_display_time,
                environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE))
            self._frame = None
        if self.running and not self.exiting:
            xr.request_exit_session(self.session)
        deadline = time.monotonic() + wait
        while self.running and time.monotonic() < deadline:
            self._poll()  # frames go on, empty, until the runtime says stopping
            if self.running:
                frame = xr.wait_frame(self.session, xr.FrameWaitInfo())
                xr.begin_frame(self.session, xr.FrameBeginInfo())
                xr.end_frame(self.session, xr.FrameEndInfo(
                    display_time=frame.predicted_display_time,
                    environment_blend_mode=xr.EnvironmentBlendMode.OPAQUE))
        self.input.destroy()
        for eye in self.eyes:
            xr.destroy_swapchain(eye.swapchain)
            eye.picture.remove(self.app)
        xr.destroy_space(self.view_space)
        xr.destroy_space(self.stage)
        xr.destroy_session(self.session)
        xr.destroy_instance(self.instance)
        self.session = self.instance = None


def require_runtime() -> set[str]:
    """The extensions of the running OpenXR runtime; ``XRUnavailable`` saying what to do
    when pyopenxr is missing or no runtime is running."""
    # the loader's own error lines would repeat ours; XR_LOADER_DEBUG=error shows them
    os.environ.setdefault("XR_LOADER_DEBUG", "none")
    xr = _import_xr()
    try:
        return {e.extension_name.decode() for e in xr.enumerate_instance_extension_properties()}
    except Exception as exc:  # the loader raises its own types when no runtime is active
        raise XRUnavailable(f"no OpenXR runtime is running ({exc}); start one ({RUNTIMES}) "
                            "or use --xr simulated") from exc


def _import_xr() -> Any:
    try:
        import xr  # pyopenxr
    except ImportError as exc:
        raise XRUnavailable("OpenXR support is not installed: `pip install pyopenxr`, then "
                            f"start your headset's OpenXR runtime ({RUNTIMES})") from exc
    return xr


def _create_instance(xr: Any, extension: str) -> Any:
    if extension not in require_runtime():
        raise XRUnavailable(f"the OpenXR runtime cannot take OpenGL frames from this window "
                            f"({extension} is not offered)")
    return xr.create_instance(xr.InstanceCreateInfo(
        application_info=xr.ApplicationInfo(
            application_name="RedHall", application_version=1, engine_name="Panda3D",
            engine_version=1, api_version=xr.Version(1, 0, 0)),
        enabled_extension_names=[extension]))


def _floor_space(xr: Any, session: Any) -> Any:
    """The tracking space with its origin on the floor: the stage, or else the local space
    lowered by a standing eye height."""
    kinds = set(xr.enumerate_reference_spaces(session))
    stage = xr.ReferenceSpaceType.STAGE
    if stage in kinds or stage.value in kinds:
        kind, pose = stage, xr.Posef()
    else:
        kind = xr.ReferenceSpaceType.LOCAL
        pose = xr.Posef(position=xr.Vector3f(0, -STANDING_EYE, 0))
    return xr.create_reference_space(session, xr.ReferenceSpaceCreateInfo(
        reference_space_type=kind, pose_in_reference_space=pose))
