"""Sounds heard from a place in the scene: Panda3D's 3D audio with the member's eyes as
the listener. The narrator's voice comes from the narrator, a replayed guide's from the
guide's avatar.

Voices are heard at the same loudness wherever the member stands (a narration is read
with its panel, a guide is followed across a room): only their direction tells where
they come from. Without a sound device (``audio-library-name null``) everything here
still runs and records what is attached where, silently.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from direct.showbase.Audio3DManager import Audio3DManager
from panda3d.core import Filename, NodePath

from engine.app import ExhibitApp


class _FrameDriven(Audio3DManager):  # type: ignore[misc]
    """Panda3D's 3D audio manager, updated by the app's frame rather than by a task of its
    own, which would outlive the app it was made for (the task manager is global)."""

    def __init__(self, audio_manager: Any, listener: NodePath, root: NodePath,
                 tasks: Any) -> None:
        super().__init__(audio_manager, listener, root)
        # the base class starts a global update task under this one name; every 3D manager
        # of the engine is driven by its app's frame instead
        tasks.remove("Audio3DManager-updateTask")


class SpatialAudio:
    """3D sounds of one app, listened to from its camera; add it to the app as a system."""

    def __init__(self, app: ExhibitApp) -> None:
        managers = app.base.sfxManagerList
        self.manager = managers[0] if managers else None
        self.audio3d = _FrameDriven(self.manager, app.base.camera, app.render,
                                    app.base.taskMgr) if self.manager is not None else None
        if self.audio3d is not None:
            self.audio3d.setDropOffFactor(0.0)  # heard everywhere; direction only

    @property
    def device(self) -> bool:
        """Whether a real sound device plays the sounds (not the null audio manager)."""
        return self.manager is not None and bool(self.manager.isValid())

    @property
    def listener(self) -> NodePath | None:
        return self.audio3d.listener_target if self.audio3d is not None else None

    def load(self, path: Path) -> Any:
        """A positional sound from ``path`` (mono; a null sound without a device)."""
        if self.audio3d is None:
            return None
        return self.audio3d.loadSfx(Filename.fromOsSpecific(str(path)))

    def attach(self, sound: Any, node: NodePath) -> None:
        """``sound`` is heard from ``node`` from now on, following it as it moves."""
        if self.audio3d is not None and sound is not None:
            self.audio3d.attachSoundToObject(sound, node)

    def detach(self, sound: Any) -> None:
        """``sound`` no longer follows a node (it has been stopped)."""
        if self.audio3d is not None and sound is not None:
            self.audio3d.detachSound(sound)

    def sounds_on(self, node: NodePath) -> list[Any]:
        return list(self.audio3d.getSoundsOnObject(node)) if self.audio3d is not None else []

    def update(self, dt: float) -> None:
        if self.audio3d is not None:
            self.audio3d.update()

    def close(self) -> None:
        """Detaches every sound (the scene is left); the sounds themselves are not stopped."""
        if self.audio3d is not None:
            for sounds in list(self.audio3d.sound_dict.values()):
                for sound in list(sounds):
                    self.detach(sound)
