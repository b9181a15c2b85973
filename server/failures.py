"""The server's one error tree: every failure a client is answered with derives from
:class:`ServerError` (itself a :class:`protocol.errors.RedhallError`) and says its intent
(not found, forbidden, too large, ...), never an HTTP status or a close code.

Modules outside ``server/routes`` raise these; :mod:`server.errors` holds the one table
that turns an intent into an HTTP status and JSON body, an xAPI answer (with its version
header) or a websocket close code. The domain errors keep their own names
(``StatementError``, ``XapiError``, ``Refused``, ...) and are re-parented under this tree.
"""

from __future__ import annotations

from typing import Any

from protocol.errors import RedhallError


class ServerError(RedhallError):
    """A request the server refuses; ``message`` is what the client is told, and ``extra``
    goes into the JSON body beside it (``{"error": message, **extra}``)."""

    def __init__(self, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra


class BadRequest(ServerError):
    """The request is malformed; ``fields`` (when given) names each bad field."""

    def __init__(self, message: str, fields: list[dict[str, str]] | None = None,
                 **extra: Any) -> None:
        if fields is not None:
            extra = {"fields": fields, **extra}
        super().__init__(message, **extra)
        self.fields = fields or []


class Unauthorized(ServerError):
    """Who is asking is unknown: log in (or authenticate) first."""


class Forbidden(ServerError):
    """Who is asking is known but may not do this."""


class NotFound(ServerError):
    """What the request names does not exist (or is not the caller's to see)."""


class Conflict(ServerError):
    """The request contradicts the current state of what it names."""


class PreconditionFailed(ServerError):
    """A condition the request set (If-Match, If-None-Match) does not hold."""


class TooLarge(ServerError):
    """The request (or a message) is larger than ``limit`` bytes."""

    def __init__(self, message: str, limit: int, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.limit = limit


class Unsupported(ServerError):
    """The request or message is of a kind this endpoint does not take."""


class TooManyRequests(ServerError):
    """The caller asked too often (or an account is locked for a while); ``retry_after``
    says in how many seconds to try again."""

    def __init__(self, message: str, retry_after: int, **extra: Any) -> None:
        super().__init__(message, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class Unavailable(ServerError):
    """The server cannot answer this now; try again later."""


class WithStatus(ServerError):
    """A refusal that names its HTTP status itself, where a specification fixes the status
    per case (the xAPI resources); the translation table answers ``status`` as it is."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message, **extra)
        self.status = status
