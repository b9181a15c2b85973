"""Publisher keys (Ed25519): make, load, sign, verify."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from protocol.errors import PublisherKeyError
from protocol.publisher_keys import load_public_key
from tools.errors import KeyFileError


def keygen(out: Path) -> Path:
    """Write a new private key to ``out`` (PEM, mode 600) and its public key beside it.

    Returns the public key's path (``out`` with ``.pub`` appended).
    """
    if out.exists():
        raise KeyFileError(f"{out} already exists; choose another path or remove it first")
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private)
    pub = out.with_name(out.name + ".pub")
    pub.write_bytes(public)
    return pub


def key_fingerprint(key: Ed25519PublicKey) -> str:
    """A short name for a public key: the first 16 hex digits of the sha256 of its raw bytes.

    The server names its trusted keys the same way when it refuses a package.
    """
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path}: key file not found; make one with "
                           f"`redhall keygen --out {path}`") from exc
    except (ValueError, TypeError) as exc:
        raise KeyFileError(f"{path}: not a PEM private key ({exc}); make one with "
                           "`redhall keygen`") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError(f"{path}: not an Ed25519 key; make one with `redhall keygen`")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key file, or the public half of a private key file."""
    try:
        return load_public_key(path)
    except PublisherKeyError as exc:
        if path.exists():
            try:
                return load_private(path).public_key()
            except KeyFileError:
                pass  # neither kind: report the public-key problem below
        raise KeyFileError(str(exc)) from exc


def verify_signature(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
    except InvalidSignature:
        return False
    return True
