"""The root of every RedHall error; each package derives its own tree from it."""

from __future__ import annotations


class RedhallError(Exception):
    """A failure the user can act on: the message says what is wrong and what to do."""

    exit_code = 1


class PackageError(RedhallError):
    """An exhibition package was refused; nothing from it was used."""


class UnsafePackage(PackageError):
    """Zip-slip paths, links, compression bombs or oversized entries."""


class TamperedPackage(PackageError):
    """An entry's hash or size differs from the manifest, or entries were added/removed."""


class SignatureInvalid(PackageError):
    """The manifest signature does not verify against any trusted publisher key."""


class UnknownFormat(PackageError):
    """The package's format version is newer or older than this reader understands."""


class PublisherKeyError(RedhallError):
    """A publisher key file is missing or not an Ed25519 key."""
