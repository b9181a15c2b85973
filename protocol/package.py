"""Reading exhibition packages safely: the one reader the pipeline, engine and server share.

A package is refused, with a message naming the problem, when its signature does not
verify against a trusted key, any entry's hash or size differs from the manifest, a
path could escape the destination, an entry is a link, the archive looks like a
compression bomb, an entry is too large, or the format version is unknown.
"""

from __future__ import annotations

import hashlib
import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import ValidationError

from protocol.errors import (
    PackageError,
    SignatureInvalid,
    TamperedPackage,
    UnknownFormat,
    UnsafePackage,
)
from protocol.manifest import FORMAT_VERSION, Manifest

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"


@dataclass(frozen=True)
class Limits:
    """Safety limits a reader applies before trusting anything in a package."""

    max_entry_bytes: int = 512 * 1024**2
    max_total_bytes: int = 2 * 1024**3
    max_entries: int = 10_000
    max_ratio: float = 200.0


def _check_name(name: str) -> None:
    path = PurePosixPath(name)
    if (not name or name.startswith("/") or "\\" in name or ".." in path.parts
            or (len(name) > 1 and name[1] == ":") or name != path.as_posix()):
        raise UnsafePackage(f"entry `{name}` has an unsafe path (absolute, `..` or "
                            "backslashes); the package may be malicious — do not use it")


def _check_info(info: zipfile.ZipInfo, limits: Limits) -> None:
    _check_name(info.filename)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise UnsafePackage(f"entry `{info.filename}` is a symbolic link; packages may not "
                            "contain links")
    if info.file_size > limits.max_entry_bytes:
        raise UnsafePackage(f"entry `{info.filename}` is {info.file_size:,} bytes, over the "
                            f"{limits.max_entry_bytes:,}-byte limit")
    if info.compress_size and info.file_size > 1024**2 and \
            info.file_size / info.compress_size > limits.max_ratio:
        raise UnsafePackage(f"entry `{info.filename}` expands {info.file_size / info.compress_size:.0f}"
                            f"-fold, which looks like a compression bomb")


@dataclass
class VerifiedPackage:
    """An open package whose manifest, signature (if checked) and every hash verified."""

    path: Path
    manifest: Manifest
    manifest_bytes: bytes
    signed_by_trusted: bool

    def read(self, name: str) -> bytes:
        """An entry's bytes, checked again against the manifest hash."""
        entry = next((e for e in self.manifest.entries if e.path == name), None)
        if entry is None:
            raise PackageError(f"{self.path}: no entry `{name}` in the manifest")
        with zipfile.ZipFile(self.path) as archive:
            data = archive.read(name)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise TamperedPackage(f"{self.path}: `{name}` changed after verification")
        return data


def _read_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnsafePackage(f"entry `{info.filename}` is larger than its header says")
    return data


def open_package(path: Path, trusted: list[Ed25519PublicKey] | None,
                 limits: Limits = Limits()) -> VerifiedPackage:
    """Open and verify ``path``.

    Args:
        trusted: publisher keys to accept; None skips the signature check (inspect only).

    Raises:
        PackageError: a subclass naming exactly what is wrong.
    """
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise PackageError(f"{path}: no such package") from exc
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path}: not an exhibition package (not a readable zip: {exc})") \
            from exc
    with archive:
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise UnsafePackage(f"{path}: {len(infos)} entries, over the limit of "
                                f"{limits.max_entries}")
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise UnsafePackage(f"{path}: the same entry name appears twice")
        for info in infos:
            _check_info(info, limits)
        if sum(i.file_size for i in infos) > limits.max_total_bytes:
            raise UnsafePackage(f"{path}: contents exceed {limits.max_total_bytes:,} bytes")
        if MANIFEST not in names or SIGNATURE not in names:
            raise PackageError(f"{path}: missing {MANIFEST} or {SIGNATURE}; not a RedHall "
                               "package, or an incomplete one")
        manifest_bytes = _read_limited(archive, archive.getinfo(MANIFEST), limits.max_entry_bytes)
        signature = _read_limited(archive, archive.getinfo(SIGNATURE), 1024)
        try:
            raw = json.loads(manifest_bytes)
        except ValueError as exc:
            raise TamperedPackage(f"{path}: manifest.json is not valid JSON") from exc
        version = raw.get("format") if isinstance(raw, dict) else None
        if version != FORMAT_VERSION:
            raise UnknownFormat(f"{path}: package format {version!r} is not supported (this "
                                f"reader knows format {FORMAT_VERSION}); update RedHall or "
                                "rebuild the package")
        signed = False
        if trusted is not None:
            for key in trusted:
                try:
                    key.verify(signature, manifest_bytes)
                except InvalidSignature:
                    continue
                signed = True
                break
            if not signed:
                raise SignatureInvalid(f"{path}: the signature does not match any trusted "
                                       "publisher key; the package was altered or comes from "
                                       "an unknown publisher")
        try:
            manifest = Manifest.model_validate(raw)
        except ValidationError as exc:
            raise TamperedPackage(f"{path}: manifest.json is malformed: {exc}") from exc
        listed = {e.path for e in manifest.entries}
        extra = set(names) - listed - {MANIFEST, SIGNATURE}
        if extra:
            raise TamperedPackage(f"{path}: entries not in the manifest: {sorted(extra)[:5]}")
        for entry in manifest.entries:
            _check_name(entry.path)
            if entry.path not in names:
                raise TamperedPackage(f"{path}: `{entry.path}` is in the manifest but missing")
            info = archive.getinfo(entry.path)
            if info.file_size != entry.size:
                raise TamperedPackage(f"{path}: `{entry.path}` is {info.file_size} bytes, the "
                                      f"manifest says {entry.size}")
            digest = hashlib.sha256(_read_limited(archive, info, entry.size)).hexdigest()
            if digest != entry.sha256:
                raise TamperedPackage(f"{path}: `{entry.path}` does not match its sha256 in the "
                                      "manifest; the package was altered")
    return VerifiedPackage(path, manifest, manifest_bytes, signed)
