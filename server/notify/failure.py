"""Why a channel could not deliver a message."""

from protocol.errors import RedhallError


class ChannelError(RedhallError):
    """A channel refused or failed a message; the text is fit for ``deliveries.last_error``
    and the log (it names no person, address or webhook token)."""
