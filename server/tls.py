"""HTTPS for `redhall serve`: the organization's certificate (issued by its own CA, which its
phones, PCs and headsets trust) and key, loaded into a server TLS context."""

from __future__ import annotations

import ssl

from protocol.errors import RedhallError
from server.settings import Settings


class TlsRefused(RedhallError):
    """The certificate or key cannot be served."""


def server_context(settings: Settings) -> ssl.SSLContext | None:
    """A TLS 1.2+ server context from ``tls_cert`` and ``tls_key``; None without them."""
    if settings.tls_cert is None or settings.tls_key is None:
        return None
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    for path, what in ((settings.tls_cert, "certificate"), (settings.tls_key, "key")):
        if not path.is_file():
            raise TlsRefused(f"the TLS {what} {path} is not a readable file "
                             f"(REDHALL_TLS_{'CERT' if what == 'certificate' else 'KEY'})")
    try:
        context.load_cert_chain(settings.tls_cert, settings.tls_key)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise TlsRefused(f"cannot serve HTTPS with {settings.tls_cert} and {settings.tls_key}: "
                         f"{exc} (both PEM; the key must be the certificate's, unencrypted)"
                         ) from None
    return context
