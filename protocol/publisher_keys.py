"""Reading trusted publisher public keys (PEM), shared by the pipeline, engine and server."""

from __future__ import annotations

from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from protocol.errors import PublisherKeyError


def load_public_key(path: Path) -> Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise PublisherKeyError(f"{path}: public key not found") from exc
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise PublisherKeyError(f"{path}: not a PEM public key; pass the .pub file written "
                                "by `redhall keygen`") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise PublisherKeyError(f"{path}: not an Ed25519 public key")
    return key
