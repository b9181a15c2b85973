"""Personal data beyond the name (phone, ID number) is stored encrypted with AES-GCM."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.errors import ConfigurationError


class PersonalDataCipher:
    """AES-256-GCM with a random 96-bit nonce per value; the field name is bound in as
    associated data so a phone number cannot be swapped into the ID-number column."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise ConfigurationError("the encryption key must be 32 bytes (base64 of 32 bytes "
                                     "in REDHALL_ENCRYPTION_KEY)")
        self._aead = AESGCM(key)

    def encrypt(self, value: str | None, field: str) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, value.encode(), field.encode())

    def decrypt(self, blob: bytes | None, field: str) -> str | None:
        if blob is None:
            return None
        return self._aead.decrypt(blob[:12], blob[12:], field.encode()).decode()


def load_or_create_key(configured: str | None, data_dir: Path) -> bytes:
    """The configured key, or one kept in ``data_dir/encryption.key`` (made once, mode 600)."""
    if configured:
        try:
            return base64.b64decode(configured, validate=True)
        except ValueError as exc:
            raise ConfigurationError("REDHALL_ENCRYPTION_KEY is not valid base64") from exc
    path = data_dir / "encryption.key"
    if path.exists():
        return base64.b64decode(path.read_bytes())
    data_dir.mkdir(parents=True, exist_ok=True)
    key = AESGCM.generate_key(bit_length=256)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(base64.b64encode(key))
    return key
