"""The OpenGL side of an OpenXR session: the graphics binding that hands Panda3D's GL
context to the runtime, and the copy of a rendered eye into a swapchain image.

A desktop window runs on GLX (``XR_KHR_opengl_enable``); p3headlessgl runs on EGL
(``XR_MNDX_egl_enable``, which Monado offers). Both are read off the context that is
current after Panda3D has rendered a frame, so the session shares Panda3D's context.
"""

from __future__ import annotations

import ctypes
from dataclasses import dataclass
from typing import Any

from engine.errors import XRUnavailable

GL_TEXTURE_2D = 0x0DE1
GL_NO_ERROR = 0
GLX_SCREEN = 0x800C
GLX_FBCONFIG_ID = 0x8013
EGL_CONFIG_ID = 0x3028
EGL_NONE = 0x3038

# glCopyImageSubData(name, target, level, x, y, z) for the source, then the target, then
# width, height, depth
_IMAGE = [ctypes.c_uint, ctypes.c_uint, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_int]
_COPY_IMAGE = ctypes.CFUNCTYPE(None, *_IMAGE, *_IMAGE, ctypes.c_int, ctypes.c_int, ctypes.c_int)
_GET_ERROR = ctypes.CFUNCTYPE(ctypes.c_uint)


@dataclass
class GLBinding:
    """Panda3D's current GL context as an OpenXR graphics binding."""

    extension: str
    binding: Any  # an xr.GraphicsBindingOpenGLXlibKHR or xr.GraphicsBindingEGLMNDX
    _copy: Any
    _error: Any

    def copy(self, source: int, target: int, width: int, height: int) -> None:
        """Copy texture ``source`` into texture ``target`` (both 2D, same size class)."""
        self._copy(source, GL_TEXTURE_2D, 0, 0, 0, 0, target, GL_TEXTURE_2D, 0, 0, 0, 0,
                   width, height, 1)

    def check(self, what: str) -> None:
        error = self._error()
        if error != GL_NO_ERROR:
            raise XRUnavailable(f"{what} failed with OpenGL error 0x{error:04x}; the "
                                "headset's swapchain format does not match the eye buffers")


def extension_for(pipe_name: str) -> str:
    """The OpenXR extension that takes frames from a Panda3D pipe, e.g. ``glxGraphicsPipe``."""
    if pipe_name.startswith("glx"):
        return "XR_KHR_opengl_enable"
    if pipe_name.startswith("egl"):
        return "XR_MNDX_egl_enable"
    raise XRUnavailable(f"OpenXR needs an OpenGL context from GLX or EGL; Panda3D runs on "
                        f"{pipe_name}")


def current_binding(pipe_name: str) -> GLBinding:
    """The binding for the GL context current on this thread (Panda3D's, after a frame)."""
    return _glx() if extension_for(pipe_name) == "XR_KHR_opengl_enable" else _egl()


def _procs(get: Any) -> tuple[Any, Any]:
    copy = get(b"glCopyImageSubData")
    error = get(b"glGetError")
    if not copy or not error:
        raise XRUnavailable("the OpenGL driver lacks glCopyImageSubData (OpenGL 4.3); "
                            "update the graphics driver")
    return _COPY_IMAGE(copy), _GET_ERROR(error)


def _glx() -> GLBinding:
    import xr

    gl = ctypes.CDLL("libGL.so.1")
    for name in ("glXGetCurrentDisplay", "glXGetCurrentContext", "glXChooseFBConfig",
                 "glXGetVisualFromFBConfig", "glXGetProcAddressARB"):
        getattr(gl, name).restype = ctypes.c_void_p
    gl.glXGetCurrentDrawable.restype = ctypes.c_ulong
    gl.glXChooseFBConfig.argtypes = [ctypes.c_void_p, ctypes.c_int,
                                     ctypes.POINTER(ctypes.c_int), ctypes.POINTER(ctypes.c_int)]
    gl.glXQueryContext.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                   ctypes.POINTER(ctypes.c_int)]
    gl.glXGetVisualFromFBConfig.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    gl.glXGetProcAddressARB.argtypes = [ctypes.c_char_p]
    display, context = gl.glXGetCurrentDisplay(), gl.glXGetCurrentContext()
    if not display or not context:
        raise XRUnavailable("no GLX context is current; render a frame before starting OpenXR")
    screen, config_id, found = ctypes.c_int(), ctypes.c_int(), ctypes.c_int()
    gl.glXQueryContext(display, context, GLX_SCREEN, ctypes.byref(screen))
    gl.glXQueryContext(display, context, GLX_FBCONFIG_ID, ctypes.byref(config_id))
    wanted = (ctypes.c_int * 3)(GLX_FBCONFIG_ID, config_id.value, 0)
    configs = gl.glXChooseFBConfig(display, screen.value, wanted, ctypes.byref(found))
    if not configs or found.value < 1:
        raise XRUnavailable("could not find the GLX framebuffer configuration of the window")
    config = ctypes.cast(configs, ctypes.POINTER(ctypes.c_void_p))[0]
    visual = gl.glXGetVisualFromFBConfig(display, config)
    # XVisualInfo starts with (Visual *visual, VisualID visualid, ...)
    visual_id = ctypes.cast(visual, ctypes.POINTER(ctypes.c_ulong))[1] if visual else 0
    field = dict(xr.GraphicsBindingOpenGLXlibKHR._fields_)
    binding = xr.GraphicsBindingOpenGLXlibKHR(
        x_display=ctypes.cast(display, field["x_display"]), visualid=visual_id,
        glx_fbconfig=ctypes.cast(config, field["glx_fbconfig"]),
        glx_drawable=gl.glXGetCurrentDrawable(),
        glx_context=ctypes.cast(context, field["glx_context"]))
    copy, error = _procs(gl.glXGetProcAddressARB)
    return GLBinding("XR_KHR_opengl_enable", binding, copy, error)


def _egl() -> GLBinding:
    import xr

    egl = ctypes.CDLL("libEGL.so.1")
    for name in ("eglGetCurrentDisplay", "eglGetCurrentContext", "eglGetProcAddress"):
        getattr(egl, name).restype = ctypes.c_void_p
    egl.eglGetProcAddress.argtypes = [ctypes.c_char_p]
    egl.eglQueryContext.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int,
                                    ctypes.POINTER(ctypes.c_int)]
    egl.eglChooseConfig.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int),
                                    ctypes.POINTER(ctypes.c_void_p), ctypes.c_int,
                                    ctypes.POINTER(ctypes.c_int)]
    display, context = egl.eglGetCurrentDisplay(), egl.eglGetCurrentContext()
    if not display or not context:
        raise XRUnavailable("no EGL context is current; render a frame before starting OpenXR")
    config_id, config, found = ctypes.c_int(), ctypes.c_void_p(), ctypes.c_int()
    egl.eglQueryContext(display, context, EGL_CONFIG_ID, ctypes.byref(config_id))
    wanted = (ctypes.c_int * 3)(EGL_CONFIG_ID, config_id.value, EGL_NONE)
    egl.eglChooseConfig(display, wanted, ctypes.byref(config), 1, ctypes.byref(found))
    get_proc = ctypes.cast(egl.eglGetProcAddress, ctypes.c_void_p).value
    field = dict(xr.GraphicsBindingEGLMNDX._fields_)
    binding = xr.GraphicsBindingEGLMNDX(
        get_proc_address=xr.PFN_xrEglGetProcAddressMNDX(get_proc),
        display=ctypes.cast(display, field["display"]),
        config=ctypes.cast(config, field["config"]),
        context=ctypes.cast(context, field["context"]))
    copy, error = _procs(egl.eglGetProcAddress)
    return GLBinding("XR_MNDX_egl_enable", binding, copy, error)
