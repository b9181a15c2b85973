"""The package reader refuses every kind of bad package with a message saying what is wrong."""

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.errors import (
    PackageError,
    SignatureInvalid,
    TamperedPackage,
    UnknownFormat,
    UnsafePackage,
)
from protocol.package import Limits, open_package
from tests.conftest import QUICK
from tools.build import build_exhibit
from tools.cache import BuildCache


@pytest.fixture
def package(content: Callable[..., Path], key: Ed25519PrivateKey, tmp_path: Path) -> Path:
    result = build_exhibit(content(), tmp_path / "dist", key, QUICK,
                           BuildCache(None))
    return result.path


def _rewrite(source: Path, target: Path, change: Callable[[str, bytes], bytes | None],
             extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            data = change(info.filename, old.read(info))
            if data is not None:
                new.writestr(info, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def test_a_good_package_verifies(package: Path, key: Ed25519PrivateKey) -> None:
    verified = open_package(package, [key.public_key()])
    assert verified.signed_by_trusted
    assert verified.manifest.id == "tiny-exhibit"
    assert verified.read("fonts/subset.ttf")[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")


def test_a_stranger_signature_is_refused(package: Path) -> None:
    with pytest.raises(SignatureInvalid, match="does not match any trusted publisher key"):
        open_package(package, [Ed25519PrivateKey.generate().public_key()])


def test_a_changed_entry_is_refused(package: Path, key: Ed25519PrivateKey,
                                    tmp_path: Path) -> None:
    def flip(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 1]) if name.endswith(".glb") else data

    bad = _rewrite(package, tmp_path / "bad.exhibit", flip)
    with pytest.raises(TamperedPackage, match="does not match its sha256"):
        open_package(bad, [key.public_key()])


def test_an_edited_manifest_breaks_the_signature(package: Path, key: Ed25519PrivateKey,
                                                 tmp_path: Path) -> None:
    def edit(name: str, data: bytes) -> bytes:
        return data.replace(b"RedHall tests", b"Someone else!") if name == "manifest.json" \
            else data

    bad = _rewrite(package, tmp_path / "bad.exhibit", edit)
    with pytest.raises(SignatureInvalid):
        open_package(bad, [key.public_key()])


def test_added_and_removed_entries_are_refused(package: Path, key: Ed25519PrivateKey,
                                               tmp_path: Path) -> None:
    added = _rewrite(package, tmp_path / "added.exhibit", lambda n, d: d, {"models/x.glb": b"x"})
    with pytest.raises(TamperedPackage, match="not in the manifest"):
        open_package(added, [key.public_key()])
    removed = _rewrite(package, tmp_path / "removed.exhibit",
                       lambda n, d: None if n == "fonts/subset.ttf" else d)
    with pytest.raises(TamperedPackage, match="missing"):
        open_package(removed, [key.public_key()])


def test_zip_slip_paths_and_links_are_refused(package: Path, tmp_path: Path) -> None:
    slip = _rewrite(package, tmp_path / "slip.exhibit", lambda n, d: d,
                    {"../../etc/evil": b"x"})
    with pytest.raises(UnsafePackage, match="unsafe path"):
        open_package(slip, None)
    link = tmp_path / "link.exhibit"
    with zipfile.ZipFile(link, "w") as archive:
        info = zipfile.ZipInfo("models/a.glb")
        info.external_attr = 0o120777 << 16
        archive.writestr(info, "/etc/passwd")
    with pytest.raises(UnsafePackage, match="symbolic link"):
        open_package(link, None)


def test_compression_bombs_and_oversized_entries_are_refused(package: Path,
                                                             tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.exhibit"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("models/bomb.glb", b"\0" * (20 * 1024**2))
    with pytest.raises(UnsafePackage, match="compression bomb"):
        open_package(bomb, None)
    with pytest.raises(UnsafePackage, match="over the 1,000-byte limit"):
        open_package(package, None, Limits(max_entry_bytes=1000))


def test_unknown_format_versions_are_refused(package: Path, key: Ed25519PrivateKey,
                                             tmp_path: Path) -> None:
    with zipfile.ZipFile(package) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    manifest["format"] = 99
    body = json.dumps(manifest).encode()

    def swap(name: str, data: bytes) -> bytes:
        return {"manifest.json": body, "manifest.sig": key.sign(body)}.get(name, data)

    future = _rewrite(package, tmp_path / "future.exhibit", swap)
    with pytest.raises(UnknownFormat, match="format 99 is not supported"):
        open_package(future, [key.public_key()])


def test_a_file_that_is_not_a_package(tmp_path: Path) -> None:
    junk = tmp_path / "junk.exhibit"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(PackageError, match="not a readable zip"):
        open_package(junk, None)
    with pytest.raises(PackageError, match="no such package"):
        open_package(tmp_path / "missing.exhibit", None)
