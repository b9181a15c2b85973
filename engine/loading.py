"""Opening packages for display: verify, then convert models once and cache them as BAM.

The cache is keyed by each entry's sha256, so a second load of the same exhibit reads
ready-made Panda3D files and a changed model can never be served stale. The package
reader has checked every scene and model before this module sees them; a model is
checked structurally again, from the bytes handed to the converter, before Panda3D reads
it, so nothing reaches the renderer that could make it read outside the model.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from panda3d.core import Filename, NodePath

from engine.errors import SceneNotFound
from protocol.glb_check import GlbRefused, check_glb
from protocol.manifest import Entry, PackagedScene
from protocol.package import MalformedPackage, VerifiedPackage, open_package


@dataclass
class LoadedExhibit:
    package: VerifiedPackage
    cache: Path

    def scene(self, scene_id: str | None) -> PackagedScene:
        refs = self.package.manifest.scenes
        ref = refs[0] if scene_id is None else next((r for r in refs if r.id == scene_id), None)
        if ref is None:
            known = ", ".join(r.id for r in refs)
            raise SceneNotFound(f"no scene `{scene_id}` in {self.package.path.name}; it has: "
                                f"{known}")
        return self.package.scenes[ref.id]  # validated with the package

    def _entry(self, name: str) -> Entry:
        entry = next((e for e in self.package.manifest.entries if e.path == name), None)
        if entry is None:
            raise MalformedPackage(f"{self.package.path}: no entry `{name}` in the package")
        return entry

    def file(self, name: str) -> Path:
        """The entry as a file in the cache (written once, named by its hash)."""
        entry = self._entry(name)
        target = self.cache / "files" / f"{entry.sha256}{Path(name).suffix.lower()}"
        if not target.exists():
            data = self.package.read(name)
            if target.suffix == ".glb":
                _check_model(self.package.path, name, data)
            target.parent.mkdir(parents=True, exist_ok=True)
            # a name of this process's own: two processes filling one cache never meet
            temporary = target.with_suffix(f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
            temporary.write_bytes(data)
            temporary.replace(target)
        return target

    def model(self, name: str) -> NodePath:
        """A model from the package, converted from glTF to BAM on first use."""
        import gltf  # the converter is only needed on a cache miss

        entry = self._entry(name)
        bam = self.cache / "bam" / f"{entry.sha256}.bam"
        if bam.exists():
            from panda3d.core import BamFile

            return NodePath(_read_bam(bam, BamFile))
        source = self.file(name)
        _check_model(self.package.path, name, source.read_bytes())  # what Panda3D reads
        try:
            node = gltf.load_model(str(source))
        except Exception as exc:  # noqa: BLE001 - the converter refusing a model is a refusal
            raise MalformedPackage(f"{self.package.path}: model `{name}` cannot be loaded "
                                   f"({type(exc).__name__}: {exc})") from None
        root = NodePath(node)
        bam.parent.mkdir(parents=True, exist_ok=True)
        temporary = bam.with_suffix(f".{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp.bam")
        root.writeBamFile(Filename.fromOsSpecific(str(temporary)))
        temporary.replace(bam)
        return root


def _check_model(package: Path, name: str, data: bytes) -> None:
    try:
        check_glb(data)
    except GlbRefused as exc:
        raise MalformedPackage(f"{package}: model `{name}` is refused: {exc}") from None


def _read_bam(path: Path, bam_file_type: type) -> object:
    bam = bam_file_type()
    bam.openRead(Filename.fromOsSpecific(str(path)))
    node = bam.readNode()
    bam.close()
    return node


def load_exhibit(path: Path, trusted: list[Ed25519PublicKey] | None, cache: Path) -> LoadedExhibit:
    """Verify ``path`` (signature when keys are given, every hash always) before use."""
    return LoadedExhibit(open_package(path, trusted), cache)
