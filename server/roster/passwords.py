"""Temporary passwords an administrator hands to a person (on a slip, read aloud on the
phone): random, 12 characters from an alphabet without look-alikes (0/O, 1/l/I)."""

from __future__ import annotations

import secrets

ALPHABET = "23456789abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
LENGTH = 12  # about 69 bits: far beyond guessing within the log-in limits


def temporary_password() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
