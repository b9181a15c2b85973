"""Reading exhibition packages safely: the one reader the pipeline, engine and server share.

A package is refused, with a message naming the problem and the entry, when its
signature does not verify against a trusted key, any entry's hash or size differs from
the manifest, an entry cannot be read as the archive describes it (bad CRC, broken or
unknown compression, encryption, disagreeing headers), a name is unsafe (see
:mod:`protocol.package_check`), an entry is a link or directory, the archive is too large
when expanded or looks like a compression bomb, the format version is unknown, or what it
holds is not a valid exhibit (scenes, references, numbers and models are all checked).

The signature is checked over the manifest's bytes before they are parsed: an unsigned
package is never parsed when trusted keys are given.
"""

from __future__ import annotations

import hashlib
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from protocol.manifest import FORMAT_VERSION, Manifest, PackagedScene
from protocol.package_check import (
    CorruptPackage,
    MalformedPackage,
    check_contents,
    check_distinct,
    check_info,
    check_name,
)
from protocol.safe_json import JsonRefused, loads

__all__ = ["CorruptPackage", "Limits", "MalformedPackage", "VerifiedPackage", "open_package"]

MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig"
SIGNATURE_BYTES = 64  # Ed25519


@dataclass(frozen=True)
class Limits:
    """Safety limits a reader applies before trusting anything in a package."""

    max_entry_bytes: int = 256 * 1024**2
    max_total_bytes: int = 512 * 1024**2
    max_entries: int = 4096
    max_ratio: float = 200.0
    max_manifest_bytes: int = 4 * 1024**2


# Everything zipfile and zlib raise for an entry that cannot be read as described.
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
                RuntimeError, ValueError, struct.error, OverflowError, MemoryError)


@contextmanager
def _reading(path: Path, name: str) -> Iterator[None]:
    """Turn any failure to read entry ``name`` into a refusal that names it."""
    try:
        yield
    except PackageError:
        raise
    except _READ_ERRORS as exc:
        shown = name.encode("unicode_escape").decode("ascii")
        raise CorruptPackage(f"{path}: entry `{shown}` cannot be read ({exc}); the package is "
                             "damaged or was altered") from None


def _check_info(info: zipfile.ZipInfo, limits: Limits) -> None:
    check_info(info)
    if info.file_size > limits.max_entry_bytes:
        raise UnsafePackage(f"entry `{info.filename}` is {info.file_size:,} bytes, over the "
                            f"{limits.max_entry_bytes:,}-byte limit")
    if info.file_size > 1024**2 and (not info.compress_size or
                                     info.file_size / info.compress_size > limits.max_ratio):
        ratio = info.file_size / max(info.compress_size, 1)
        raise UnsafePackage(f"entry `{info.filename}` expands {ratio:.0f}-fold, which looks "
                            "like a compression bomb")


def _read_limited(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The entry's bytes, reading at most ``limit`` + 1 of them; its CRC is checked."""
    with archive.open(info) as handle:
        data = handle.read(limit + 1)
        if len(data) <= limit and handle.read(1):
            data += b"?"
    if len(data) > limit or len(data) != info.file_size:
        raise TamperedPackage(f"entry `{info.filename}` does not hold the {info.file_size:,} "
                              "bytes its header says")
    return data


@dataclass
class VerifiedPackage:
    """An open package whose manifest, signature (if checked), every hash and every
    scene and model verified."""

    path: Path
    manifest: Manifest
    manifest_bytes: bytes
    signed_by_trusted: bool
    scenes: dict[str, PackagedScene] = field(default_factory=dict)
    manifest_json: dict[str, Any] = field(default_factory=dict)

    def read(self, name: str) -> bytes:
        """An entry's bytes, checked again against the manifest hash."""
        entry = next((e for e in self.manifest.entries if e.path == name), None)
        if entry is None:
            raise PackageError(f"{self.path}: no entry `{name}` in the manifest")
        with _reading(self.path, name), zipfile.ZipFile(self.path) as archive:
            data = _read_limited(archive, archive.getinfo(name), entry.size)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise TamperedPackage(f"{self.path}: `{name}` changed after verification")
        return data


def _entry_count(path: Path) -> int | None:
    """The entry count the end-of-central-directory record gives, read before zipfile
    parses (and holds) the whole directory; None when the record is not found."""
    with path.open("rb") as handle:
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 65_557))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + 22 > len(tail):
        return None
    return int(struct.unpack_from("<H", tail, at + 10)[0])


def _open(path: Path, limits: Limits) -> zipfile.ZipFile:
    try:
        count = _entry_count(path)
        if count is not None and count > limits.max_entries:
            raise UnsafePackage(f"{path}: {count} entries, over the limit of "
                                f"{limits.max_entries}")
        return zipfile.ZipFile(path)
    except FileNotFoundError as exc:
        raise PackageError(f"{path}: no such package") from exc
    except IsADirectoryError as exc:
        raise PackageError(f"{path}: is a folder, not a package") from exc
    except _READ_ERRORS as exc:
        raise PackageError(f"{path}: not an exhibition package (not a readable zip: {exc})") \
            from None


def _check_signature(path: Path, trusted: list[Ed25519PublicKey], manifest_bytes: bytes,
                     signature: bytes) -> None:
    for key in trusted:
        try:
            key.verify(signature, manifest_bytes)
        except InvalidSignature:
            continue
        return
    raise SignatureInvalid(f"{path}: the signature does not match any trusted publisher key; "
                           "the package was altered or comes from an unknown publisher")


def _parse_manifest(path: Path, manifest_bytes: bytes) -> tuple[dict[str, Any], Manifest]:
    try:
        raw = loads(manifest_bytes)
    except JsonRefused as exc:
        raise TamperedPackage(f"{path}: manifest.json is not valid JSON: {exc}") from None
    version = raw.get("format") if isinstance(raw, dict) else None
    if version != FORMAT_VERSION:
        raise UnknownFormat(f"{path}: package format {version!r} is not supported (this "
                            f"reader knows format {FORMAT_VERSION}); update RedHall or "
                            "rebuild the package")
    try:
        return raw, Manifest.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise MalformedPackage(f"{path}: manifest.json is malformed ({exc.error_count()} "
                               f"problem(s); first at `{where}`: {first['msg']})") from None


def open_package(path: Path, trusted: list[Ed25519PublicKey] | None,
                 limits: Limits = Limits()) -> VerifiedPackage:
    """Open and verify ``path``: archive, names, signature, hashes, then contents.

    Args:
        trusted: publisher keys to accept; None skips the signature check (inspect only).

    Raises:
        PackageError: a subclass naming exactly what is wrong (and which entry).
    """
    with _open(path, limits) as archive:
        return _verify(path, archive, trusted, limits)


def _verify(path: Path, archive: zipfile.ZipFile, trusted: list[Ed25519PublicKey] | None,
            limits: Limits) -> VerifiedPackage:
    infos = archive.infolist()
    if len(infos) > limits.max_entries:
        raise UnsafePackage(f"{path}: {len(infos)} entries, over the limit of "
                            f"{limits.max_entries}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise UnsafePackage(f"{path}: the same entry name appears twice")
    for info in infos:
        _check_info(info, limits)
    check_distinct(names)
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise UnsafePackage(f"{path}: contents expand to {total:,} bytes, over the "
                            f"{limits.max_total_bytes:,}-byte limit")
    if MANIFEST not in names or SIGNATURE not in names:
        raise PackageError(f"{path}: missing {MANIFEST} or {SIGNATURE}; not a RedHall "
                           "package, or an incomplete one")
    manifest_info, signature_info = archive.getinfo(MANIFEST), archive.getinfo(SIGNATURE)
    if manifest_info.file_size > limits.max_manifest_bytes:
        raise UnsafePackage(f"{path}: manifest.json is {manifest_info.file_size:,} bytes, over "
                            f"the {limits.max_manifest_bytes:,}-byte limit")
    if signature_info.file_size != SIGNATURE_BYTES:
        raise SignatureInvalid(f"{path}: manifest.sig is {signature_info.file_size} bytes, not "
                               f"an Ed25519 signature ({SIGNATURE_BYTES} bytes)")
    with _reading(path, MANIFEST):
        manifest_bytes = _read_limited(archive, manifest_info, limits.max_manifest_bytes)
    with _reading(path, SIGNATURE):
        signature = _read_limited(archive, signature_info, SIGNATURE_BYTES)
    signed = trusted is not None
    if trusted is not None:  # before a byte of the manifest is parsed
        _check_signature(path, trusted, manifest_bytes, signature)
    raw, manifest = _parse_manifest(path, manifest_bytes)
    listed = {e.path: e for e in manifest.entries}
    if len(listed) != len(manifest.entries):
        raise MalformedPackage(f"{path}: the manifest lists an entry twice")
    extra = set(names) - set(listed) - {MANIFEST, SIGNATURE}
    if extra:
        raise TamperedPackage(f"{path}: entries not in the manifest: {sorted(extra)[:5]}")
    contents: dict[str, bytes] = {}
    for entry in manifest.entries:
        check_name(entry.path)
        if entry.path not in names:
            raise TamperedPackage(f"{path}: `{entry.path}` is in the manifest but missing")
        info = archive.getinfo(entry.path)
        if info.file_size != entry.size:
            raise TamperedPackage(f"{path}: `{entry.path}` is {info.file_size} bytes, the "
                                  f"manifest says {entry.size}")
        with _reading(path, entry.path):
            data = _read_limited(archive, info, entry.size)
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            raise TamperedPackage(f"{path}: `{entry.path}` does not match its sha256 in the "
                                  "manifest; the package was altered")
        # What the content check reads: scenes and models whole, of the rest the start.
        contents[entry.path] = data if entry.path.endswith((".json", ".glb")) else data[:16]
    try:
        scenes = check_contents(manifest, contents.__getitem__)
    except MalformedPackage as exc:
        raise MalformedPackage(f"{path}: {exc}") from None
    return VerifiedPackage(path, manifest, manifest_bytes, signed, scenes, raw)
