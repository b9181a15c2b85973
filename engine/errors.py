"""The engine's errors: what failed and what the member or editor can do about it."""

from __future__ import annotations

from protocol.errors import RedhallError


class EngineError(RedhallError):
    """The engine could not show an exhibit."""


class SceneNotFound(EngineError):
    """The package has no scene with the requested id."""


class XRUnavailable(EngineError):
    """No OpenXR runtime or headset could be reached."""
